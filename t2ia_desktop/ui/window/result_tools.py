"""Everything around results the window gets in one call: the Image history dock, the compare
view, the device/model/memory status and the Help menu (kept out of ``main_window.py``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDockWidget, QMainWindow, QMenu

from t2ia_desktop.core.generation.settings import GenerationSettings
from t2ia_desktop.runtime.runner import JobRunner
from t2ia_desktop.session.session import Session
from t2ia_desktop.ui.actions.conditions import ConditionActions
from t2ia_desktop.ui.actions.help import HelpMenu
from t2ia_desktop.ui.actions.image_history import ImageHistoryActions
from t2ia_desktop.ui.canvas.compare_view import CompareView
from t2ia_desktop.ui.canvas.view import CanvasView
from t2ia_desktop.ui.layers.panel import LayersPanel
from t2ia_desktop.ui.window.first_run import FirstRunBanner, GettingStartedDialog
from t2ia_desktop.ui.window.status_info import StatusInfo


class ResultTools:
    """Builds the parts, places the Image history dock and the Compare toolbar in ``frame``
    and their actions in ``view_menu``, and adds the Help menu to ``frame``'s menu bar."""

    def __init__(self, frame: QMainWindow, session: Session, runner: JobRunner,
                 generation_settings: GenerationSettings, *, canvas: CanvasView,
                 layers_panel: LayersPanel, condition_actions: ConditionActions,
                 generate_dock: QDockWidget, queue_dock: QDockWidget, view_menu: QMenu,
                 status: StatusInfo, say: Callable[[str], None],
                 history_folder: Path | None, settings_path: Path) -> None:
        """``frame`` holds the docks, toolbars and menus (Qt's own API only); ``canvas`` and
        ``layers_panel`` are what Compare splits and compares; the Image history (when there
        is a ``history_folder``) fills ``session``'s document and ``generation_settings``
        and shares the Queue's place (``queue_dock``); ``status`` is the device, model and
        memory in the status bar; ``say`` puts a line in it. The first-run banner keeps
        whether it was closed in ``settings_path``."""
        self.image_history = None if history_folder is None else ImageHistoryActions(
            history_folder, session, runner, generation_settings,
            condition_actions=condition_actions, layers_panel=layers_panel,
            generate_dock=generate_dock, say=say, parent=frame)
        """None when the window has no history folder (some tests)."""
        if self.image_history is not None:
            frame.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.image_history.dock)
            frame.tabifyDockWidget(queue_dock, self.image_history.dock)
            queue_dock.raise_()
        self.compare = CompareView(frame, canvas, layers_panel.selected_layer, say)
        self.status = status
        self.help = HelpMenu(frame.menuBar(), say, frame)
        self.first_run = FirstRunBanner(canvas, generation_settings, settings_path)
        """Over the canvas while the demo model is chosen; app.py connects its button."""
        self.getting_started: QDialog | None = None
        self.help.getting_started_action.triggered.connect(self.show_getting_started)
        self.frame = frame
        view_menu.insertAction(next(iter(view_menu.actions()[1:2]), None), self.compare.action)
        if self.image_history is not None:
            view_menu.addAction(self.image_history.toggle_action)

    def show_getting_started(self) -> QDialog:
        """Help → Getting started: the first steps, and the first-run banner back."""
        self.first_run.bring_back()
        if self.getting_started is None:
            self.getting_started = GettingStartedDialog(self.first_run, self.frame)
        self.getting_started.show()
        self.getting_started.raise_()
        return self.getting_started
