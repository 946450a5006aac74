"""The generation area in the window: the tool (A) drags and resizes its frame with the mouse in
8-pixel steps under zoom and rotation, the frame shows its size and dims the outside, and a
generation covers the area and lands there (FakeEngine at the engine boundary)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt

from t2ia_desktop.core.document.generation_area import GenerationArea
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.ui.canvas.generation_area import TOOL
from t2ia_desktop.ui.window.autosave import copy_document
from tests.builders import pixel_centre
from tests.ui.helpers import drag, finish_pending


def set_area(window, x: int, y: int, width: int, height: int) -> None:
    window.area_actions.set_area(GenerationArea(x, y, width, height))
    assert window.document.generation_area == GenerationArea(x, y, width, height)


def test_a_chooses_the_tool_and_other_tools_leave_the_frame_alone(qtbot, window):
    canvas = window.canvas
    set_area(window, 64, 48, 96, 64)
    # the brush paints
    drag(canvas, [pixel_centre(canvas, 100, 70), pixel_centre(canvas, 140, 100)])
    assert window.document.sketch_layer().pixels[..., 3].any()
    assert window.document.generation_area == GenerationArea(64, 48, 96, 64)
    qtbot.keyClick(canvas, Qt.Key.Key_A)
    assert window.tool_state.tool == TOOL
    assert window.area_actions.tool_action.isChecked()
    assert "drag inside the frame to move it" in window.statusBar().currentMessage()
    qtbot.keyClick(canvas, Qt.Key.Key_B)
    assert window.tool_state.tool == "brush"
    assert window.brush_action.isChecked()


def test_dragging_inside_moves_it_by_snapped_steps_under_zoom(qtbot, window):
    canvas = window.canvas
    set_area(window, 64, 48, 96, 64)
    canvas.set_zoom(2.0)
    window.tool_state.set_tool(TOOL)
    before = window.document.sketch_layer().pixels.copy()
    drag(canvas, [pixel_centre(canvas, 100, 70), pixel_centre(canvas, 106, 80),
                  pixel_centre(canvas, 113, 91)])
    assert window.document.generation_area == GenerationArea(80, 72, 96, 64)  # +13 → 16, +21 → 24
    assert np.array_equal(window.document.sketch_layer().pixels, before)  # nothing painted
    assert window.statusBar().currentMessage() == "Generation area 96 × 64 at 80, 72"
    assert window.undo.labels[-1] == "Generation area 96 × 64"
    window.undo_actions.undo_step()
    assert window.document.generation_area == GenerationArea(64, 48, 96, 64)
    # it stays inside the canvas
    drag(canvas, [pixel_centre(canvas, 100, 70), pixel_centre(canvas, 400, 400)])
    assert window.document.generation_area == GenerationArea(160, 128, 96, 64)


def test_handles_resize_it_and_dragging_outside_draws_a_new_one(qtbot, window):
    canvas = window.canvas
    frame = window.area_actions.frame
    set_area(window, 64, 48, 96, 64)
    canvas.set_zoom(1.5)
    window.tool_state.set_tool(TOOL)
    corner = frame.handle_points()["bottom_right"]
    assert frame.part_at(corner) == "bottom_right"
    end = canvas.from_document(canvas.to_document(corner) + QPointF(30, 18))
    drag(canvas, [corner.toPoint(), end.toPoint()])
    assert window.document.generation_area == GenerationArea(64, 48, 128, 80)
    left = frame.handle_points()["left"]
    drag(canvas, [left.toPoint(), canvas.from_document(
        canvas.to_document(left) + QPointF(100, 40)).toPoint()])
    assert window.document.generation_area == GenerationArea(128, 48, 64, 80)  # 64 at least
    drag(canvas, [pixel_centre(canvas, 10, 10), pixel_centre(canvas, 131, 99)])
    assert window.document.generation_area == GenerationArea(8, 8, 120, 88)


def test_it_follows_the_rotated_view(qtbot, window):
    canvas = window.canvas
    set_area(window, 64, 48, 96, 64)
    canvas.set_rotation(90)
    window.tool_state.set_tool(TOOL)
    start, end = pixel_centre(canvas, 100, 70), pixel_centre(canvas, 124, 70)
    assert abs(start.x() - end.x()) < 2 < abs(start.y() - end.y())  # a vertical drag on screen
    drag(canvas, [start, end])
    assert window.document.generation_area == GenerationArea(88, 48, 96, 64)


def pixel(image, window, x: float, y: float):
    point = window.canvas.from_document(QPointF(x, y)).toPoint()
    return image.pixelColor(point).lightness()


def test_the_frame_shows_its_size_and_dims_the_outside(qtbot, window):
    canvas = window.canvas
    frame = window.area_actions.frame
    shot = canvas.grab().toImage()
    assert pixel(shot, window, 20, 20) == 255  # the whole canvas: no frame, nothing dimmed
    set_area(window, 64, 48, 96, 64)
    shot = canvas.grab().toImage()
    assert pixel(shot, window, 100, 80) == 255  # inside: the paper
    assert pixel(shot, window, 20, 20) < 180  # outside: dimmed
    label = frame._label_rect
    assert not label.isEmpty()
    assert label.bottom() <= canvas.from_document(QPointF(64, 48)).y()  # above the frame
    back = QPointF(label.left() + 2, label.center().y()).toPoint()
    assert shot.pixelColor(back).lightness() < 100  # its dark back
    assert frame.area().label() == "96 × 64"
    window.area_actions.dim_action.trigger()  # View → Dim outside generation area: off
    assert pixel(canvas.grab().toImage(), window, 20, 20) == 255
    window.area_actions.dim_action.trigger()
    window.area_actions.show_action.trigger()  # View → Show generation area: off
    assert pixel(canvas.grab().toImage(), window, 20, 20) == 255
    window.tool_state.set_tool(TOOL)  # ... but the tool shows it
    assert pixel(canvas.grab().toImage(), window, 20, 20) < 180


def test_the_generate_menu_entries(qtbot, window):
    actions = window.area_actions
    actions.size_menu.aboutToShow.emit()
    assert not actions.size_actions[(1024, 1024)].isEnabled()  # the canvas is 256 × 192
    window.document.resize_canvas(1280, 1024, [np.zeros((1024, 1280, 4), np.uint8)])
    actions.size_menu.aboutToShow.emit()
    actions.size_actions[(1024, 1024)].trigger()
    assert window.document.generation_area == GenerationArea(128, 0, 1024, 1024)
    actions.whole_action.trigger()
    assert window.document.custom_area is None
    assert window.undo.labels[-2:] == ["Generation area 1024 × 1024",
                                       "Generation area: whole canvas"]


def paint_sketch(document, rows: slice, columns: slice) -> None:
    sketch = document.sketch_layer()
    sketch.pixels[rows, columns] = (20, 20, 20, 255)
    document.notify_pixels_changed(sketch, (0, 0, document.width, document.height))


def test_a_generation_covers_the_area_and_lands_there(qtbot, window, engine, loop):
    doc = window.document
    paint_sketch(doc, slice(60, 64), slice(70, 100))  # inside the area
    paint_sketch(doc, slice(5, 9), slice(5, 40))  # outside it
    set_area(window, 64, 48, 128, 96)
    window.generate_panel.batch_spin.setValue(2)
    job = window.generate()
    set_area(window, 0, 0, 64, 64)  # moved while it runs: the results land where it was
    finish_pending(loop, window)

    request = engine.calls[0]
    assert (request.width, request.height) == (128, 96)
    control = np.asarray(request.controls[0].image)
    assert control.shape == (96, 128)
    assert control[12:16, 6:36].all()
    assert control.sum() == 255 * 4 * 30
    results = [layer for layer in doc.layers if layer.kind == "result"]
    assert len(results) == 2
    assert results[0].request is job.request
    for layer, call in zip(results, engine.calls, strict=False):
        shade = call.seed % 256
        assert layer.size == (doc.width, doc.height)
        inside = layer.pixels[48:144, 64:192]
        assert (inside == (shade, 128, 255 - shade, 255)).all()
        assert layer.pixels[..., 3].sum() == 255 * 128 * 96  # transparent elsewhere


def test_image_to_image_sends_the_area_of_the_canvas(qtbot, window, engine, loop):
    doc = window.document
    paint_sketch(doc, slice(50, 52), slice(64, 72))
    set_area(window, 64, 48, 64, 64)
    window.generation_settings.mode = "img2img"
    job = window.generate()
    init = np.asarray(job.request.init_image)
    assert init.shape == (64, 64, 4)
    assert tuple(init[2, 0]) == (20, 20, 20, 255)
    assert tuple(init[10, 10]) == (0, 0, 0, 0)
    finish_pending(loop, window)


def test_restored_jobs_of_the_area_size_land_at_the_area(qtbot, window, loop):
    set_area(window, 32, 16, 64, 128)
    request = GenerationRequest("demo", "restored", width=64, height=128, steps=2, seed=7)
    (job,) = window.queue_control.restore([request], paused=False)
    finish_pending(loop, window)
    result = window.document.layers[-1]
    assert result.kind == "result"
    assert result.request is job.request
    assert tuple(result.pixels[16, 32]) == (7, 128, 248, 255)
    assert result.pixels[..., 3].sum() == 255 * 64 * 128


def test_autosave_keeps_the_area(window):
    set_area(window, 32, 16, 64, 128)
    assert copy_document(window.document).generation_area == GenerationArea(32, 16, 64, 128)


def test_live_pictures_cover_the_area_and_are_kept_there(qtbot, window):
    set_area(window, 64, 48, 96, 64)
    live = window.live
    live.set_over_canvas(True)  # the Live dock's "Over canvas"
    live.set_live(True)
    qtbot.waitUntil(lambda: live.session.result is not None and not live.session.updating,
                    timeout=20_000)
    assert live.session.result.size == (96, 64)
    shot = window.canvas.grab().toImage()
    shade = live.session.result_request.seed % 256
    inside = shot.pixelColor(pixel_centre(window.canvas, 100, 80))
    over_paper = [round(0.85 * value + 0.15 * 255) for value in (shade, 128, 255 - shade)]
    shown = [inside.red(), inside.green(), inside.blue()]
    assert max(abs(a - b) for a, b in zip(shown, over_paper, strict=True)) <= 4  # the live picture
    assert pixel(shot, window, 20, 20) < 180  # outside: the dimmed paper, no live picture
    live.keep_live_result()
    kept = window.document.layers[-1]
    assert kept.kind == "result"
    assert kept.pixels[..., 3].sum() == 255 * 96 * 64
    assert tuple(kept.pixels[48, 64]) == (shade, 128, 255 - shade, 255)
    live.set_live(False)
