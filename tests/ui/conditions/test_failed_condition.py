"""A condition layer that cannot give a control image (its detector lacks weights) is told
once, compactly, without breaking the docks; Generate asks before leaving it out."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from t2ia_desktop.core.settings import SettingsStore
from t2ia_desktop.ui.queue.job_row import JobRow
from t2ia_desktop.ui.window.main_window import MainWindow
from tests.ui.helpers import click_row, detected, finish_pending, menu_action

DETECT_TIMEOUT = 60_000


def failed_pose(qtbot, window: MainWindow, photo_path: str, monkeypatch, folder):
    """Import a photo and add a pose layer whose detector has no weights (offline)."""
    monkeypatch.setenv("T2IA_ANNOTATORS", str(folder))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    photo = window.import_photo(photo_path)
    click_row(qtbot, window, photo)
    with qtbot.waitSignal(window.document.layer_changed, timeout=DETECT_TIMEOUT,
                          check_params_cb=lambda layer: bool(layer.condition
                                                             and layer.condition.error)):
        menu_action(window, "openpose").trigger()
    return photo, next(layer for layer in window.document.layers
                       if layer.condition and layer.condition.condition == "openpose")


def span(widget: QWidget, panel: QWidget) -> tuple[int, int]:
    top = widget.mapTo(panel, widget.rect().topLeft()).y()
    return top, top + widget.height()


def test_the_failure_is_one_line_on_its_row_and_the_docks_keep_their_width(
    qtbot, window, square_photo, monkeypatch, tmp_path
):
    window.resize(1280, 800)
    qtbot.wait(50)
    widths = {dock: dock.width() for dock in (window.condition_dock, window.preview_dock)}
    _photo, pose = failed_pose(qtbot, window, square_photo, monkeypatch, tmp_path)
    qtbot.wait(50)
    QApplication.processEvents()
    for dock, width in widths.items():
        assert dock.width() <= width + 2, dock.windowTitle()  # no message widens a column
    panel = window.condition_panel
    assert panel.layer is pose
    assert "body_pose_model.pth" in panel.status_label.text()  # the one full account
    rows = [panel.source_combo, panel.scale_slider, panel.step_range, panel.enabled_check]
    spans = [span(widget, panel) for widget in rows]
    for (_top, bottom), (next_top, _bottom) in zip(spans, spans[1:], strict=False):
        assert bottom <= next_top  # rows never overlap
    assert all(widget.height() >= widget.minimumSizeHint().height() for widget in rows)
    row = window.layers_panel.row_for(pose)
    assert row.error_label.text().startswith("⚠ ")
    assert row.error_label.fontMetrics().horizontalAdvance(row.error_label.text()) < 400
    texts = [label.text() for label in window.findChildren(type(panel.status_label))
             if label.isVisible()]
    assert sum("body_pose_model.pth" in text for text in texts) == 1  # said once


def test_generate_asks_before_leaving_a_failed_layer_out(
    qtbot, loop, window, engine, square_photo, monkeypatch, tmp_path
):
    _photo, pose = failed_pose(qtbot, window, square_photo, monkeypatch, tmp_path / "none")
    with detected(qtbot, window.document) as got:
        menu_action(window, "canny").trigger()  # a working control beside it
    edges = got.args[0]
    store = SettingsStore(tmp_path / "settings.json")
    window.generation.preferences = store
    queue = window.runner.queue
    answers = iter([(False, False), (True, True)])
    asked = []
    window.generation.ask_without = lambda names: asked.append(names) or next(answers)
    assert window.generate() is None  # Cancel: nothing queued
    assert len(queue) == 0
    job = window.generate()  # Generate without it, don't ask again
    assert asked == [[pose.name], [pose.name]]
    assert [c.condition for c in job.request.controls] == ["canny"]
    assert not store.settings.ask_before_leaving_out
    assert not SettingsStore(tmp_path / "settings.json").settings.ask_before_leaving_out  # kept
    assert window.generate() is not None  # not asked again
    assert len(asked) == 2
    finish_pending(loop, window)
    row = window.queue_panel.findChildren(JobRow)[0]
    assert row.facts_label.text() == f"canny 1 · seed {row.job.request.seed}"
    assert edges.condition.error == ""


def test_the_question_is_a_real_dialog_with_dont_ask_again(
    qtbot, window, square_photo, monkeypatch, tmp_path
):
    failed_pose(qtbot, window, square_photo, monkeypatch, tmp_path)

    def answer() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        assert "no control image" in box.text()
        box.checkBox().setChecked(True)
        (without,) = [b for b in box.buttons() if b.text() == "Generate without it"]
        without.click()

    QTimer.singleShot(100, answer)
    job = window.generate()
    assert job is not None
    assert job.request.controls == ()
    assert window.generate() is not None  # no dialog this time (it would block the test)
