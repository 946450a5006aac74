"""The Transform tool driven by real mouse drags: rotating outside the frame (Shift snaps),
the painter's live preview, transforming only the selected pixels with the selection moving
along, and exact undo."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from t2ia_desktop.core.document.document import Document
from t2ia_desktop.session.tool_state import ToolState
from t2ia_desktop.ui.canvas.view import CanvasView
from t2ia_desktop.ui.tools.selection import SelectionTools
from t2ia_desktop.ui.tools.transform import TransformTool
from tests.builders import widget_point
from tests.ui.helpers import drag
from tests.ui.tools.test_selection_tools import registered


@pytest.fixture
def selection(canvas: CanvasView, tool_state: ToolState) -> SelectionTools:
    return registered(canvas, SelectionTools(canvas, tool_state))


@pytest.fixture
def transform(canvas: CanvasView, selection: SelectionTools,
              tool_state: ToolState) -> TransformTool:
    tool = TransformTool(canvas, tool_state)
    canvas.add_tool("transform", tool)
    tool_state.set_tool("transform")
    return tool


@pytest.fixture
def bar(document: Document) -> np.ndarray:
    """A 30×10 bar at (40, 50) on the sketch layer, red with a blue left end; the layer before."""
    pixels = document.sketch_layer().pixels
    pixels[50:60, 40:70] = (220, 30, 30, 255)
    pixels[50:60, 40:45] = (30, 30, 220, 255)
    return pixels.copy()


def send(canvas: CanvasView, kind: QEvent.Type, point: QPoint,
         buttons: Qt.MouseButton = Qt.MouseButton.NoButton,
         modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    changed = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else \
        Qt.MouseButton.LeftButton
    QApplication.sendEvent(canvas, QMouseEvent(kind, QPointF(point),
                                               QPointF(canvas.mapToGlobal(point)), changed,
                                               buttons, modifiers))


def content(document: Document) -> np.ndarray:
    pixels = document.sketch_layer().pixels
    alpha = pixels[..., 3] > 0
    rows, columns = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(alpha.any(axis=0))
    return pixels[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]


def test_dragging_outside_the_frame_rotates_and_the_cursor_says_so(qtbot, canvas, transform,
                                                                     document, undo, bar):
    assert transform.begin()  # as choosing the tool in the window does
    # the bar's centre is (55, 55); outside its frame the cursor turns into the rotate one
    send(canvas, QEvent.Type.MouseMove, widget_point(canvas, 100, 55))
    assert canvas.cursor().shape() == Qt.CursorShape.BitmapCursor
    send(canvas, QEvent.Type.MouseMove, widget_point(canvas, 55, 55))
    assert canvas.cursor().shape() == Qt.CursorShape.SizeAllCursor
    send(canvas, QEvent.Type.MouseMove, widget_point(canvas, 70, 60))
    assert canvas.cursor().shape() == Qt.CursorShape.SizeFDiagCursor
    # from the right of the centre to straight below it: a quarter turn clockwise
    drag(canvas, [widget_point(canvas, 100, 55), widget_point(canvas, 90, 80),
                  widget_point(canvas, 55, 100)])
    assert transform.session.angle == pytest.approx(90.0, abs=0.5)
    qtbot.keyClick(canvas, Qt.Key.Key_Return)
    assert undo.labels == ["Transform Sketch"]
    turned = content(document)
    assert turned.shape == (30, 10, 4)
    assert (turned[:5] == (30, 30, 220, 255)).all()  # the blue end is now at the top
    assert (turned[5:] == (220, 30, 30, 255)).all()
    undo.undo()
    assert np.array_equal(document.sketch_layer().pixels, bar)


def test_shift_snaps_the_rotation_to_15_degrees(qtbot, canvas, transform, document, bar):
    points = [widget_point(canvas, 100, 55), widget_point(canvas, 100, 75),
              widget_point(canvas, 100, 90)]  # about 38°
    send(canvas, QEvent.Type.MouseButtonPress, points[0], Qt.MouseButton.LeftButton,
         Qt.KeyboardModifier.ShiftModifier)
    for point in points[1:]:
        send(canvas, QEvent.Type.MouseMove, point, Qt.MouseButton.LeftButton,
             Qt.KeyboardModifier.ShiftModifier)
    send(canvas, QEvent.Type.MouseButtonRelease, points[-1], Qt.MouseButton.NoButton,
         Qt.KeyboardModifier.ShiftModifier)
    assert transform.session.angle == 45.0
    alpha = document.sketch_layer().pixels[..., 3]
    assert alpha[55, 55] == 255
    assert alpha[50, 40] == 0
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert np.array_equal(document.sketch_layer().pixels, bar)


def test_the_live_preview_draws_the_piece_without_touching_the_layer_mid_drag(
        qtbot, canvas, transform, document, bar):
    QtBot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=widget_point(canvas, 55, 55))
    send(canvas, QEvent.Type.MouseMove, widget_point(canvas, 155, 105), Qt.MouseButton.LeftButton)
    pixels = document.sketch_layer().pixels
    assert not pixels[..., 3].any()  # the layer shows the hole: nothing resampled yet
    shot = canvas.grab().toImage()
    colour = shot.pixelColor(widget_point(canvas, 160, 105))  # the red part, 100, 50 further
    assert colour.red() > 180
    assert colour.green() < 80
    QtBot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=widget_point(canvas, 155, 105))
    assert (pixels[100:110, 140:170, 3] == 255).all()  # rendered once, on release


def test_with_a_selection_only_the_selected_pixels_move_and_the_selection_follows(
        qtbot, canvas, selection, transform, document, undo, bar, tool_state):
    tool_state.set_tool("rect_select")
    # the left half of the bar
    drag(canvas, [widget_point(canvas, 38, 48), widget_point(canvas, 55, 62)])
    chosen = selection.selection.mask.copy()
    tool_state.set_tool("transform")
    assert transform.begin()
    assert transform.session.source == (40, 50, 15, 10)
    drag(canvas, [widget_point(canvas, 45, 55), widget_point(canvas, 60, 85),
                  widget_point(canvas, 75, 105)])
    qtbot.keyClick(canvas, Qt.Key.Key_Return)
    pixels = document.sketch_layer().pixels
    assert np.array_equal(pixels[50:60, 55:70], bar[50:60, 55:70])  # unselected: untouched
    assert not pixels[50:60, 40:55].any()  # the hole is transparent
    assert np.array_equal(pixels[100:110, 70:85], bar[50:60, 40:55])  # the piece, moved
    moved = np.roll(np.roll(chosen, 50, axis=0), 30, axis=1)
    assert np.array_equal(selection.selection.mask, moved)  # the selection went along
    assert undo.labels == ["Select rectangle", "Move Sketch"]
    undo.undo()
    assert np.array_equal(pixels, bar)
    assert np.array_equal(selection.selection.mask, chosen)
    undo.redo()
    assert np.array_equal(selection.selection.mask, moved)
    assert np.array_equal(pixels[100:110, 70:85], bar[50:60, 40:55])


def test_flips_and_turns_change_the_transform_in_progress(qtbot, canvas, transform, document,
                                                         undo, bar):
    assert transform.begin()
    transform.flip(True)
    assert (content(document)[:, -5:] == (30, 30, 220, 255)).all()  # blue end on the right
    transform.turn(1)
    assert transform.session.angle == 90.0
    assert undo.labels == []
    qtbot.keyClick(canvas, Qt.Key.Key_Return)
    turned = content(document)
    assert np.array_equal(turned, np.rot90(bar[50:60, 40:70, :][:, ::-1], -1))
    assert len(undo.labels) == 1
    undo.undo()
    assert np.array_equal(document.sketch_layer().pixels, bar)
