"""The window end to end: draw, Generate through the real worker and runner, see the result."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
from PIL import Image
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QPlainTextEdit,
    QProgressBar,
    QSlider,
    QWidget,
)

from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.generation.jobs import JobState
from t2ia_desktop.session.tool_state import ToolState
from t2ia_desktop.ui.window.main_window import MainWindow
from tests.ui.conftest import MODELS
from tests.ui.helpers import drag, finish_pending, main_window, run_until


def draw_line(window: MainWindow) -> None:
    """A horizontal stroke across the document at y = 96, drawn with the mouse."""
    canvas = window.canvas
    drag(canvas, [canvas.from_document(QPointF(x, 96)).toPoint() for x in (40, 120, 200)])


def set_prompt(window: MainWindow, text: str) -> None:
    window.generate_panel.prompt_edit.setPlainText(text)


def test_window_basics(window, runner):
    assert window.windowTitle() == "Untitled — t2ia desktop"
    assert window.statusBar().currentMessage() == "Ready to draw"
    panel = window.generate_panel
    assert panel.model_combo.currentText() == "demo (random weights)"
    assert panel.model_combo.count() == len(MODELS)
    for dock in (window.generate_dock, window.layers_dock, window.queue_dock):
        assert window.dockWidgetArea(dock) == Qt.DockWidgetArea.RightDockWidgetArea
    for dock in (window.preview_dock, window.condition_dock):
        assert window.dockWidgetArea(dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert window.queue_panel.queue is runner.queue


def test_generate_adds_the_result_above_the_sketch_with_the_request(window, loop, engine):
    draw_line(window)
    panel = window.generate_panel
    set_prompt(window, "a lighthouse on a cliff")
    panel.negative_edit.setPlainText("blurry")
    panel.model_combo.setCurrentIndex(1)
    panel.conditioning_scale_slider.setValue(0.75)
    panel.step_fraction_slider.setValue(0.5)
    panel.steps_spin.setValue(4)
    panel.guidance_spin.setValue(5.0)
    panel.seed_spin.setValue(1234)

    job = window.generate()
    finish_pending(loop, window)

    assert job is not None
    assert job.state is JobState.DONE
    document = window.document
    sketch = document.sketch_layer()
    result = document.layers[-1]
    assert result.kind == "result"
    assert document.layers.index(sketch) < document.layers.index(result)
    request = result.request
    assert request is job.request
    assert engine.calls == [request]
    assert request.prompt == "a lighthouse on a cliff"
    assert request.negative_prompt == "blurry"
    assert (request.model, request.family) == (MODELS[1][1], "sdxl")
    assert request.steps == 4
    assert request.seed == 1234
    assert request.guidance_scale == 5.0
    assert request.adapter_conditioning_factor == 0.5
    assert request.scheduler == "euler-a"
    assert (request.width, request.height) == (document.width, document.height)
    (control,) = request.controls
    assert control.condition == "sketch"
    assert control.adapter is None
    assert control.conditioning_scale == 0.75
    assert np.array_equal(np.array(control.image), sketch.pixels[..., 3])
    # the fake paints (seed % 256, 128, 255 - seed % 256): the layer holds that very image
    assert tuple(result.pixels[5, 5]) == (1234 % 256, 128, 255 - 1234 % 256, 255)
    assert window.canvas.composite_image().pixelColor(5, 5).green() == 128
    row = window.queue_panel.rows[job.id]
    assert row.state_label.text() == "Done"
    assert row.progress_bar.value() == 4
    assert row.cancel_button.isHidden()
    assert window.layers_panel.row_for(result).name_label.text() == "Result 1  ·  seed 1234"


def test_blank_sketch_gives_a_request_without_controls(window, loop, engine):
    set_prompt(window, "free painting")
    window.generate()
    finish_pending(loop, window)
    assert engine.calls[-1].controls == ()
    assert window.document.layers[-1].request.controls == ()


def test_a_failed_job_shows_its_reason_and_the_next_one_runs(window, loop, runner):
    set_prompt(window, "fail: the adapter weights are missing")
    failed = window.generate()
    finish_pending(loop, window)

    assert failed.state is JobState.FAILED
    row = window.queue_panel.rows[failed.id]
    assert row.state_label.text() == "Failed"
    assert row.error_label.text() == "the adapter weights are missing"
    assert row.error_label.toolTip() == "the adapter weights are missing"
    assert row.error_label.isVisibleTo(row)
    assert row.cancel_button.isHidden()
    flags = row.error_label.textInteractionFlags()
    assert flags & Qt.TextInteractionFlag.TextSelectableByMouse
    assert "the adapter weights are missing" in window.statusBar().currentMessage()
    assert [layer.kind for layer in window.document.layers] == ["sketch"]

    set_prompt(window, "a quiet harbour")
    done = window.generate()
    finish_pending(loop, window)
    assert done.state is JobState.DONE
    assert window.document.layers[-1].request.prompt == "a quiet harbour"

    window.queue_panel.clear_button.click()
    assert len(runner.queue) == 0
    assert window.queue_panel.rows == {}


def test_cancel_on_a_running_job_stops_it_and_the_next_one_runs(
    qtbot, window, loop, engine, runner
):
    engine.gate = threading.Event()  # hold each job at its first step
    set_prompt(window, "held")
    first = window.generate()
    set_prompt(window, "next")
    second = window.generate()
    assert first.state is JobState.RUNNING
    assert second.state is JobState.QUEUED
    row = window.queue_panel.rows[first.id]
    assert row.cancel_button.isVisibleTo(row)

    qtbot.mouseClick(row.cancel_button, Qt.MouseButton.LeftButton)
    assert row.state_label.text() == "Cancelling…"
    run_until(loop, runner, lambda: first.state is JobState.CANCELLED)
    assert second.state is JobState.RUNNING
    engine.gate.set()
    finish_pending(loop, window)

    assert second.state is JobState.DONE
    assert [layer.request.prompt for layer in window.document.layers[1:]] == ["next"]
    assert row.state_label.text() == "Cancelled"
    assert row.cancel_button.isHidden()
    assert not window.generation.pending_tasks  # both ended, the cancelled one quietly


def test_cancel_on_a_queued_job_removes_it_from_the_run(qtbot, window, loop, engine, runner):
    engine.gate = threading.Event()
    set_prompt(window, "first")
    first = window.generate()
    set_prompt(window, "never")
    queued = window.generate()
    qtbot.mouseClick(window.queue_panel.rows[queued.id].cancel_button, Qt.MouseButton.LeftButton)
    assert queued.state is JobState.CANCELLED
    engine.gate.set()
    finish_pending(loop, window)
    assert first.state is JobState.DONE
    assert [call.prompt for call in engine.calls] == ["first"]


def test_bad_input_is_told_and_nothing_is_queued(qtbot, loop, runner, scheduler):
    document = Document.with_sketch_layer(40, 40)  # smaller than the 64 a generation needs
    window = main_window(document, runner, MODELS, scheduler=scheduler, tool_state=ToolState())
    qtbot.addWidget(window)
    assert window.generate() is None
    assert len(runner.queue) == 0
    assert not window.generation.pending_tasks
    assert "multiple of 8" in window.statusBar().currentMessage()


def test_ctrl_return_in_the_prompt_generates(qtbot, window, loop, runner):
    prompt = window.generate_panel.prompt_edit
    window.activateWindow()
    qtbot.waitActive(window)
    prompt.setFocus()
    qtbot.keyClicks(prompt, "boats")
    qtbot.keyClick(prompt, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert len(runner.queue) == 1
    assert prompt.toPlainText() == "boats"  # Ctrl+Return generates, it adds no line
    finish_pending(loop, window)
    assert window.document.layers[-1].request.prompt == "boats"


def test_painters_keys_change_tool_and_size_but_not_while_typing(qtbot, window):
    window.activateWindow()
    qtbot.waitActive(window)
    canvas = window.canvas
    canvas.setFocus()
    window.tool_state.set_brush_size(20)
    qtbot.keyClick(canvas, Qt.Key.Key_BracketRight)
    assert window.tool_state.brush_size == 22
    assert window.window_layout.size_spin.value() == 22
    assert window.window_layout.size_slider.value() == 22
    qtbot.keyClick(canvas, Qt.Key.Key_BracketLeft)
    qtbot.keyClick(canvas, Qt.Key.Key_BracketLeft)
    assert window.tool_state.brush_size < 22
    qtbot.keyClick(canvas, Qt.Key.Key_E)
    assert window.tool_state.tool == "eraser"
    assert window.eraser_action.isChecked()
    qtbot.keyClick(canvas, Qt.Key.Key_B)
    assert window.tool_state.tool == "brush"
    assert window.brush_action.isChecked()

    size = window.tool_state.brush_size
    prompt = window.generate_panel.prompt_edit
    prompt.setFocus()
    qtbot.keyClicks(prompt, "e[b]")
    assert prompt.toPlainText() == "e[b]"
    assert window.tool_state.tool == "brush"
    assert window.tool_state.brush_size == size

    window.window_layout.size_spin.setValue(40)
    assert window.tool_state.brush_size == 40
    assert window.window_layout.size_slider.value() == 40


def test_toolbar_clear_clears_the_sketch_and_undo_brings_it_back(window):
    draw_line(window)
    sketch = window.document.sketch_layer()
    drawn = sketch.pixels.copy()
    window.clear_action.trigger()
    assert sketch.is_blank()
    assert not window.clear_action.isEnabled()
    assert window.undo_action.text() == "Undo Clear sketch"
    window.undo_action.trigger()
    assert np.array_equal(sketch.pixels, drawn)
    assert window.clear_action.isEnabled()


def test_export_saves_the_visible_layers_flattened(window, tmp_path):
    draw_line(window)
    path = tmp_path / "picture.png"
    assert window.files.export_to(path)
    with Image.open(path) as image:
        assert image.size == (window.document.width, window.document.height)
        assert image.mode == "RGBA"
        assert image.getpixel((100, 96))[0] < 60
        assert image.getpixel((100, 96))[3] == 255
        assert image.getpixel((100, 20))[3] == 0  # no paper: transparent where nothing is
    jpeg = tmp_path / "picture.jpg"
    assert window.files.export_to(jpeg)
    with Image.open(jpeg) as image:  # JPEG has no transparency: the paper is white
        assert image.mode == "RGB"
        assert min(image.getpixel((100, 20))) > 245


def test_closing_the_window_cancels_waiting_deliveries(window, loop, engine):
    engine.gate = threading.Event()
    window.generate()
    tasks = list(window.generation.pending_tasks)
    window.close()
    assert all(task.cancelled() or task.cancelling() for task in tasks)
    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    assert [layer.kind for layer in window.document.layers] == ["sketch"]


def test_every_control_has_a_tooltip(qtbot, window, loop, square_photo):
    photo = window.import_photo(square_photo)
    window.layers_panel.select(photo)
    with qtbot.waitSignal(window.document.pixels_changed, timeout=60_000,
                          check_params_cb=lambda layer, _rect: layer.kind == "condition"):
        window.condition_actions.add_condition("canny")  # rows, parameter controls, preview
    window.generate()
    finish_pending(loop, window)
    kinds = (QAbstractButton, QAbstractSpinBox, QComboBox, QPlainTextEdit, QSlider, QProgressBar)
    controls = [
        widget
        for widget in window.findChildren(QWidget)
        if isinstance(widget, kinds) and not widget.objectName().startswith("qt_")
    ]
    assert len(controls) >= 40
    missing = [
        f"{type(c).__name__} {getattr(c, 'text', str)()!r}" for c in controls if not c.toolTip()
    ]
    assert not missing
