"""The Help menu: Getting started (the window shows it), Keyboard shortcuts (read from the
window's actions, searchable), Open README, open the log folder, and About (version, folders,
what runs underneath)."""

from __future__ import annotations

import platform
from collections.abc import Callable
from pathlib import Path

import PySide6
from PySide6.QtCore import QObject, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import QMenuBar, QMessageBox, QWidget

from t2ia_desktop import __version__
from t2ia_desktop.core.paths import data_dir, history_dir, log_dir
from t2ia_desktop.ui.dialogs.shortcuts import ShortcutsDialog

PROJECT_README = Path(__file__).resolve().parents[3] / "README.md"
"""The README of a source install (installers put it beside the app: see :func:`readme_path`)."""


def readme_path() -> Path | None:
    """The README shipped with this copy of the app, None when there is none."""
    import sys

    candidates = [PROJECT_README]
    bundle = getattr(sys, "_MEIPASS", None)  # the installers' unpacked folder
    if bundle:
        candidates.insert(0, Path(bundle) / "README.md")
    return next((path for path in candidates if path.is_file()), None)


def about_text() -> str:
    return (
        f"<b>t2ia desktop {__version__}</b><br>"
        "Draw or drop a photo, turn it into control images, and paint with Stable Diffusion XL "
        "and 1.5 guided by T2I-Adapters.<br><br>"
        f"Python {platform.python_version()} · PySide6 {PySide6.__version__} · "
        f"{platform.system()} {platform.machine()}<br>"
        f"Image history: {history_dir()}<br>Logs: {log_dir()}<br>Data: {data_dir()}"
    )


class HelpMenu(QObject):
    """Help → Open log folder, Help → About t2ia desktop."""

    def __init__(self, menu_bar: QMenuBar, say: Callable[[str], None],
                 parent: QWidget) -> None:
        """Adds the Help menu to ``menu_bar``; ``say`` puts a line in the status bar; About
        opens over ``parent``."""
        super().__init__(parent)
        self.say = say
        self.parent_widget = parent
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl
        """Opens a folder in the file manager; tests replace it."""
        self.about_box: QMessageBox | None = None
        self.log_action = QAction("Open &log folder", parent)
        self.log_action.setToolTip("Open the folder of the log files (attach them to a bug report)")
        self.log_action.setStatusTip(self.log_action.toolTip())
        self.log_action.triggered.connect(self.open_log_folder)
        self.about_action = QAction("&About t2ia desktop", parent)
        self.about_action.setToolTip("Version, folders and libraries")
        self.about_action.triggered.connect(self.show_about)
        self.getting_started_action = QAction("&Getting started", parent)
        self.getting_started_action.setToolTip("The first steps, and what the demo model is")
        """The window shows Getting started when it is triggered."""
        self.shortcuts_action = QAction("&Keyboard shortcuts", parent)
        self.shortcuts_action.setShortcut("Ctrl+/")
        self.shortcuts_action.setToolTip("Every key of every action, searchable")
        self.shortcuts_action.triggered.connect(self.show_shortcuts)
        parent.addAction(self.shortcuts_action)  # works wherever the focus is
        self.readme_action = QAction("Open &README", parent)
        self.readme_action.setToolTip("The whole guide: install, models, conditions, live "
                                      "mode, the queue, the command line")
        self.readme_action.triggered.connect(self.open_readme)
        self.shortcuts_dialog: ShortcutsDialog | None = None
        self.menu = menu_bar.addMenu("&Help")
        self.menu.setToolTipsVisible(True)
        for action in (self.getting_started_action, self.shortcuts_action, self.readme_action):
            self.menu.addAction(action)
        self.menu.addSeparator()
        self.menu.addAction(self.log_action)
        self.menu.addSeparator()
        self.menu.addAction(self.about_action)

    def open_log_folder(self) -> None:
        folder = log_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            self.say(f"Cannot open the log folder {folder}: {error.strerror or error}")
            return
        self.open_url(QUrl.fromLocalFile(str(folder)))

    def show_shortcuts(self) -> ShortcutsDialog:
        """The shortcuts of every action the window has now (plugins' included)."""
        if self.shortcuts_dialog is not None:
            self.shortcuts_dialog.close()
            self.shortcuts_dialog.deleteLater()
        dialog = self.shortcuts_dialog = ShortcutsDialog(self.parent_widget)
        dialog.open()
        return dialog

    def open_readme(self) -> None:
        path = readme_path()
        if path is None:
            self.say("This copy of the app has no README file; it is at the top of the "
                     "project's repository.")
            return
        self.open_url(QUrl.fromLocalFile(str(path)))

    def show_about(self) -> QMessageBox:
        """About, without blocking the window (a job may be running)."""
        box = QMessageBox(QMessageBox.Icon.Information, "About t2ia desktop", about_text(),
                          QMessageBox.StandardButton.Ok, self.parent_widget)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.open()
        self.about_box = box
        return box

