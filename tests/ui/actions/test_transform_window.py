"""Layer → Transform in the window: flips and quarter turns of the layer's content or of the
selection, each one undo step; the transform tool's angle box in the tool options."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication

from tests.ui.helpers import drag


def paint_bar(window) -> np.ndarray:
    """A 30×10 bar at (40, 50) on the sketch layer with a blue left end and a green top edge;
    the pixels before."""
    layer = window.document.sketch_layer()
    layer.pixels[50:60, 40:70] = (220, 30, 30, 255)
    layer.pixels[50:60, 40:45] = (30, 30, 220, 255)
    layer.pixels[50:52, 40:70] = (30, 200, 30, 255)
    window.document.notify_pixels_changed(layer, (40, 50, 30, 10))
    window.document.active = layer
    return layer.pixels.copy()


def test_layer_transform_menu_flips_and_turns_the_content_one_step_each(qtbot, window):
    before = paint_bar(window)
    actions = window.transform_actions
    layer_menu_items = [a.menu() for a in window.layer_menu.actions() if a.menu() is not None]
    assert actions.menu in layer_menu_items
    assert [a.text() for a in actions.menu.actions() if a.text()] == [
        "Flip horizontally", "Flip vertically", "Rotate 90° clockwise",
        "Rotate 90° anticlockwise", "Rotate 180°"]
    pixels = window.document.sketch_layer().pixels
    bar = before[50:60, 40:70]
    actions.flip_horizontal_action.trigger()
    assert np.array_equal(pixels[50:60, 40:70], np.flip(bar, 1))
    actions.flip_vertical_action.trigger()
    assert np.array_equal(pixels[50:60, 40:70], np.flip(bar, (0, 1)))
    actions.rotate_180_action.trigger()
    assert np.array_equal(pixels, before)  # two flips and a half turn: back where it was
    actions.rotate_cw_action.trigger()
    assert np.array_equal(pixels[40:70, 50:60], np.rot90(bar, -1))
    assert not pixels[50:60, 40:50].any()
    actions.rotate_ccw_action.trigger()
    assert np.array_equal(pixels, before)
    assert window.undo.labels == [
        "Flip horizontally Sketch", "Flip vertically Sketch", "Rotate 180° Sketch",
        "Rotate 90° clockwise Sketch", "Rotate 90° anticlockwise Sketch"]
    for _ in range(4):
        window.undo.undo()
    assert np.array_equal(pixels[50:60, 40:70], np.flip(bar, 1))


def test_with_a_selection_a_flip_mirrors_only_the_selected_pixels(qtbot, window):
    before = paint_bar(window)
    canvas = window.canvas
    window.tool_state.set_tool("rect_select")
    drag(canvas, [canvas.from_document(QPointF(40, 50)).toPoint(),
                  canvas.from_document(QPointF(50, 60)).toPoint()])
    selection = window.selection_actions.selection
    chosen = selection.mask.copy()
    assert selection.bounds() == (40, 50, 10, 10)
    window.transform_actions.flip_vertical_action.trigger()
    pixels = window.document.sketch_layer().pixels
    assert np.array_equal(pixels[50:60, 40:50], before[50:60, 40:50][::-1])
    assert np.array_equal(pixels[:, 50:], before[:, 50:])  # outside the selection: untouched
    assert np.array_equal(selection.mask, chosen)  # mirrored in place: the same pixels
    assert window.undo.labels[-1] == "Flip vertically Sketch"
    window.undo.undo()
    assert np.array_equal(pixels, before)


def test_the_angle_box_turns_the_frame_and_enter_applies(qtbot, window):
    before = paint_bar(window)
    canvas = window.canvas
    bar = window.canvas_actions.options_bar
    spin = window.transform_actions.angle_spin
    window.tool_state.set_tool("brush")
    QApplication.processEvents()
    assert not spin.isVisible()
    window.tool_state.set_tool("transform")
    QApplication.processEvents()
    assert spin.isVisible()
    assert bar.widgetForAction(
        window.transform_actions.flip_horizontal_action).isVisible()
    spin.setValue(-90.0)
    tool = window.selection_actions.transform
    assert tool.session is not None
    assert tool.session.angle == -90.0
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_Return)
    pixels = window.document.sketch_layer().pixels
    alpha = pixels[..., 3] > 0
    rows, columns = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(alpha.any(axis=0))
    turned = pixels[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]
    assert np.array_equal(turned, np.rot90(before[50:60, 40:70], 1))
    assert window.undo.labels == ["Transform Sketch"]
    assert spin.value() == 0.0
    # a drag outside the frame shows its angle in the box
    window.tool_state.set_tool("transform")
    # from above the frame to its right, both well outside it at any zoom: a quarter turn
    drag(canvas, [canvas.from_document(QPointF(55, 20)).toPoint(),
                  canvas.from_document(QPointF(90, 55)).toPoint()])
    assert abs(spin.value() - 90.0) < 1.0
