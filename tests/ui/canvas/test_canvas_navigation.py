"""Zoom, pan and rotation of the canvas view, driven by real input events; strokes land under
the cursor whatever the view."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from t2ia_desktop.core.document.document import Document
from t2ia_desktop.session.tool_state import ToolState
from t2ia_desktop.ui.canvas.view import PAPER_MARGIN, CanvasView
from t2ia_desktop.ui.canvas.view_transform import ZOOM_STEP
from tests.builders import pixel_centre
from tests.ui.canvas_input import button_drag, key, pinch, wheel
from tests.ui.helpers import drag, shown_canvas


@pytest.fixture
def canvas(qtbot, document: Document, tool_state: ToolState) -> CanvasView:
    return shown_canvas(qtbot, document, tool_state)


def ink(document: Document) -> np.ndarray:
    return document.sketch_layer().pixels[..., 3]


def assert_dot_at(document: Document, x: int, y: int) -> None:
    """A dot was painted centred near (x, y) and nowhere far from it."""
    alpha = ink(document)
    ys, xs = np.nonzero(alpha > 128)
    assert xs.size, "nothing was painted"
    assert abs(xs.mean() - x) <= 1.5
    assert abs(ys.mean() - y) <= 1.5


def test_ctrl_wheel_zooms_around_the_cursor_and_strokes_follow(canvas, document, tool_state):
    cursor = pixel_centre(canvas, 60, 40)
    under = canvas.to_document(QPointF(cursor))
    before = canvas.scale()
    wheel(canvas, cursor, 2, modifiers=Qt.KeyboardModifier.ControlModifier)
    assert canvas.scale() == pytest.approx(before * ZOOM_STEP ** 2)
    still = canvas.to_document(QPointF(cursor))
    assert (still.x(), still.y()) == pytest.approx((under.x(), under.y()), abs=1e-6)
    assert not canvas.view.fitted

    tool_state.set_brush_size(4)
    drag(canvas, [pixel_centre(canvas, 100, 90)])
    assert_dot_at(document, 100, 90)


def test_plain_wheel_scrolls_and_shift_wheel_scrolls_sideways(canvas):
    paper = canvas.paper_rect()
    wheel(canvas, QPoint(50, 50), -1)  # wheel towards you: the paper moves up
    moved = canvas.paper_rect()
    assert moved.top() < paper.top()
    assert moved.left() == pytest.approx(paper.left())
    wheel(canvas, QPoint(50, 50), -1, modifiers=Qt.KeyboardModifier.ShiftModifier)
    assert canvas.paper_rect().left() < moved.left()


def test_middle_button_and_space_drags_pan_without_painting(qtbot, canvas, document, tool_state):
    paper = canvas.paper_rect()
    button_drag(canvas, Qt.MouseButton.MiddleButton, [QPoint(100, 100), QPoint(140, 120)])
    assert canvas.paper_rect().topLeft() - paper.topLeft() == QPointF(40, 20)

    canvas.setFocus()
    key(canvas, Qt.Key.Key_Space, True)
    drag(canvas, [QPoint(200, 200), QPoint(180, 190), QPoint(170, 170)])
    key(canvas, Qt.Key.Key_Space, False)
    assert canvas.paper_rect().topLeft() - paper.topLeft() == QPointF(10, -10)
    assert not ink(document).any()

    tool_state.set_brush_size(4)  # Space released: the left button paints again under the cursor
    drag(canvas, [pixel_centre(canvas, 30, 30)])
    assert_dot_at(document, 30, 30)


@pytest.mark.parametrize("turns", [1, 3, -2])
def test_strokes_land_under_the_cursor_in_a_rotated_zoomed_view(canvas, document, turns,
                                                                 tool_state):
    canvas.set_zoom(3.1, QPointF(canvas.width() / 2, canvas.height() / 2))
    for _ in range(abs(turns)):
        (canvas.rotate_right if turns > 0 else canvas.rotate_left)()
    assert canvas.view.rotation == pytest.approx(15 * turns)
    tool_state.set_brush_size(6)
    drag(canvas, [pixel_centre(canvas, 128, 96), pixel_centre(canvas, 140, 96)])
    alpha = ink(document)
    assert alpha[96, 128:141].min() > 200  # a horizontal line in the document, as drawn
    assert alpha[90, 128:141].max() == 0
    assert alpha[102, 128:141].max() == 0
    shown = canvas.grab().toImage()  # ...and it is on screen where the cursor went
    assert shown.pixelColor(pixel_centre(canvas, 134, 96)).value() < 80
    canvas.reset_rotation()
    assert canvas.view.rotation == 0


def test_r_drag_turns_the_view_around_its_centre(canvas):
    centre = QPoint(canvas.width() // 2, canvas.height() // 2)
    canvas.setFocus()
    key(canvas, Qt.Key.Key_R, True)
    drag(canvas, [centre + QPoint(100, 0), centre + QPoint(100, 100), centre + QPoint(0, 100)])
    key(canvas, Qt.Key.Key_R, False)
    assert canvas.view.rotation == pytest.approx(90, abs=0.5)
    assert not canvas.document.sketch_layer().pixels.any()


def test_fit_and_actual_size_and_fit_follows_the_window(canvas, document):
    canvas.actual_size()
    assert canvas.scale() == 1
    canvas.pan(30, 10)
    canvas.fit()
    assert canvas.scale() == pytest.approx(2)
    assert canvas.paper_rect().center().x() == pytest.approx(canvas.width() / 2)
    canvas.resize(600, 300)
    assert canvas.scale() == pytest.approx((300 - 2 * PAPER_MARGIN) / document.height)
    canvas.set_rotation(90)  # a fitted view fits the turned paper
    assert canvas.scale() == pytest.approx((300 - 2 * PAPER_MARGIN) / document.width)


def test_a_pinch_zooms_around_the_fingers(canvas):
    fingers = pixel_centre(canvas, 200, 50)
    under = canvas.to_document(QPointF(fingers))
    pinch(canvas, fingers, 0.5)
    assert canvas.scale() == pytest.approx(3)
    still = canvas.to_document(QPointF(fingers))
    assert (still.x(), still.y()) == pytest.approx((under.x(), under.y()), abs=1e-6)
    pinch(canvas, fingers, 10, Qt.NativeGestureType.RotateNativeGesture)
    assert canvas.view.rotation == pytest.approx(-10)


def test_view_keys_menu_and_zoom_shown_in_the_status_bar(qtbot, window):
    window.activateWindow()
    qtbot.waitActive(window)
    canvas = window.canvas
    canvas.setFocus()
    label = window.canvas_actions.zoom_label
    assert label.text() == f"{canvas.zoom_percent()} %"
    qtbot.keyClick(canvas, Qt.Key.Key_1)
    assert canvas.scale() == 1
    assert label.text() == "100 %"
    qtbot.keyClick(canvas, Qt.Key.Key_Plus)
    assert canvas.scale() == pytest.approx(ZOOM_STEP)
    assert label.text() == "119 %"
    qtbot.keyClick(canvas, Qt.Key.Key_Minus)
    qtbot.keyClick(canvas, Qt.Key.Key_Minus)
    assert canvas.scale() == pytest.approx(1 / ZOOM_STEP)
    qtbot.keyClick(canvas, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert canvas.view.fitted
    texts = [action.text() for action in window.view_menu.actions()]
    for wanted in ("Zoom in", "Zoom out", "Fit on screen", "Actual pixels (100 %)",
                   "Rotate view left", "Rotate view right", "Reset rotation"):
        assert wanted in texts
    window.canvas_actions.rotate_right_action.trigger()
    assert canvas.view.rotation == 15
    assert "+15°" in label.text()
