"""The window's side of the Image history dock: what its actions do to the document and panels.

Add as layer is one undoable step (through :class:`~t2ia_desktop.session.edits.DocumentEdits`); Use as
control adds an undoable photo layer, selects it and pops up the Add condition menu; Restore
settings puts the picture's request back into the Generate panel. New pictures appear as jobs
finish.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QDockWidget

from t2ia_desktop.core.errors import BadInput, T2IAError
from t2ia_desktop.core.files.imageio import open_image
from t2ia_desktop.core.generation.jobs import Job, JobState
from t2ia_desktop.core.image_history.query import request_from_metadata
from t2ia_desktop.core.image_history.store import History, HistoryEntry
from t2ia_desktop.ui.history.dock import ImageHistoryPanel

if TYPE_CHECKING:
    from t2ia_desktop.ui.window.main_window import MainWindow

SETTING_WORDS = {"prompt": "prompt", "negative_prompt": "negative prompt", "model": "model",
                 "steps": "steps", "guidance_scale": "guidance", "seed": "seed",
                 "adapter_conditioning_factor": "step fraction"}


class ImageHistoryActions(QObject):
    """Builds the Image history dock in ``window`` and carries out its actions."""

    def __init__(self, window: MainWindow, folder: Path) -> None:
        super().__init__(window)
        self.window = window
        self.history = History(folder)
        self.panel = ImageHistoryPanel(self.history, window.registry)
        self.dock = QDockWidget("Image history", window)
        self.dock.setObjectName("image_history_dock")
        self.dock.setWidget(self.panel)
        self.dock.setToolTip("Every picture generated, saved as it finished")
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        window.tabifyDockWidget(window.queue_dock, self.dock)
        window.queue_dock.raise_()
        self.toggle_action = self.dock.toggleViewAction()
        self.toggle_action.setToolTip("Show the Image history: search, star and reuse every "
                                      "picture generated")
        self.panel.message.connect(window.show_message)
        self.panel.add_layer_requested.connect(self.add_as_layer)
        self.panel.control_source_requested.connect(self.use_as_control)
        self.panel.restore_requested.connect(self.restore_settings)
        window.runner.job_finished.connect(self._on_job_finished)

    def _on_job_finished(self, job: Job) -> None:
        if job.state is JobState.DONE and job.saved_to:
            self.panel.pick_up_new()

    def _open(self, entry: HistoryEntry):
        try:
            return open_image(entry.image)
        except BadInput as error:
            self.window.show_message(f"Cannot use this picture: {error}")
            self.panel.refresh()  # it went away: show the history as it is now
            return None

    def add_as_layer(self, entry: HistoryEntry):
        """The picture as a result layer on top, with its settings: one undoable step."""
        image = self._open(entry)
        if image is None:
            return None
        request = None
        try:
            request = request_from_metadata(self.history.request_metadata(entry))
        except T2IAError:
            pass  # a picture without settings is still a picture
        layer = self.window.edits.add_result(image, request)
        self.window.show_message(f"Added “{layer.name}” from the image history (Ctrl+Z undoes).")
        return layer

    def use_as_control(self, entry: HistoryEntry):
        """The picture as a photo layer, selected, with the Add condition menu offered."""
        image = self._open(entry)
        if image is None:
            return None
        actions = self.window.condition_actions
        layer = actions.add_photo(image, f"History {entry.seed}")
        self.window.layers_panel.select(layer)
        self.window.show_message(f"Added “{layer.name}” as a photo layer: choose a condition to "
                                 "make from it (Layer → Add condition layer).")
        menu = actions.add_condition_menu
        if self.window.isVisible():
            menu.popup(QCursor.pos())
        return layer

    def restore_settings(self, entry: HistoryEntry) -> list[str]:
        """Put the picture's prompt, model, seed, steps and scales into the Generate panel;
        returns the names of the settings that could not be used."""
        try:
            metadata = self.history.request_metadata(entry)
        except T2IAError as error:
            self.window.show_message(str(error))
            return []
        ignored = self.window.generation_settings.update_from_request(metadata)
        self.window.generate_dock.raise_()
        text = f"Restored the settings of seed {metadata.get('seed', '?')}"
        if ignored:
            words = ", ".join(SETTING_WORDS.get(name, name) for name in ignored)
            text += f"; kept the current {words} (not available here)"
        self.window.show_message(text + ".")
        return ignored
