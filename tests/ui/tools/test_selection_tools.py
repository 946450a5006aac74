"""Rectangle and lasso selections drawn with real mouse events (under zoom and rotation), what
they clip, clear and fill, and how a mask layer shows on the canvas."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QMouseEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from t2ia_desktop.core.document.document import Document, Layer, blank_pixels
from t2ia_desktop.core.document.fill import bounds
from t2ia_desktop.core.document.selection import polygon_mask, rectangle_mask
from t2ia_desktop.session.tool_state import ToolState
from t2ia_desktop.ui.canvas.view import CanvasView
from t2ia_desktop.ui.tools.selection import SelectionTools
from t2ia_desktop.ui.tools.transform import TransformTool
from tests.builders import widget_point
from tests.ui.helpers import drag


@pytest.fixture
def tools(canvas: CanvasView, tool_state: ToolState) -> SelectionTools:
    return registered(canvas, SelectionTools(canvas, tool_state))


def registered(canvas: CanvasView, tools: SelectionTools) -> SelectionTools:
    """``tools`` with its rectangle and lasso registered with ``canvas``, as the window does."""
    for name, tool in tools.canvas_tools().items():
        canvas.add_tool(name, tool)
    return tools


def modified_drag(canvas: CanvasView, points: list[QPoint],
                  modifier: Qt.KeyboardModifier) -> None:
    """A drag with ``modifier`` held (the selection and transform tools read it at the press)."""

    def send(kind, point, changed, held):
        QApplication.sendEvent(canvas, QMouseEvent(kind, QPointF(point),
                                                   QPointF(canvas.mapToGlobal(point)), changed,
                                                   held, modifier))

    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    send(QEvent.Type.MouseButtonPress, points[0], left, left)
    for point in points[1:]:
        send(QEvent.Type.MouseMove, point, none, left)
    send(QEvent.Type.MouseButtonRelease, points[-1], left, none)


def test_a_rectangle_drag_selects_the_pixels_under_it(canvas, tools, document, tool_state):
    tool_state.set_tool("rect_select")
    drag(canvas, [widget_point(canvas, 20, 30), widget_point(canvas, 50, 40),
                  widget_point(canvas, 80, 70)])
    expected = rectangle_mask(document.width, document.height, (20, 30), (80, 70))
    assert np.array_equal(tools.selection.mask, expected)
    assert tools.selection.bounds() == (20, 30, 60, 40)
    # Shift adds a second rectangle, Alt takes a bite out
    modified_drag(canvas, [widget_point(canvas, 150, 100), widget_point(canvas, 170, 120)],
                  Qt.KeyboardModifier.ShiftModifier)
    assert tools.selection.mask[110, 160]
    assert tools.selection.mask[50, 50]
    modified_drag(canvas, [widget_point(canvas, 10, 10), widget_point(canvas, 40, 50)],
                  Qt.KeyboardModifier.AltModifier)
    assert not tools.selection.mask[35, 30]
    assert tools.selection.mask[60, 60]
    # a click without a drag deselects
    drag(canvas, [widget_point(canvas, 100, 100)])
    assert tools.selection.is_empty()
    assert not document.sketch_layer().pixels.any()  # the selection tools never paint


@pytest.mark.parametrize("rotation", [0.0, 30.0])
def test_selections_land_under_the_cursor_in_a_zoomed_rotated_view(canvas, tools, document,
                                                                     rotation, tool_state):
    canvas.set_zoom(5.0, QPointF(canvas.from_document(QPointF(60, 60))))
    canvas.set_rotation(rotation)
    tool_state.set_tool("rect_select")
    drag(canvas, [widget_point(canvas, 50, 52), widget_point(canvas, 70, 64)])
    if not rotation:
        expected = rectangle_mask(document.width, document.height, (50, 52), (70, 64))
        assert np.array_equal(tools.selection.mask, expected)
    else:  # the rectangle is in document space: its two corners are the dragged points
        assert tools.selection.bounds() == (50, 52, 20, 12)
    tool_state.set_tool("lasso")
    corners = [(55, 50), (75, 60), (58, 72)]
    path = [widget_point(canvas, x, y) for x, y in corners]
    drag(canvas, [path[0], path[1], path[2]])
    got = tools.selection.mask
    documented = [canvas.to_document(QPointF(p)) for p in path]
    expected = polygon_mask(document.width, document.height,
                            [(p.x(), p.y()) for p in documented])
    assert np.array_equal(got, expected)
    assert got[61, 62]
    assert not got[52, 70]
    assert got.sum() > 150


def test_strokes_and_fills_stay_inside_the_selection_and_undo(canvas, tools, document, undo,
                                                               tool_state):
    tools.selection.select_rectangle((40, 40), (80, 80))
    tool_state.set_brush_size(20)
    drag(canvas, [widget_point(canvas, 20, 60), widget_point(canvas, 120, 60)])
    alpha = document.sketch_layer().pixels[..., 3]
    assert alpha[60, 40:80].min() == 255
    assert not alpha[:, :40].any()
    assert not alpha[:, 80:].any()
    assert alpha[~tools.selection.mask].max() == 0
    tool_state.set_tool("fill")
    # outside: nothing to fill, and the artist is told
    qt_point = widget_point(canvas, 150.5, 150.5)
    with_message = []
    canvas.message.connect(with_message.append)
    QtBot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=qt_point)
    assert "outside the selection" in with_message[-1]
    QtBot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=widget_point(canvas, 45.5, 45.5))
    assert alpha[40:80, 40:80].min() == 255
    assert alpha[~tools.selection.mask].max() == 0
    assert undo.labels == ["Brush on Sketch", "Fill on Sketch"]
    undo.undo()
    undo.undo()
    assert not alpha.any()


def test_clear_and_fill_selected_area_are_single_steps_and_respect_locks(canvas, tools,
                                                                         document, undo,
                                                                         tool_state):
    layer = document.sketch_layer()
    layer.pixels[...] = (10, 20, 30, 255)
    before = layer.pixels.copy()
    assert not tools.clear_selected()  # nothing selected: nothing happens
    tools.selection.select_polygon([(10, 10), (100, 10), (10, 100)])
    assert tools.clear_selected()
    assert not layer.pixels[..., 3][tools.selection.mask].any()
    assert np.array_equal(layer.pixels[~tools.selection.mask], before[~tools.selection.mask])
    assert undo.labels == ["Clear selected area on Sketch"]
    undo.undo()
    assert np.array_equal(layer.pixels, before)
    tool_state.set_brush_color((200, 0, 0))
    assert tools.fill_selected()
    assert (layer.pixels[tools.selection.mask] == (200, 0, 0, 255)).all()
    undo.undo()
    assert np.array_equal(layer.pixels, before)
    document.set_locked(layer, True)
    said = []
    tools.message.connect(said.append)
    canvas.message.connect(said.append)
    assert not tools.clear_selected()
    assert np.array_equal(layer.pixels, before)
    assert "locked" in said[-1]


def test_selection_becomes_a_mask_layer_in_one_step_and_shows_as_a_red_tint(canvas, tools,
                                                                           document, undo):
    tools.selection.select_rectangle((30, 30), (90, 70))
    layer = tools.to_inpaint_mask()
    assert layer is not None
    assert layer.kind == "mask"
    assert layer in document.layers
    assert np.array_equal(layer.pixels[..., 3] > 0, tools.selection.mask)
    assert undo.labels == ["Selection → inpaint mask"]
    shown = canvas.composite_image()
    inside, outside = shown.pixelColor(60, 50), shown.pixelColor(150, 150)
    assert outside == QColor(255, 255, 255)  # paper, untouched
    assert inside.red() > 200
    assert inside.green() < 170
    assert inside.blue() < 170
    # a second selection updates the same mask layer (one more step)
    tools.selection.select_rectangle((100, 100), (120, 120))
    assert tools.to_inpaint_mask() is layer
    assert layer.pixels[110, 110, 3]
    assert not layer.pixels[50, 60, 3]
    undo.undo()
    assert layer.pixels[50, 60, 3]
    assert not layer.pixels[110, 110, 3]
    undo.undo()
    assert layer not in document.layers


def test_painting_on_a_mask_layer_lays_white_and_the_eraser_removes_it(canvas, document,
                                                                       tool_state):
    mask = Layer("Mask", "mask", blank_pixels(document.width, document.height))
    document.add_layer(mask)
    document.active = mask
    tool_state.set_brush_size(10)
    drag(canvas, [widget_point(canvas, 30, 30), widget_point(canvas, 90, 30)])
    assert (mask.pixels[30, 40] == 255).all()
    tool_state.set_tool("eraser")
    drag(canvas, [widget_point(canvas, 30, 30), widget_point(canvas, 90, 30)])
    assert mask.pixels[30, 40, 3] == 0


# -- transform ---------------------------------------------------------------------------------
@pytest.fixture
def transform(canvas: CanvasView, tool_state: ToolState) -> TransformTool:
    tool = TransformTool(canvas, tool_state)
    canvas.add_tool("transform", tool)
    tool_state.set_tool("transform")
    return tool


@pytest.fixture
def square(document: Document) -> np.ndarray:
    """A 20×20 red square at (30, 30) on the sketch layer; returns the layer's pixels before."""
    pixels = document.sketch_layer().pixels
    pixels[30:50, 30:50] = (220, 30, 30, 255)
    return pixels.copy()


