"""Undo and redo from the window: every change made in the UI is one step, Ctrl+Z / Ctrl+Shift+Z
/ Ctrl+Y and the Edit menu walk them, the History dock lists them and jumps; detector output is
never a step of its own but follows what undo restores."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from t2ia_desktop.core.document.document import Document, Layer, blank_pixels
from t2ia_desktop.core.undo.stack import UndoStack
from t2ia_desktop.session.edits import DocumentEdits
from t2ia_desktop.ui.window.main_window import MainWindow
from tests.builders import pixel_centre
from tests.ui.helpers import (
    DETECT_TIMEOUT,
    EDGE,
    INDICATOR,
    add_canny,
    click_row,
    detected,
    drag,
    finish_pending,
)


def stroke(window: MainWindow, y: int, xs=(40, 120, 200)) -> None:
    drag(window.canvas, [pixel_centre(window.canvas, x, y) for x in xs])


def press_keys(qtbot, window: MainWindow, key: Qt.Key, modifiers=Qt.KeyboardModifier.NoModifier,
               widget=None) -> None:
    window.activateWindow()
    qtbot.waitActive(window)
    target = widget or window.canvas
    target.setFocus()
    qtbot.keyClick(target, key, modifiers)


CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def history_rows(window: MainWindow) -> list[str]:
    widget = window.history_panel.list_widget
    return [widget.item(row).text() for row in range(widget.count())]


def click_history(qtbot, window: MainWindow, row: int) -> None:
    widget = window.history_panel.list_widget
    rect = widget.visualItemRect(widget.item(row))
    qtbot.mouseClick(widget.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


# -- strokes and the shortcuts ----------------------------------------------------------------
def test_each_stroke_is_one_step_undone_and_redone_with_the_keys(qtbot, window):
    sketch = window.document.sketch_layer()
    assert not window.undo_action.isEnabled()
    assert not window.redo_action.isEnabled()
    stroke(window, 60)
    first = sketch.pixels.copy()
    stroke(window, 120)
    second = sketch.pixels.copy()
    assert window.undo.labels == ["Brush on Sketch", "Brush on Sketch"]
    assert window.undo_action.text() == "Undo Brush on Sketch"
    assert window.undo_action.isEnabled()
    assert not window.redo_action.isEnabled()

    press_keys(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert np.array_equal(sketch.pixels, first)
    assert window.redo_action.text() == "Redo Brush on Sketch"
    assert window.canvas.composite_image().pixelColor(100, 120).value() == 255  # redrawn
    press_keys(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert sketch.is_blank()
    assert not window.undo_action.isEnabled()
    press_keys(qtbot, window, Qt.Key.Key_Z, CTRL | SHIFT)
    assert np.array_equal(sketch.pixels, first)
    press_keys(qtbot, window, Qt.Key.Key_Y, CTRL)
    assert np.array_equal(sketch.pixels, second)
    assert window.canvas.composite_image().pixelColor(100, 120).value() < 60

    window.tool_state.set_tool("eraser")
    stroke(window, 120)
    assert window.undo.labels[-1] == "Eraser on Sketch"
    assert sketch.pixels[120, 100, 3] == 0
    window.undo_actions.undo_step()
    assert np.array_equal(sketch.pixels, second)


def test_a_stroke_keeps_only_the_tiles_it_touched(window):
    stroke(window, 60, xs=(10, 30))
    (step,) = window.undo._steps
    _x, _y, width, height = step.rect
    assert width <= 64
    assert height <= 64
    assert window.undo.nbytes == step.before.nbytes * 2 < 64 * 64 * 4 * 4


def test_undo_in_the_middle_of_a_stroke_ends_it_first(window):
    sketch = window.document.sketch_layer()
    canvas = window.canvas
    QtBot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=pixel_centre(canvas, 50, 50))
    assert canvas.stroking
    assert not sketch.is_blank()
    window.undo_actions.undo_step()  # Ctrl+Z with the button still down
    assert not canvas.stroking
    assert sketch.is_blank()
    assert window.undo.labels == ["Brush on Sketch"]
    assert window.undo.index == 0
    QtBot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=pixel_centre(canvas, 80, 50))
    assert sketch.is_blank()
    assert window.undo.labels == ["Brush on Sketch"]


def test_ctrl_z_while_typing_undoes_the_text_not_the_picture(qtbot, window):
    stroke(window, 60)
    prompt = window.generate_panel.prompt_edit
    press_keys(qtbot, window, Qt.Key.Key_A, widget=prompt)
    qtbot.keyClicks(prompt, "bc")
    qtbot.keyClick(prompt, Qt.Key.Key_Z, CTRL)
    assert prompt.toPlainText() != "abc"
    assert not window.document.sketch_layer().is_blank()
    assert window.undo.index == 1
    qtbot.keyClick(prompt, Qt.Key.Key_Delete)  # nor does Delete there delete a layer
    assert len(window.document.layers) == 1


# -- the History dock -------------------------------------------------------------------------
def test_history_lists_the_steps_and_a_click_goes_there(qtbot, window):
    sketch = window.document.sketch_layer()
    assert history_rows(window) == ["New document"]
    stroke(window, 40)
    after_one = sketch.pixels.copy()
    stroke(window, 90)
    stroke(window, 140)
    after_three = sketch.pixels.copy()
    assert history_rows(window) == ["New document"] + ["Brush on Sketch"] * 3
    widget = window.history_panel.list_widget
    assert widget.currentRow() == 3

    click_history(qtbot, window, 1)
    assert window.undo.index == 1
    assert np.array_equal(sketch.pixels, after_one)
    assert widget.currentRow() == 1
    muted = widget.item(3).foreground().color()
    assert muted != widget.item(1).foreground().color()  # the undone steps are greyed
    assert "Redo" in widget.item(3).toolTip()
    click_history(qtbot, window, 0)
    assert sketch.is_blank()
    assert window.undo.index == 0
    click_history(qtbot, window, 3)
    assert np.array_equal(sketch.pixels, after_three)

    click_history(qtbot, window, 1)
    stroke(window, 170)  # a new change drops the steps that were undone
    assert history_rows(window) == ["New document", "Brush on Sketch", "Brush on Sketch"]
    assert "steps" in window.history_panel.memory_label.text()


def test_the_edit_menu_names_the_steps(window):
    titles = [action.text() for action in window.menuBar().actions()]
    assert titles[:2] == ["&File", "&Edit"]
    edit = window.edit_menu
    assert window.undo_action in edit.actions()
    assert window.redo_action in edit.actions()
    assert window.history_dock.toggleViewAction() in edit.actions()
    assert window.undo_action.shortcuts()[0].toString() == "Ctrl+Z"
    assert [key.toString() for key in window.redo_action.shortcuts()] == ["Ctrl+Shift+Z",
                                                                          "Ctrl+Y"]
    window.layers_panel.add_paint_layer()
    assert window.undo_action.text() == "Undo Add Paint 1"
    window.undo_actions.undo_step()
    assert window.redo_action.text() == "Redo Add Paint 1"
    assert window.undo_action.text() == "Undo"


# -- layers -----------------------------------------------------------------------------------
def test_delete_and_visibility_are_steps(qtbot, window, square_photo):
    document = window.document
    photo = window.import_photo(square_photo)
    assert window.undo.labels == ["Import square"]
    row = window.layers_panel.row_for(photo)
    qtbot.mouseClick(row.visible_button, Qt.MouseButton.LeftButton)
    assert not photo.visible
    assert window.undo.labels[-1] == "Hide square"
    click_row(qtbot, window, photo)
    press_keys(qtbot, window, Qt.Key.Key_Delete)
    assert photo not in document.layers
    assert window.undo.labels[-1] == "Delete square"
    window.undo_actions.undo_step()
    assert document.layers.index(photo) == 1  # back above the Sketch, where it was
    assert not photo.visible
    window.undo_actions.undo_step()
    assert photo.visible
    assert window.layers_panel.row_for(photo).visible_button.isChecked()
    window.undo_actions.undo_step()
    assert photo not in document.layers
    window.undo_actions.go_to_step(3)
    assert photo not in document.layers
    assert len(document.layers) == 1


def test_new_paint_layer_and_duplicate(qtbot, window):
    document = window.document
    press_keys(qtbot, window, Qt.Key.Key_N, CTRL | SHIFT)
    paint = document.layers[-1]
    assert paint.kind == "paint"
    assert paint.name == "Paint 1"
    assert document.active is paint
    stroke(window, 50)
    assert not paint.is_blank()
    assert document.sketch_layer().is_blank()
    press_keys(qtbot, window, Qt.Key.Key_J, CTRL)
    copy = document.layers[-1]
    assert copy.name == "Paint 1 copy"
    assert np.array_equal(copy.pixels, paint.pixels)
    assert copy.pixels is not paint.pixels
    assert window.undo.labels == ["Add Paint 1", "Brush on Paint 1", "Duplicate Paint 1"]
    window.undo_actions.go_to_step(0)
    assert [layer.kind for layer in document.layers] == ["sketch"]
    assert document.active is document.sketch_layer()
    window.undo_actions.go_to_step(3)
    assert [layer.name for layer in document.layers] == ["Sketch", "Paint 1", "Paint 1 copy"]
    assert not document.layers[1].is_blank()


def test_a_result_is_an_undoable_step(window, loop):
    stroke(window, 60)
    window.generate()
    finish_pending(loop, window)
    result = window.document.layers[-1]
    assert result.kind == "result"
    assert window.undo.labels == ["Brush on Sketch", "Add Result 1"]
    window.undo_actions.undo_step()
    assert result not in window.document.layers
    window.undo_actions.redo_step()
    assert window.document.layers[-1] is result


def test_a_result_for_a_replaced_document_is_not_added_to_the_new_one(window, loop):
    window.generate()
    new = Document.with_sketch_layer(64, 64)
    window.session.set_document(new)
    finish_pending(loop, window)
    assert [layer.kind for layer in new.layers] == ["sketch"]
    assert "document you closed" in window.statusBar().currentMessage()


# -- condition layers: what is recorded, and detector writes --------------------------------
def settle(qtbot, scheduler, layer: Layer) -> None:
    """Wait until the detector has nothing pending or running for ``layer``."""
    qtbot.waitUntil(lambda: not scheduler.is_busy(layer.id), timeout=DETECT_TIMEOUT)


def test_detector_writes_are_not_steps_and_follow_undo(qtbot, window, square_photo, scheduler):
    photo, edges = add_canny(qtbot, window, square_photo)
    settle(qtbot, scheduler, edges)
    assert window.undo.labels == ["Import square", "Add Canny edges of square"]
    original = edges.pixels.copy()
    click_row(qtbot, window, photo)
    window.tool_state.set_brush_size(10)
    stroke(window, 160, xs=(160, 230))
    settle(qtbot, scheduler, edges)
    assert edges.pixels[150:171, 150:240, :3].max() > EDGE
    assert window.undo.labels[-1] == "Brush on square"  # the detector's write is no step
    window.undo_actions.undo_step()  # the photo comes back, and its control image with it
    assert scheduler.is_busy(edges.id)
    settle(qtbot, scheduler, edges)
    assert np.array_equal(edges.pixels, original)
    window.undo_actions.undo_step()
    assert edges not in window.document.layers
    edges.pixels[...] = 0  # (what it held does not matter: it is detected again)
    window.undo_actions.redo_step()  # back in: detected again from its source
    settle(qtbot, scheduler, edges)
    assert np.array_equal(edges.pixels, original)


def test_a_hand_edit_on_a_control_image_is_one_step(qtbot, window, square_photo, scheduler):
    _photo, edges = add_canny(qtbot, window, square_photo)
    detected_image = edges.pixels.copy()
    qtbot.mouseClick(window.condition_panel.paint_button, Qt.MouseButton.LeftButton)
    window.tool_state.set_brush_size(6)
    stroke(window, 160, xs=(160, 230))
    painted = edges.pixels.copy()
    assert edges.condition.detached
    assert painted[160, 200, 0] == 255
    assert window.undo.labels[-1] == "Brush on Canny edges of square"

    window.undo_actions.undo_step()  # follows its source again: detected again from it
    assert not edges.condition.detached
    assert scheduler.is_busy(edges.id)
    qtbot.waitUntil(lambda: not scheduler.is_busy(edges.id), timeout=DETECT_TIMEOUT)
    assert np.array_equal(edges.pixels, detected_image)
    row = window.layers_panel.row_for(edges)
    assert not row.edited_label.isVisibleTo(row)
    window.undo_actions.redo_step()
    assert edges.condition.detached
    assert np.array_equal(edges.pixels, painted)
    assert not scheduler.is_busy(edges.id)  # nothing paints over the hand edit
    assert row.edited_label.isVisibleTo(row)


def test_re_detect_is_a_step_and_undo_brings_the_hand_edit_back(qtbot, window, square_photo):
    _photo, edges = add_canny(qtbot, window, square_photo)
    qtbot.mouseClick(window.condition_panel.paint_button, Qt.MouseButton.LeftButton)
    window.tool_state.set_brush_size(6)
    stroke(window, 160, xs=(160, 230))
    painted = edges.pixels.copy()
    with detected(qtbot, window.document, edges):
        qtbot.mouseClick(window.condition_panel.redetect_button, Qt.MouseButton.LeftButton)
    assert not edges.condition.detached
    assert edges.pixels[160, 200, :3].max() == 0
    assert window.undo.labels[-1] == "Re-detect Canny edges of square"
    window.undo_actions.undo_step()
    assert edges.condition.detached
    assert np.array_equal(edges.pixels, painted)
    with detected(qtbot, window.document, edges):
        window.undo_actions.redo_step()
    assert not edges.condition.detached
    assert edges.pixels[160, 200, :3].max() == 0


def test_detector_settings_merge_while_dragging_and_undo_re_detects(
    qtbot, window, square_photo, scheduler
):
    _photo, edges = add_canny(qtbot, window, square_photo)
    original = edges.pixels.copy()
    editor = window.condition_panel.editors["low_threshold"]
    steps = len(window.undo.labels)
    editor.slider.setFocus()
    for _ in range(30):
        qtbot.keyClick(editor.slider, Qt.Key.Key_Right)
    editor.slider.sliderReleased.emit()  # what letting the handle go does
    assert edges.condition.params["low_threshold"] == 130
    assert window.undo.labels[steps:] == ["Detector settings of Canny edges of square"]
    resolution = window.condition_panel.editors["detect_resolution"]
    resolution.spin.setValue(64)  # coarse: the edges come out thicker
    resolution.spin.editingFinished.emit()
    assert len(window.undo.labels) == steps + 2
    qtbot.waitUntil(lambda: not scheduler.is_busy(edges.id), timeout=DETECT_TIMEOUT)
    changed = edges.pixels.copy()
    assert not np.array_equal(changed, original)

    window.undo_actions.undo_step()
    window.undo_actions.undo_step()
    assert edges.condition.params["low_threshold"] == 100
    assert editor.value() == 100
    assert resolution.value() == 512
    qtbot.waitUntil(lambda: not scheduler.is_busy(edges.id), timeout=DETECT_TIMEOUT)
    assert np.array_equal(edges.pixels, original)


def test_use_and_strength_are_steps_and_a_slider_drag_is_one(qtbot, window, square_photo):
    _photo, edges = add_canny(qtbot, window, square_photo)
    steps = len(window.undo.labels)
    row = window.layers_panel.row_for(edges)
    qtbot.mouseClick(row.enabled_check, Qt.MouseButton.LeftButton, pos=INDICATOR)
    assert not edges.condition.enabled
    assert window.undo.labels[-1] == "Do not use Canny edges of square"
    window.undo_actions.undo_step()
    assert edges.condition.enabled
    assert window.condition_panel.enabled_check.isChecked()

    slider = window.condition_panel.scale_slider.slider
    handle = slider.rect().center()
    slider.setValue(slider.maximum() // 2)
    drag(slider, [QPoint(handle.x(), handle.y()), QPoint(handle.x() + 20, handle.y()),
                  QPoint(handle.x() + 40, handle.y())])
    assert edges.condition.conditioning_scale > 1.0
    assert window.undo.labels[steps:] == ["Strength of Canny edges of square"]
    row = window.layers_panel.row_for(edges)
    row.scale_spin.setValue(0.3)
    row.scale_spin.editingFinished.emit()
    assert len(window.undo.labels) == steps + 2
    window.undo_actions.undo_step()
    window.undo_actions.undo_step()
    assert edges.condition.conditioning_scale == 1.0
    assert window.layers_panel.row_for(edges).scale_spin.value() == 1.0


def test_sketch_strength_is_a_step(window):
    sketch = window.document.sketch_layer()
    window.generate_panel.sketch_strength_slider.setValue(0.4)
    window.generate_panel.sketch_strength_slider.slider.sliderReleased.emit()
    assert window.undo.labels == ["Strength of Sketch"]
    window.undo_actions.undo_step()
    assert sketch.condition.conditioning_scale == 1.0
    assert window.generate_panel.sketch_strength_slider.value() == 1.0


def test_a_remix_is_one_step(qtbot, window, square_photo):
    image = Image.open(square_photo)
    with detected(qtbot, window.document):
        layer = window.condition_actions.remix(image, "square", "canny")
    photo = window.document.layer_by_id(layer.condition.source_id)
    assert window.undo.labels == ["Canny edges remix of square"]
    window.undo_actions.undo_step()
    assert photo not in window.document.layers
    assert layer not in window.document.layers
    with detected(qtbot, window.document, layer):
        window.undo_actions.redo_step()
    assert [lay.kind for lay in window.document.layers] == ["sketch", "photo", "condition"]
    assert not photo.visible
    assert not layer.visible
    assert not layer.is_blank()


def test_the_source_is_a_step(qtbot, window, square_photo, scheduler):
    photo, edges = add_canny(qtbot, window, square_photo)
    settle(qtbot, scheduler, edges)
    from_photo = edges.pixels.copy()
    sketch = window.document.sketch_layer()
    window.condition_panel.source_combo.activated.emit(1)  # "Sketch" (below the photo)
    settle(qtbot, scheduler, edges)
    assert edges.condition.source_id == sketch.id
    assert not edges.is_blank()
    assert edges.pixels[..., :3].max() == 0  # a blank sketch has no edges
    assert window.undo.labels[-1] == "Source of Canny edges of square: Sketch"
    window.undo_actions.undo_step()
    assert edges.condition.source_id == photo.id
    assert window.condition_panel.source_combo.currentText() == "square"
    settle(qtbot, scheduler, edges)
    assert np.array_equal(edges.pixels, from_photo)


# -- DocumentEdits on its own -----------------------------------------------------------------
@pytest.fixture
def edits() -> DocumentEdits:
    document = Document.with_sketch_layer(64, 64)
    return DocumentEdits(document, UndoStack(document))


def test_edits_without_a_stack_apply_and_record_nothing():
    document = Document.with_sketch_layer(64, 64)
    edits = DocumentEdits(document)
    layer = edits.add_layer(Layer("Paint", "paint", blank_pixels(64, 64)))
    edits.set_visible(layer, False)
    assert layer in document.layers
    assert not layer.visible
    with pytest.raises(ValueError, match="another document"):
        DocumentEdits(document, UndoStack(Document(8, 8)))


def test_duplicating_the_sketch_gives_a_paint_layer(edits):
    sketch = edits.document.sketch_layer()
    sketch.pixels[5, 5] = (1, 2, 3, 255)
    copy = edits.duplicate_layer(sketch)
    assert copy.kind == "paint"
    assert copy.condition is None
    assert copy.pixels[5, 5, 3] == 255
    assert edits.document.sketch_layer() is sketch


def test_set_document_starts_an_empty_clean_history(edits):
    edits.add_layer(Layer("Paint", "paint", blank_pixels(64, 64)))
    other = Document(32, 32)
    edits.set_document(other)
    assert edits.undo.document is other
    assert edits.undo.labels == []
    assert edits.undo.is_clean
