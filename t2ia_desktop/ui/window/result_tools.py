"""Everything around results the window gets in one call: the Image history dock, the compare
view, the device/model/memory status and the Help menu (kept out of ``main_window.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from t2ia_desktop.ui.actions.help import HelpMenu
from t2ia_desktop.ui.actions.image_history import ImageHistoryActions
from t2ia_desktop.ui.canvas.compare_view import CompareView
from t2ia_desktop.ui.window.status_info import StatusInfo

if TYPE_CHECKING:
    from t2ia_desktop.ui.window.main_window import MainWindow


class ResultTools:
    """Builds the parts and hooks them into the window's View menu and status bar."""

    def __init__(self, window: MainWindow) -> None:
        folder = window.history_folder
        self.image_history = ImageHistoryActions(window, folder) if folder is not None else None
        """None when the window has no history folder (some tests)."""
        self.compare = CompareView(window, window.canvas, window.layers_panel.selected_layer,
                                   window.show_message)
        self.status = StatusInfo(window.generation_settings,
                                 window.runner.worker.executor.engine_ready, window.statusBar(),
                                 window)
        self.help = HelpMenu(window)
        view_menu = getattr(window, "view_menu", None)
        if view_menu is not None:
            view_menu.insertAction(next(iter(view_menu.actions()[1:2]), None),
                                   self.compare.action)
            if self.image_history is not None:
                view_menu.addAction(self.image_history.toggle_action)
