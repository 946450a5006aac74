"""Compare view, status bar device/model/memory, Details… of a failed job, and the Help menu."""

from __future__ import annotations

import re

import pytest
from PIL import Image
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenuBar, QWidget

from t2ia_desktop.core.generation.jobs import JobState
from t2ia_desktop.core.paths import log_dir
from t2ia_desktop.runtime.system_info import NOT_LOADED, MemoryUse, memory_in_use
from t2ia_desktop.ui.actions import help as help_module
from t2ia_desktop.ui.actions.help import HelpMenu
from t2ia_desktop.ui.common.error_details import ErrorDetailsDialog
from t2ia_desktop.ui.window.main_window import MainWindow
from tests.ui.helpers import drag, finish_pending

RED = (220, 30, 30)


def shown(window: MainWindow, x: float, y: float) -> tuple[int, int, int]:
    """The colour the canvas shows (grabbed from the screen) over document pixel (x, y)."""
    canvas = window.canvas
    canvas.repaint()
    point = canvas.from_document(QPointF(x + 0.5, y + 0.5)).toPoint()
    colour = canvas.grab().toImage().pixelColor(point)
    return colour.red(), colour.green(), colour.blue()


def add_red_result(window: MainWindow):
    drag(window.canvas, [window.canvas.from_document(QPointF(x, 150)).toPoint()
                         for x in (10, 250)])  # a dark stroke across the sketch, at y = 150
    size = (window.document.width, window.document.height)
    return window.edits.add_result(Image.new("RGB", size, RED), None)


def test_compare_splits_the_canvas_between_the_result_and_below(qtbot, window):
    compare = window.results.compare
    compare.action.trigger()  # nothing to compare yet: it says so and stays off
    assert not compare.enabled
    assert "Nothing to compare" in window.statusBar().currentMessage()
    add_red_result(window)
    assert shown(window, 40, 150) == RED
    assert shown(window, 200, 150) == RED
    QTest.keyClick(window.canvas, Qt.Key.Key_C)  # the shortcut
    assert compare.enabled
    assert shown(window, 40, 150) == RED  # left of the split: the result
    assert max(shown(window, 200, 150)) < 80  # right of it: the dark stroke below
    assert shown(window, 200, 60) == (255, 255, 255)  # and the paper
    compare.slider.setValue(90)  # slide the line right: the result covers more
    assert shown(window, 200, 150) == RED
    compare.slider.setValue(5)
    assert max(shown(window, 40, 150)) < 80
    QTest.keyClick(window.canvas, Qt.Key.Key_C)
    assert not compare.enabled
    assert shown(window, 40, 150) == RED


def test_compare_follows_the_selected_result(qtbot, window):
    first = add_red_result(window)
    size = (window.document.width, window.document.height)
    window.edits.add_result(Image.new("RGB", size, (30, 200, 30)), None)
    window.results.compare.set_split(0.0)  # all "below"
    window.results.compare.set_enabled(True)
    assert shown(window, 200, 60) == RED  # below the top result: the red one
    window.layers_panel.select(first)
    assert shown(window, 200, 60) == (255, 255, 255)  # below the red one: paper


def test_status_bar_shows_device_model_and_memory(qtbot, window, loop, engine):
    status = window.results.status
    assert status.device_label.text() == NOT_LOADED
    assert status.model_label.text() == "Model: demo (random weights)"
    assert re.fullmatch(r"RAM \d+(\.\d)? [MG]B", status.memory_label.text())
    assert status.timer.isActive()
    window.generate_panel.model_combo.setCurrentIndex(1)
    assert status.model_label.text() == "Model: SDXL base 1.0"
    window.generate_panel.steps_spin.setValue(2)
    with qtbot.waitSignal(window.runner.worker.executor.engine_ready, timeout=10_000):
        window.generate()
        finish_pending(loop, window)
    assert status.device_label.text() == "CPU"  # the fake engine has no device: CPU
    window.close()
    assert not status.timer.isActive()  # no timer outlives the window


def test_memory_in_use_reads_the_process():
    use = memory_in_use()
    assert use.resident > 10 * 1024**2
    assert MemoryUse(3 * 1024**3, 512 * 1024**2).text() == "RAM 3.0 GB · VRAM 512 MB"


def test_a_failed_job_has_copyable_details(qtbot, window, loop):
    window.generate_panel.prompt_edit.setPlainText("fail: the adapter weights are missing")
    job = window.generate()
    finish_pending(loop, window)
    assert job.state is JobState.FAILED
    assert "Traceback" in job.details
    assert "T2IAError" in job.details
    row = window.queue_panel.rows[job.id]
    assert row.details_button.isVisibleTo(row)
    row.details_button.click()
    (dialog,) = [w for w in QApplication.topLevelWidgets()
                 if isinstance(w, ErrorDetailsDialog) and w.isVisible()]
    assert dialog.windowTitle() == f"Why job {job.id} failed"
    text = dialog.text_edit.toPlainText()
    assert text.startswith("the adapter weights are missing")
    assert "Traceback (most recent call last)" in text
    assert "fail:" in text
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == text
    dialog.close()


def test_help_opens_the_log_folder_and_about(qtbot, window):
    help_menu = window.results.help
    assert help_menu.menu.title() == "&Help"
    opened = []
    help_menu.open_url = opened.append
    help_menu.log_action.trigger()
    assert [url.toLocalFile() for url in opened] == [str(log_dir())]
    assert log_dir().is_dir()
    help_menu.about_action.trigger()
    box = help_menu.about_box
    assert box is not None
    assert box.isVisible()
    assert "t2ia desktop" in box.text()
    box.close()



def test_the_help_menu_fills_the_menu_bar_it_is_given(qtbot, monkeypatch, tmp_path):
    parent = QWidget()
    qtbot.addWidget(parent)
    menu_bar = QMenuBar(parent)
    said: list[str] = []
    help_menu = HelpMenu(menu_bar, said.append, parent)
    assert [action.text() for action in menu_bar.actions()] == ["&Help"]
    (tmp_path / "taken").write_text("a file where the log folder would go")
    monkeypatch.setattr(help_module, "log_dir", lambda: tmp_path / "taken" / "logs")
    help_menu.open_url = lambda url: pytest.fail("a folder that is not there is not opened")
    help_menu.log_action.trigger()
    assert len(said) == 1
    assert said[0].startswith(f"Cannot open the log folder {tmp_path / 'taken' / 'logs'}")
    box = help_menu.show_about()
    assert box.parent() is parent
    box.close()
