"""Brush options (hardness, opacity, colour, tablet pressure, smoothing), the fill bucket and
the colour picker, driven by real mouse and tablet events; every change undoes."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage

from t2ia_desktop.core.document.document import Document, Layer, blank_pixels
from t2ia_desktop.ui.canvas.view import CanvasView
from tests.builders import pixel_centre
from tests.ui.canvas_input import pen_stroke
from tests.ui.helpers import drag


def click(qtbot, canvas: CanvasView, x: float, y: float) -> None:
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=pixel_centre(canvas, x, y))


def alpha(document: Document) -> np.ndarray:
    return document.sketch_layer().pixels[..., 3]


def test_opacity_caps_a_stroke_that_crosses_itself_and_undo_redo_restore(canvas, document,
                                                                          undo, tool_state):
    tool_state.set_option("opacity", 0.5)
    tool_state.set_brush_size(12)
    back_and_forth = [pixel_centre(canvas, x, 96) for x in (40, 160, 40, 160, 100)]
    drag(canvas, back_and_forth)
    painted = document.sketch_layer().pixels.copy()
    assert alpha(document)[96, 50:150].min() == alpha(document)[96, 50:150].max() == 128
    # a second stroke builds up
    drag(canvas, [pixel_centre(canvas, 100, 60), pixel_centre(canvas, 100, 130)])
    assert alpha(document)[96, 100] == 192
    assert undo.labels == ["Brush on Sketch", "Brush on Sketch"]
    undo.undo()
    assert np.array_equal(document.sketch_layer().pixels, painted)
    undo.undo()
    assert not alpha(document).any()
    undo.redo()
    assert np.array_equal(document.sketch_layer().pixels, painted)


def test_soft_brush_fades_out_and_a_hard_one_does_not(canvas, document, undo, tool_state):
    tool_state.set_brush_size(40)
    tool_state.set_option("hardness", 0.0)
    drag(canvas, [pixel_centre(canvas, 60, 96)])
    soft = alpha(document)[96, 60:81].astype(int)
    assert soft[0] == 255
    assert 0 < soft[12] < 200
    assert soft[-1] == 0
    assert (np.diff(soft) <= 0).all()  # a smooth fall-off from the centre
    tool_state.set_option("hardness", 1.0)
    drag(canvas, [pixel_centre(canvas, 180, 96)])
    hard = alpha(document)[96, 180:202]
    assert hard[:19].min() == 255
    assert hard[-1] == 0
    undo.undo()
    assert not alpha(document)[:, 150:].any()
    assert alpha(document)[96, 60] == 255


def test_colour_and_x_swap_with_the_background(qtbot, canvas, document, tool_state):
    tool_state.set_brush_color((200, 30, 40))
    drag(canvas, [pixel_centre(canvas, 40, 40), pixel_centre(canvas, 80, 40)])
    assert tuple(document.sketch_layer().pixels[40, 60]) == (200, 30, 40, 255)
    tool_state.swap_colors()
    assert tool_state.brush_color == (255, 255, 255)
    assert tool_state.background_color == (200, 30, 40)


def test_tablet_pressure_sets_size_and_opacity(canvas, document, undo, tool_state):
    tool_state.set_brush_size(20)
    line = [(pixel_centre(canvas, x, 60), pressure)
            for x, pressure in ((30, 0.2), (120, 0.6), (220, 1.0))]
    pen_stroke(canvas, line)
    width = (alpha(document)[:, :] > 128).sum(axis=0)
    assert 2 <= width[35] < width[120] < width[215]
    assert width[215] >= 18
    assert alpha(document)[60, 120] == 255  # pressure on size only, by default

    tool_state.set_option("pressure_size", False)
    tool_state.set_option("pressure_opacity", True)
    pen_stroke(canvas, [(pixel_centre(canvas, 40, 150), 0.3),
                        (pixel_centre(canvas, 200, 150), 0.3)])
    row = alpha(document)[150, 50:190]
    assert abs(int(row.min()) - 77) <= 2
    assert row.max() == row.min()
    assert (alpha(document)[:, 100] > 0).sum() > 20  # full size: 20 px
    assert undo.labels == ["Brush on Sketch", "Brush on Sketch"]


def test_a_pen_event_is_accepted_so_no_mouse_stroke_doubles_it(canvas):
    from PySide6.QtCore import QEvent

    from tests.ui.canvas_input import tablet

    assert tablet(canvas, QEvent.Type.TabletPress, pixel_centre(canvas, 50, 50), 0.5)
    assert canvas.stroking
    assert tablet(canvas, QEvent.Type.TabletRelease, pixel_centre(canvas, 60, 50), 0.5)
    assert not canvas.stroking


def test_smoothing_steadies_a_shaky_line_and_still_ends_at_the_pointer(canvas, document,
                                                                       tool_state):
    tool_state.set_brush_size(2)
    shaky = [pixel_centre(canvas, x, 96 + (6 if i % 2 else -6))
             for i, x in enumerate(range(40, 200, 4))]
    shaky.append(pixel_centre(canvas, 200, 96))
    drag(canvas, shaky)
    raw_spread = np.ptp(np.nonzero(alpha(document)[:, 60:180].any(axis=1))[0])
    document.clear_layer(document.sketch_layer())
    tool_state.set_option("smoothing", 0.8)
    drag(canvas, shaky)
    rows = np.nonzero(alpha(document)[:, 60:180].any(axis=1))[0]
    assert np.ptp(rows) < raw_spread / 2
    assert alpha(document)[95:98, 199:202].max() > 0  # the stroke caught up with the release


def test_fill_with_tolerance_is_contiguous_and_undoes(qtbot, canvas, document, undo, tool_state):
    layer = Layer("Paint", "paint", blank_pixels(document.width, document.height))
    layer.pixels[:, :, :] = (100, 100, 100, 255)
    layer.pixels[:, 120:] = (110, 100, 100, 255)  # a near shade on the right
    layer.pixels[:, 60:64] = (0, 0, 0, 255)  # a wall: the left area is cut off
    document.add_layer(layer)
    before = layer.pixels.copy()
    tool_state.set_tool("fill")
    tool_state.set_brush_color((255, 0, 0))
    tool_state.set_option("fill_tolerance", 5)
    click(qtbot, canvas, 90, 50)
    red = (layer.pixels[..., :3] == (255, 0, 0)).all(axis=2)
    assert red[:, 64:120].all()
    assert not red[:, 120:].any()
    assert not red[:, :64].any()
    assert undo.labels == ["Fill on Paint"]

    undo.undo()
    assert np.array_equal(layer.pixels, before)
    tool_state.set_option("fill_tolerance", 10)
    click(qtbot, canvas, 90, 50)
    red = (layer.pixels[..., :3] == (255, 0, 0)).all(axis=2)
    assert red[:, 64:].all()
    assert not red[:, :64].any()
    undo.undo()
    assert np.array_equal(layer.pixels, before)
    undo.redo()
    assert red[:, 64:].all()
    assert (layer.pixels[:, 64:, :3] == (255, 0, 0)).all()


def test_fill_on_the_transparent_sketch_stops_at_the_ink(qtbot, canvas, document, tool_state):
    tool_state.set_brush_size(4)
    # a line across the paper
    drag(canvas, [pixel_centre(canvas, 100, 0), pixel_centre(canvas, 100, 191)])
    tool_state.set_tool("fill")
    tool_state.set_option("opacity", 0.5)
    click(qtbot, canvas, 20, 20)
    sketch = alpha(document)
    assert (sketch[:, :97] == 128).all()
    assert not sketch[:, 104:].any()


def test_picker_takes_the_colour_as_shown(qtbot, canvas, document, tool_state):
    layer = Layer("Paint", "paint", blank_pixels(document.width, document.height))
    layer.pixels[50:80, 50:80] = (10, 120, 230, 255)
    document.add_layer(layer)
    tool_state.set_tool("picker")
    with qtbot.waitSignal(canvas.message) as told:
        click(qtbot, canvas, 60, 60)
    assert tool_state.brush_color == (10, 120, 230)
    assert "picked" in told.args[0]
    tool_state.set_tool("brush")  # Alt+click picks with any tool: the white paper here
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.AltModifier,
                     pixel_centre(canvas, 5, 5))
    assert tool_state.brush_color == (255, 255, 255)
    assert not layer.pixels[5, 5].any()


def test_cached_composite_matches_a_full_recomposite(canvas, document, tool_state):
    rng = np.random.default_rng(3)
    for index in range(5):
        layer = Layer(f"Paint {index}", "paint", blank_pixels(document.width, document.height),
                      opacity=0.4 + 0.1 * index)
        layer.pixels[...] = rng.integers(0, 256, layer.pixels.shape, dtype=np.uint8)
        layer.pixels[..., 3] = np.where(rng.random(layer.pixels.shape[:2]) < 0.5, 0, 180)
        document.add_layer(layer, 1)
    document.active = document.layers[3]
    tool_state.set_brush_color((0, 200, 0))
    tool_state.set_option("hardness", 0.3)
    drag(canvas, [pixel_centre(canvas, x, 80 + x // 4) for x in range(20, 240, 11)])
    assert canvas.stroke_composite.key is not None  # the segments went the cached way
    fast = canvas.composite_image()
    canvas._recomposite(canvas.rect())  # the whole stack, layer by layer
    full = canvas.composite_image()
    assert images_equal(fast, full, tolerance=1)


def images_equal(a: QImage, b: QImage, tolerance: int) -> bool:
    def array(image: QImage) -> np.ndarray:
        image = image.convertToFormat(QImage.Format.Format_RGBA8888)
        return np.frombuffer(image.constBits(), np.uint8).reshape(
            image.height(), image.width(), 4).astype(int)

    return int(np.abs(array(a) - array(b)).max()) <= tolerance


def test_options_bar_and_colour_button_are_bound_to_the_canvas(qtbot, window, tool_state):
    bar = window.canvas_actions.options_bar
    bar.hardness_slider.setValue(25)
    bar.opacity_slider.setValue(60)
    bar.pressure_opacity_check.setChecked(True)
    bar.tolerance_spin.setValue(77)
    options = tool_state.options
    assert (options.hardness, options.opacity, options.pressure_opacity,
            options.fill_tolerance) == (0.25, 0.6, True, 77)
    tool_state.set_option("smoothing", 0.5)
    assert bar.smoothing_slider.value() == 50
    bar.choose_color = lambda current, title: QColor(1, 2, 3)
    qtbot.mouseClick(bar.color_button, Qt.MouseButton.LeftButton)
    assert tool_state.brush_color == (1, 2, 3)
    bar.choose_color = lambda current, title: None  # cancelled: nothing changes
    qtbot.mouseClick(bar.background_button, Qt.MouseButton.LeftButton)
    assert tool_state.background_color == (255, 255, 255)
    for widget in (bar.color_button, bar.background_button, bar.hardness_slider,
                   bar.opacity_slider, bar.smoothing_slider, bar.tolerance_spin,
                   bar.pressure_size_check, bar.pressure_opacity_check):
        assert widget.toolTip()


def test_painters_keys_for_fill_picker_and_swap(qtbot, window, tool_state):
    window.activateWindow()
    qtbot.waitActive(window)
    canvas = window.canvas
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_G)
    assert tool_state.tool == "fill"
    assert window.canvas_actions.fill_action.isChecked()
    assert not window.brush_action.isChecked()
    qtbot.keyClick(canvas, Qt.Key.Key_I)
    assert tool_state.tool == "picker"
    assert window.canvas_actions.picker_action.isChecked()
    foreground = tool_state.brush_color
    qtbot.keyClick(canvas, Qt.Key.Key_X)
    assert tool_state.background_color == foreground
    qtbot.keyClick(canvas, Qt.Key.Key_B)
    assert tool_state.tool == "brush"
    assert window.brush_action.isChecked()
