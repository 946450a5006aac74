"""The app's side of the Image history dock: what its actions do to the document and panels.

Add as layer is one undoable step (through
:class:`~t2ia_desktop.session.edits.DocumentEdits`); Use as control adds an undoable photo layer,
selects it and pops up the Add condition menu; Restore settings puts the picture's request back
into the Generate panel. New pictures appear as jobs finish.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QDockWidget, QWidget

from t2ia_desktop.core.errors import BadInput, T2IAError
from t2ia_desktop.core.files.imageio import open_image
from t2ia_desktop.core.generation.jobs import Job, JobState
from t2ia_desktop.core.generation.settings import GenerationSettings
from t2ia_desktop.core.image_history.query import request_from_metadata
from t2ia_desktop.core.image_history.store import History, HistoryEntry
from t2ia_desktop.runtime.runner import JobRunner
from t2ia_desktop.session.session import Session
from t2ia_desktop.ui.actions.conditions import ConditionActions
from t2ia_desktop.ui.history.dock import ImageHistoryPanel
from t2ia_desktop.ui.layers.panel import LayersPanel

SETTING_WORDS = {"prompt": "prompt", "negative_prompt": "negative prompt", "model": "model",
                 "steps": "steps", "guidance_scale": "guidance", "seed": "seed",
                 "adapter_conditioning_factor": "step fraction"}


class ImageHistoryActions(QObject):
    """Builds the Image history dock (``dock``, for the window to place) and carries out its
    actions."""

    def __init__(self, folder: Path, session: Session, runner: JobRunner,
                 generation_settings: GenerationSettings, *,
                 condition_actions: ConditionActions, layers_panel: LayersPanel,
                 generate_dock: QDockWidget, say: Callable[[str], None],
                 parent: QWidget) -> None:
        """The history kept in ``folder``, picked up as ``runner``'s jobs finish. Its pictures
        go into ``session``'s document (as a result layer, or a photo layer through
        ``condition_actions``, selected in ``layers_panel``) or into ``generation_settings``
        (``generate_dock`` comes to the front); ``say`` puts a line in the status bar.
        ``parent`` is the window: the Add condition menu pops up only while it shows."""
        super().__init__(parent)
        self.session = session
        self.generation_settings = generation_settings
        self.condition_actions = condition_actions
        self.layers_panel = layers_panel
        self.generate_dock = generate_dock
        self.say = say
        self.parent_widget = parent
        self.history = History(folder)
        self.panel = ImageHistoryPanel(self.history, session.registry)
        self.dock = QDockWidget("Image history", parent)
        self.dock.setObjectName("image_history_dock")
        self.dock.setWidget(self.panel)
        self.dock.setToolTip("Every picture generated, saved as it finished")
        self.toggle_action = self.dock.toggleViewAction()
        self.toggle_action.setToolTip("Show the Image history: search, star and reuse every "
                                      "picture generated")
        self.panel.message.connect(say)
        self.panel.add_layer_requested.connect(self.add_as_layer)
        self.panel.control_source_requested.connect(self.use_as_control)
        self.panel.restore_requested.connect(self.restore_settings)
        runner.job_finished.connect(self._on_job_finished)

    def _on_job_finished(self, job: Job) -> None:
        if job.state is JobState.DONE and job.saved_to:
            self.panel.pick_up_new()

    def _open(self, entry: HistoryEntry):
        try:
            return open_image(entry.image)
        except BadInput as error:
            self.say(f"Cannot use this picture: {error}")
            self.panel.refresh()  # it went away: show the history as it is now
            return None

    def add_as_layer(self, entry: HistoryEntry):
        """The picture as a result layer on top, with its settings: one undoable step."""
        image = self._open(entry)
        if image is None:
            return None
        request = None
        with contextlib.suppress(T2IAError):  # a picture without settings is still a picture
            request = request_from_metadata(self.history.request_metadata(entry))
        layer = self.session.edits.add_result(image, request)
        self.say(f"Added “{layer.name}” from the image history (Ctrl+Z undoes).")
        return layer

    def use_as_control(self, entry: HistoryEntry):
        """The picture as a photo layer, selected, with the Add condition menu offered."""
        image = self._open(entry)
        if image is None:
            return None
        actions = self.condition_actions
        layer = actions.add_photo(image, f"History {entry.seed}")
        self.layers_panel.select(layer)
        self.say(f"Added “{layer.name}” as a photo layer: choose a condition to make from it "
                 "(Layer → Add condition layer).")
        menu = actions.add_condition_menu
        if self.parent_widget.isVisible():
            menu.popup(QCursor.pos())
        return layer

    def restore_settings(self, entry: HistoryEntry) -> list[str]:
        """Put the picture's prompt, model, seed, steps and scales into the Generate panel;
        returns the names of the settings that could not be used."""
        try:
            metadata = self.history.request_metadata(entry)
        except T2IAError as error:
            self.say(str(error))
            return []
        ignored = self.generation_settings.update_from_request(metadata)
        self.generate_dock.raise_()
        text = f"Restored the settings of seed {metadata.get('seed', '?')}"
        if ignored:
            words = ", ".join(SETTING_WORDS.get(name, name) for name in ignored)
            text += f"; kept the current {words} (not available here)"
        self.say(text + ".")
        return ignored
