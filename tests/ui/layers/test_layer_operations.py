"""Layer operations in the window: drag to reorder, rename, lock, blend modes on the canvas,
merge down, canvas size, paste, PSD and keep-size imports; each one undo step."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QImage
from PySide6.QtWidgets import QApplication

from t2ia_desktop.core.document.composite import flatten
from t2ia_desktop.core.document.document import Layer
from t2ia_desktop.core.undo.commands import SetLayerProperty
from t2ia_desktop.ui.actions.layers import qimage_to_pixels
from t2ia_desktop.ui.window.main_window import MainWindow
from tests.builders import pixel_centre
from tests.core.files.psd_writer import LayerSpec, write_psd
from tests.ui.conftest import DOC_HEIGHT, DOC_WIDTH
from tests.ui.helpers import click_row, drag


def solid(rgba) -> np.ndarray:
    return np.tile(np.array(rgba, np.uint8), (DOC_HEIGHT, DOC_WIDTH, 1))


def add(window: MainWindow, name: str, rgba, **kwargs) -> Layer:
    return window.edits.add_layer(Layer(name, "paint", solid(rgba), **kwargs))


def names_top_first(window: MainWindow) -> list[str]:
    return [layer.name for layer in window.layers_panel._layers]


def drop_row_on(qtbot, window: MainWindow, layer: Layer, target: Layer, below: bool) -> None:
    """Drag ``layer``'s row and drop it on the upper or lower half of ``target``'s row."""
    panel = window.layers_panel
    click_row(qtbot, window, layer)
    widget = panel.list_widget
    mime = widget.model().mimeData([widget.currentIndex()])
    box = widget.visualItemRect(panel.item_for(target))
    y = box.bottom() - 3 if below else box.top() + 3
    event = QDropEvent(QPointF(box.center().x(), y), Qt.DropAction.MoveAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    # a drop from the list itself, as Qt's drag would deliver it
    event.source = lambda: widget
    widget.dropEvent(event)


def test_dragging_a_row_moves_the_layer_and_undo_moves_it_back(qtbot, window):
    red = add(window, "Red", (255, 0, 0, 255))
    add(window, "Blue", (0, 0, 255, 255))
    assert names_top_first(window) == ["Blue", "Red", "Sketch"]
    drop_row_on(qtbot, window, red, window.document.sketch_layer(), below=True)
    assert [layer.name for layer in window.document.layers] == ["Red", "Sketch", "Blue"]
    assert names_top_first(window) == ["Blue", "Sketch", "Red"]
    assert window.layers_panel.selected_layer() is red
    assert window.undo.undo_label == "Move Red"
    window.undo_actions.undo_step()
    assert names_top_first(window) == ["Blue", "Red", "Sketch"]
    drop_row_on(qtbot, window, window.document.sketch_layer(), red, below=False)
    assert names_top_first(window) == ["Blue", "Sketch", "Red"]


def test_double_click_renames_and_escape_cancels(qtbot, window):
    layer = add(window, "Paint 1", (0, 0, 0, 0))
    row = window.layers_panel.row_for(layer)
    qtbot.mouseDClick(row.name_label, Qt.MouseButton.LeftButton)
    editor = row.name_editor
    assert editor is not None
    assert editor.text() == "Paint 1"
    editor.selectAll()
    qtbot.keyClicks(editor, "Sky glaze")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert layer.name == "Sky glaze"
    assert window.undo.undo_label == "Rename Paint 1 to Sky glaze"
    assert window.layers_panel.row_for(layer).name_label.text() == "Sky glaze"
    row = window.layers_panel.row_for(layer)
    window.layers_panel.select(layer)
    window.layers_panel.rename_action.trigger()  # F2
    qtbot.keyClicks(row.name_editor, "nope")
    qtbot.keyClick(row.name_editor, Qt.Key.Key_Escape)
    assert layer.name == "Sky glaze"
    assert row.name_editor is None
    window.undo_actions.undo_step()
    assert layer.name == "Paint 1"


def test_a_locked_layer_refuses_strokes_clearing_deleting_and_merging(qtbot, window):
    sketch = window.document.sketch_layer()
    row = window.layers_panel.row_for(sketch)
    qtbot.mouseClick(row.lock_button, Qt.MouseButton.LeftButton)
    assert sketch.locked
    assert window.undo.undo_label == "Lock Sketch"
    drag(window.canvas, [pixel_centre(window.canvas, 40, 60), pixel_centre(window.canvas, 160, 60)])
    assert sketch.is_blank()
    assert "locked" in window.statusBar().currentMessage()
    window.undo_actions.undo_step()  # unlock
    assert not sketch.locked
    drag(window.canvas, [pixel_centre(window.canvas, 40, 60), pixel_centre(window.canvas, 160, 60)])
    assert not sketch.is_blank()
    window.edits.push(SetLayerProperty(sketch, "locked", True))
    window.layers_panel.clear_sketch()
    assert not sketch.is_blank()
    assert "locked" in window.statusBar().currentMessage()
    paint = add(window, "Paint", (10, 10, 10, 255), locked=True)
    window.layers_panel.select(paint)
    window.layers_panel.delete_selected()
    assert paint in window.document.layers
    assert "locked" in window.statusBar().currentMessage()
    window.layer_actions.merge_down(paint)
    assert paint in window.document.layers


MODES = ["normal", "multiply", "screen", "overlay", "darken", "lighten"]


@pytest.mark.parametrize("mode", MODES)
def test_blend_modes_on_the_canvas_match_flatten_within_one_level(qtbot, window, mode):
    back = np.zeros((DOC_HEIGHT, DOC_WIDTH, 4), np.uint8)
    y, x = np.mgrid[0:DOC_HEIGHT, 0:DOC_WIDTH]
    back[..., 0], back[..., 1], back[..., 2], back[..., 3] = x, y, 255 - x, 255
    window.edits.add_layer(Layer("Back", "photo", back), 0)
    top = solid((30, 160, 230, 255))
    top[:, : DOC_WIDTH // 2, 3] = 140  # half translucent
    # Qt blends in 8-bit integers: at some opacities (0.8) about 1 % of pixels come out 2/255
    # off the exact formula; at 0.75, 0.5 and 0.9 every pixel is within 1/255.
    layer = window.edits.add_layer(Layer("Top", "paint", top, opacity=0.75))
    window.layers_panel.select(layer)
    combo = window.layers_panel.blend_combo
    combo.setCurrentIndex(combo.findData(mode))
    assert layer.blend_mode == mode
    canvas = window.canvas.composite_image().convertToFormat(QImage.Format.Format_RGBA8888)
    shown = qimage_to_pixels(canvas).astype(int)
    expected = np.asarray(flatten(window.document)).astype(int)
    assert np.abs(shown - expected).max() <= 1
    if mode != "normal":
        assert window.undo.undo_label.startswith(combo.currentText())
        window.undo_actions.undo_step()
        assert layer.blend_mode == "normal"
        assert combo.currentData() == "normal"


def test_merge_down_keeps_the_look_and_undo_separates_the_layers(qtbot, window):
    lower = add(window, "Lower", (200, 200, 200, 255), opacity=0.5)
    upper = add(window, "Upper", (0, 100, 255, 200), opacity=0.7, blend_mode="multiply")
    looks = np.asarray(flatten(window.document)).astype(int)
    window.layers_panel.select(upper)
    window.layer_actions.merge_down_action.trigger()
    assert upper not in window.document.layers
    assert lower.opacity == 1.0
    assert np.abs(np.asarray(flatten(window.document)).astype(int) - looks).max() <= 1
    assert window.undo.undo_label == "Merge Upper down"
    window.undo_actions.undo_step()
    assert [layer.name for layer in window.document.layers] == ["Sketch", "Lower", "Upper"]
    assert lower.opacity == 0.5
    assert (lower.pixels == (200, 200, 200, 255)).all()
    window.layers_panel.select(window.document.sketch_layer())
    window.layer_actions.merge_down()
    assert "bottom layer" in window.statusBar().currentMessage()


def test_canvas_size_pads_every_layer_and_undo_restores_it(qtbot, window):
    sketch = window.document.sketch_layer()
    sketch.pixels[:] = (0, 0, 0, 255)
    window.layer_actions.choose_canvas_size = lambda w, h: (w + 64, h, (0, 1))
    window.layer_actions.canvas_size_action.trigger()
    doc = window.document
    assert (doc.width, doc.height) == (DOC_WIDTH + 64, DOC_HEIGHT)
    assert sketch.pixels.shape == (DOC_HEIGHT, DOC_WIDTH + 64, 4)
    assert (sketch.pixels[:, :DOC_WIDTH, 3] == 255).all()
    assert not sketch.pixels[:, DOC_WIDTH:].any()
    composite = window.canvas.composite_image()
    assert (composite.width(), composite.height()) == (DOC_WIDTH + 64, DOC_HEIGHT)
    assert composite.pixelColor(DOC_WIDTH + 10, 5).lightness() == 255  # paper
    drag(window.canvas, [pixel_centre(window.canvas, DOC_WIDTH + 20, 50),
                         pixel_centre(window.canvas, DOC_WIDTH + 50, 50)])
    assert sketch.pixels[50, DOC_WIDTH + 30, 3] > 0  # paints on the new margin
    window.undo_actions.undo_step()
    window.undo_actions.undo_step()
    assert (doc.width, doc.height) == (DOC_WIDTH, DOC_HEIGHT)
    assert (sketch.pixels[..., 3] == 255).all()
    assert window.canvas.composite_image().width() == DOC_WIDTH


def test_paste_adds_the_clipboards_picture_at_its_size_above_the_selection(qtbot, window):
    picture = QImage(40, 30, QImage.Format.Format_ARGB32)
    picture.fill(Qt.GlobalColor.red)
    QApplication.clipboard().setImage(picture)
    window.layers_panel.select(window.document.sketch_layer())
    window.layer_actions.paste_action.trigger()
    layer = window.document.layers[-1]
    assert layer.kind == "photo"
    assert layer.name == "Pasted"
    left, top = (DOC_WIDTH - 40) // 2, (DOC_HEIGHT - 30) // 2
    assert (layer.pixels[top:top + 30, left:left + 40] == (255, 0, 0, 255)).all()
    assert layer.pixels[..., 3].sum() == 40 * 30 * 255
    assert window.undo.undo_label == "Paste Pasted"
    QApplication.clipboard().clear()
    window.layer_actions.paste()
    assert "no picture" in window.statusBar().currentMessage()


def test_paste_of_a_copied_file_imports_it(qtbot, window, tmp_path):
    Image.new("RGB", (DOC_WIDTH * 2, DOC_HEIGHT * 2), "blue").save(tmp_path / "big.png")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "big.png"))])
    QApplication.clipboard().setMimeData(mime)
    [layer] = window.layer_actions.paste()
    assert layer.name == "big"
    assert (layer.pixels == (0, 0, 255, 255)).all()


def test_psd_import_adds_each_layer_with_its_properties_as_one_step(qtbot, window, tmp_path):
    back = np.zeros((DOC_HEIGHT, DOC_WIDTH, 4), np.uint8)
    back[...] = (250, 240, 220, 255)
    ink = np.zeros((10, 12, 4), np.uint8)
    ink[...] = (20, 30, 40, 255)
    write_psd(tmp_path / "art.psd", DOC_WIDTH, DOC_HEIGHT, [
        LayerSpec("Paper", back), LayerSpec("Ink", ink, left=5, top=6, opacity=153,
                                            blend="multiply", visible=False)], back[..., :3])
    window.layer_actions.choose_file = lambda title, filters: str(tmp_path / "art.psd")
    window.layer_actions.import_psd_action.trigger()
    paper, ink_layer = window.document.layers[:2]
    assert (paper.name, paper.kind) == ("Paper", "photo")
    assert (ink_layer.name, ink_layer.kind, ink_layer.visible, ink_layer.blend_mode) == (
        "Ink", "paint", False, "multiply")
    assert ink_layer.opacity == pytest.approx(0.6)
    assert (ink_layer.pixels[6:16, 5:17] == (20, 30, 40, 255)).all()
    assert window.undo.undo_label == "Import art.psd"
    window.undo_actions.undo_step()
    assert [layer.name for layer in window.document.layers] == ["Sketch"]


def test_import_keeping_size_places_one_picture_pixel_per_canvas_pixel(qtbot, window, tmp_path):
    Image.new("RGB", (20, 10), "green").save(tmp_path / "small.png")
    window.layer_actions.choose_file = lambda title, filters: str(tmp_path / "small.png")
    window.layer_actions.import_keep_action.trigger()
    layer = window.document.layers[1]  # above the selected Sketch, as every photo lands
    assert window.layers_panel.selected_layer() is layer
    assert layer.pixels[..., 3].sum() == 20 * 10 * 255
    assert "at its size (20×10)" in window.statusBar().currentMessage()


def test_thumbnails_follow_painting_after_a_short_delay(qtbot, window):
    sketch = window.document.sketch_layer()
    row = window.layers_panel.row_for(sketch)
    before = row.thumbnail_label.pixmap().toImage()
    drag(window.canvas, [pixel_centre(window.canvas, 20, 20 + dy) for dy in range(0, 150, 10)])
    qtbot.waitUntil(lambda: row.thumbnail_label.pixmap().toImage() != before, timeout=3000)


def test_opacity_slider_drag_is_one_step(qtbot, window):
    layer = add(window, "Glaze", (0, 0, 0, 255))
    window.layers_panel.select(layer)
    slider = window.layers_panel.opacity_slider
    for value in (0.9, 0.7, 0.5):
        slider.setValue(value)
    slider.slider.sliderReleased.emit()
    assert layer.opacity == 0.5
    assert window.undo.undo_label == "Opacity Glaze"
    window.undo_actions.undo_step()
    assert layer.opacity == 1.0
    assert slider.value() == 1.0