def content_box(document: Document) -> tuple[int, int, int, int]:
    return bounds(document.sketch_layer().pixels[..., 3] > 0)


def test_transform_moves_the_content_and_enter_applies_one_small_step(qtbot, canvas, transform,
                                                                      document, undo, square):
    drag(canvas, [widget_point(canvas, 40, 40), widget_point(canvas, 55, 45),
                  widget_point(canvas, 70, 50)])
    assert content_box(document) == (60, 40, 20, 20)  # shown live, before Enter
    assert undo.labels == []
    qtbot.keyClick(canvas, Qt.Key.Key_Return)
    assert transform.session is None
    assert undo.labels == ["Move Sketch"]
    moved = document.sketch_layer().pixels.copy()
    assert (moved[40:60, 60:80] == (220, 30, 30, 255)).all()
    assert not moved[30:40, 30:60].any()
    step = undo._steps[-1]
    assert step.rect == (30, 30, 50, 30)  # only the rectangle that changed is kept
    undo.undo()
    assert np.array_equal(document.sketch_layer().pixels, square)
    undo.redo()
    assert np.array_equal(document.sketch_layer().pixels, moved)


def test_a_corner_handle_scales_and_shift_keeps_the_proportions(qtbot, canvas, transform,
                                                                document, undo, square, tool_state):
    # the bottom-right corner
    drag(canvas, [widget_point(canvas, 50, 50), widget_point(canvas, 70, 60)])
    assert content_box(document) == (30, 30, 40, 30)
    qtbot.keyClick(canvas, Qt.Key.Key_Enter)
    assert undo.labels == ["Transform Sketch"]
    alpha = document.sketch_layer().pixels[..., 3]
    assert alpha[32:58, 32:68].min() == 255
    tool_state.set_tool("brush")
    tool_state.set_tool("transform")
    modified_drag(canvas, [widget_point(canvas, 70, 60), widget_point(canvas, 90, 70)],
                  Qt.KeyboardModifier.ShiftModifier)
    box = content_box(document)
    assert box[:2] == (30, 30)
    assert box[2] / box[3] == pytest.approx(40 / 30, abs=0.03)
    tool_state.set_tool("brush")  # another tool applies the transform
    assert undo.labels == ["Transform Sketch", "Transform Sketch"]
    undo.undo()
    undo.undo()
    assert np.array_equal(document.sketch_layer().pixels, square)


