"""First run tells the truth: the demo-model banner over the canvas and its Get SDXL button,
Help → Getting started, Keyboard shortcuts and Open README, Models before Help, and the one-line
stop when Qt's X11 libraries are missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QPoint, QRect, Qt, QUrl
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication

from t2ia_desktop.core.generation.request import DEFAULT_SDXL_MODEL, DEMO_MODEL
from t2ia_desktop.core.system_libraries import XCB_LIBRARIES, missing_xcb_packages
from t2ia_desktop.runtime.system_info import human_bytes
from t2ia_desktop.session.tool_state import ToolState
from t2ia_desktop.ui.window.first_run import SDXL_DOWNLOAD_BYTES
from t2ia_desktop.ui.window.main_window import MainWindow
from tests.ui.helpers import main_window, models_controller, shown

REPO = Path(__file__).resolve().parents[3]


def menu_titles(window: MainWindow) -> list[str]:
    return [a.text().replace("&", "") for a in window.menuBar().actions() if a.menu()]


def test_the_banner_says_the_demo_model_paints_noise_and_gets_sdxl(qtbot, window):
    banner = window.first_run
    assert window.generation_settings.model == DEMO_MODEL
    QApplication.processEvents()
    assert banner.isVisible()
    assert banner.parent() is window.canvas
    assert window.canvas.rect().contains(banner.geometry())
    text = banner.text_label.text()
    for words in ("paints noise", "SDXL base 1.0", "internet needed once", "of disk",
                  "GPU with 8 GB", "RAM", human_bytes(SDXL_DOWNLOAD_BYTES)):
        assert words in text, words
    assert human_bytes(SDXL_DOWNLOAD_BYTES) == "6.5 GB"

    controller = models_controller(window)
    qtbot.mouseClick(banner.get_button, Qt.MouseButton.LeftButton)
    dialog = controller.dialog
    assert dialog is not None
    assert dialog.isVisible()
    assert dialog.selected().reference == DEFAULT_SDXL_MODEL
    dialog.close()

    window.generation_settings.choose_model(DEFAULT_SDXL_MODEL)  # a real model: no banner
    assert not banner.isVisible()
    window.generation_settings.choose_model(DEMO_MODEL)
    assert banner.isVisible()


def test_closing_the_banner_lasts_and_getting_started_brings_it_back(
        qtbot, loop, document, runner, updater, models):
    first = shown(qtbot, main_window(document, runner, models, updater=updater,
                                     tool_state=ToolState()))
    qtbot.mouseClick(first.first_run.close_button, Qt.MouseButton.LeftButton)
    assert not first.first_run.isVisible()
    first.close()
    second = shown(qtbot, main_window(document, runner, models, updater=updater,
                                      tool_state=ToolState()))
    assert not second.first_run.isVisible()
    help_menu = second.results.help
    assert [a.text() for a in help_menu.menu.actions()][:3] == [
        "&Getting started", "&Keyboard shortcuts", "Open &README"]
    help_menu.getting_started_action.trigger()
    dialog = second.results.getting_started
    assert dialog is not None
    assert dialog.isVisible()
    assert second.first_run.isVisible()
    dialog.close()
    second.close()


def test_models_comes_before_help(window):
    models_controller(window)
    titles = menu_titles(window)
    assert titles[-2:] == ["Models", "Help"]


def test_keyboard_shortcuts_lists_every_action_with_keys_and_filters(window):
    window.results.help.shortcuts_action.trigger()
    dialog = window.results.help.shortcuts_dialog
    assert dialog is not None
    assert dialog.isVisible()
    listed = {(name, keys) for name, keys, _tip in dialog.rows}
    for action in window.findChildren(QAction):
        if action.shortcuts() and action.text():
            keys = ", ".join(k.toString(k.SequenceFormat.NativeText) for k in action.shortcuts())
            assert any(keys == shown_keys for _name, shown_keys in listed), action.text()
    names = [name for name, _keys, _tip in dialog.rows]
    for expected in ("Generate", "Undo", "Brush", "Keyboard shortcuts", "Import photo"):
        assert expected in names, expected
    dialog.filter_edit.setText("undo")
    shown_now = dialog.shown_actions()
    assert "Undo" in shown_now
    assert "Generate" not in shown_now
    assert all("undo" in " ".join(row).lower() for row in dialog.rows
               if row[0] in shown_now)
    dialog.filter_edit.setText("ctrl+return")
    assert dialog.shown_actions() == ["Generate"]
    dialog.filter_edit.clear()
    assert len(dialog.shown_actions()) == len(dialog.rows)
    dialog.close()


def test_open_readme_opens_the_projects_readme(window):
    opened: list[QUrl] = []
    window.results.help.open_url = opened.append
    window.results.help.readme_action.trigger()
    assert [url.toLocalFile() for url in opened] == [str(REPO / "README.md")]


def test_the_banner_fits_a_laptop_canvas(window):
    window.window_layout.fit_to_screen(QRect(0, 0, 1280, 800))
    QApplication.processEvents()
    banner = window.first_run
    assert banner.isVisible()
    top_left = banner.mapTo(window.canvas, QPoint(0, 0))
    assert window.canvas.rect().contains(QRect(top_left, banner.size()))
    assert banner.get_button.isVisible()


def test_missing_x11_libraries_are_named_as_packages():
    display = {"DISPLAY": ":0"}
    lacking = {"libxcb-cursor.so.0", "libxkbcommon-x11.so.0"}
    assert missing_xcb_packages(display, "linux", False, lambda n: n not in lacking) == [
        "libxcb-cursor0", "libxkbcommon-x11-0"]
    nothing = lambda _name: False  # noqa: E731
    assert missing_xcb_packages(display, "linux", True, nothing) == []  # an installer's app
    assert missing_xcb_packages({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux",
                                False, nothing) == []
    assert missing_xcb_packages({"WAYLAND_DISPLAY": "w"}, "linux", False, nothing) == []
    assert missing_xcb_packages(display, "win32", False, nothing) == []
    assert len(missing_xcb_packages(display, "linux", False, nothing)) == len(XCB_LIBRARIES)
    assert missing_xcb_packages(display, "linux", False, lambda _n: True) == []


def test_the_app_stops_with_one_line_naming_the_packages(tmp_path):
    """The real entry point, with libxcb-cursor made to fail to load: one line, status 2, and
    Qt never starts (it would abort)."""
    script = ("import t2ia_desktop.core.system_libraries as libraries\n"
              "real = libraries._loads\n"
              "libraries._loads = lambda name: 'cursor' not in name and real(name)\n"
              "from t2ia_desktop.cli.main import main\n"
              "raise SystemExit(main(['gui']))\n")
    env = {key: value for key, value in os.environ.items() if key != "QT_QPA_PLATFORM"}
    env.update(DISPLAY=":987", T2IA_HOME=str(tmp_path), PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                            text=True, timeout=120, cwd=REPO)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "sudo apt install libxcb-cursor0" in lines[0]
    assert "Aborted" not in result.stderr


def test_the_banner_stays_over_overlays_made_later(window):
    """Live mode's picture (a later child of the canvas) is drawn under the banner."""
    window.live.live_action.trigger()
    QApplication.processEvents()
    siblings = [child for child in window.canvas.children() if child.isWidgetType()
                and child.isVisible()]
    assert siblings[-1] is window.first_run  # the top of the stacking order
    window.live.live_action.trigger()