def test_escape_cancels_and_locked_layers_refuse(qtbot, canvas, transform, document, undo,
                                                 square):
    drag(canvas, [widget_point(canvas, 40, 40), widget_point(canvas, 100, 100)])
    assert content_box(document) == (90, 90, 20, 20)
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert np.array_equal(document.sketch_layer().pixels, square)
    assert undo.labels == []
    assert transform.session is None
    said = []
    canvas.message.connect(said.append)
    document.set_locked(document.sketch_layer(), True)
    drag(canvas, [widget_point(canvas, 40, 40), widget_point(canvas, 100, 100)])
    assert np.array_equal(document.sketch_layer().pixels, square)
    assert "locked" in said[-1]
    assert undo.labels == []


def test_transform_follows_the_cursor_in_a_rotated_zoomed_view(qtbot, canvas, transform,
                                                                document, undo, square, tool_state):
    canvas.set_zoom(3.0)
    canvas.set_rotation(45.0)
    drag(canvas, [widget_point(canvas, 40, 40), widget_point(canvas, 45, 40),
                  widget_point(canvas, 52, 38)])
    qtbot.keyClick(canvas, Qt.Key.Key_Return)
    box = content_box(document)
    assert abs(box[0] - 42) <= 1
    assert abs(box[1] - 28) <= 1
    assert box[2:] == (20, 20)
    # a corner handle is found on screen wherever the rotation put it
    tool_state.set_tool("brush")
    tool_state.set_tool("transform")
    x, y = box[0] + 20, box[1] + 20
    drag(canvas, [widget_point(canvas, x, y), widget_point(canvas, x + 10, y + 10)])
    qtbot.keyClick(canvas, Qt.Key.Key_Return)
    assert abs(content_box(document)[2] - 30) <= 1
    assert undo.labels == ["Move Sketch", "Transform Sketch"]
