"""The Select menu and the selection and transform tools in the window: shortcuts, the
selection becoming the inpaint mask the Generate panel uses, and Delete on the canvas."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QStandardItemModel

from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.document.selection import document_selection
from t2ia_desktop.core.generation.source import MODES, source_fields
from tests.ui.helpers import drag

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def focused_canvas(qtbot, window):
    window.activateWindow()
    qtbot.waitActive(window)
    window.canvas.setFocus()
    return window.canvas


def inpaint_enabled(window) -> bool:
    model = window.generate_panel.source.mode_combo.model()
    assert isinstance(model, QStandardItemModel)
    return model.item(MODES.index("inpaint")).isEnabled()


def test_select_menu_and_painters_shortcuts(qtbot, window):
    canvas = focused_canvas(qtbot, window)
    actions = window.selection_actions
    menu = actions.menu
    texts = [action.text() for action in menu.actions() if action.text()]
    assert texts == ["Rectangle selection", "Lasso selection", "Select all", "Deselect",
                     "Invert selection", "Selection → inpaint mask", "Clear selected area",
                     "Fill selection"]
    assert all(action.toolTip() for action in menu.actions() if action.text())
    assert menu.menuAction() in window.menuBar().actions()
    qtbot.keyClick(canvas, Qt.Key.Key_M)
    assert window.tool_state.tool == "rect_select"
    assert actions.rectangle_action.isChecked()
    qtbot.keyClick(canvas, Qt.Key.Key_L)
    assert window.tool_state.tool == "lasso"
    assert actions.lasso_action.isChecked()
    selection = actions.selection
    assert not actions.deselect_action.isEnabled()
    qtbot.keyClick(canvas, Qt.Key.Key_A, CTRL)
    assert selection.mask.all()
    assert actions.to_mask_action.isEnabled()
    qtbot.keyClick(canvas, Qt.Key.Key_D, CTRL)
    assert selection.is_empty()
    selection.select_rectangle((0, 0), (10, 10))
    qtbot.keyClick(canvas, Qt.Key.Key_I, CTRL | SHIFT)
    assert not selection.mask[5, 5]
    assert selection.mask[50, 50]
    qtbot.keyClick(canvas, Qt.Key.Key_B)
    assert window.tool_state.tool == "brush"


def test_selection_to_inpaint_mask_enables_inpainting_and_undo_takes_it_back(qtbot, window):
    canvas = focused_canvas(qtbot, window)
    document = window.document
    assert not inpaint_enabled(window)
    qtbot.keyClick(canvas, Qt.Key.Key_M)
    drag(canvas, [canvas.from_document(QPointF(20, 20)).toPoint(),
                  canvas.from_document(QPointF(100, 80)).toPoint()])
    window.selection_actions.to_mask_action.trigger()
    masks = [layer for layer in document.layers if layer.kind == "mask"]
    assert len(masks) == 1
    assert masks[0].pixels[50, 50, 3] == 255
    assert inpaint_enabled(window)
    assert window.generation_settings.mode == "inpaint"
    settings = window.generation_settings
    fields = source_fields(document, settings.mode, settings.strength)
    mask = np.asarray(fields["mask_image"])
    assert mask[50, 50] == 255
    assert mask[10, 10] == 0
    assert window.undo.labels[-1] == "Selection → inpaint mask"
    window.layers_panel.select(masks[0])  # selecting the mask: the brush refines it in white
    assert document.active is masks[0]
    qtbot.keyClick(canvas, Qt.Key.Key_D, CTRL)
    qtbot.keyClick(canvas, Qt.Key.Key_B)
    drag(canvas, [canvas.from_document(QPointF(150, 150)).toPoint()])
    assert (masks[0].pixels[150, 150] == 255).all()
    window.layers_panel.select(masks[0])
    window.delete_action.trigger()  # a mask layer can be deleted like any other
    assert masks[0] not in document.layers
    assert not inpaint_enabled(window)
    window.undo_actions.undo_step()
    assert masks[0] in document.layers
    assert inpaint_enabled(window)
    window.undo_actions.undo_step()  # the stroke
    window.undo_actions.undo_step()  # Deselect: a step of its own
    assert not window.selection_actions.selection.is_empty()
    window.undo_actions.undo_step()
    assert not any(layer.kind == "mask" for layer in document.layers)
    assert not inpaint_enabled(window)
    assert window.generation_settings.mode != "inpaint"


def test_delete_on_the_canvas_clears_the_selected_area_not_the_layer(qtbot, window):
    canvas = focused_canvas(qtbot, window)
    layer = window.layers_panel.add_paint_layer()
    layer.pixels[...] = (0, 90, 200, 255)
    window.selection_actions.selection.select_rectangle((10, 10), (40, 30))
    qtbot.keyClick(canvas, Qt.Key.Key_Delete)
    assert layer in window.document.layers
    assert not layer.pixels[20, 20, 3]
    assert layer.pixels[50, 50, 3] == 255
    assert window.undo.labels[-1] == f"Clear selected area on {layer.name}"
    qtbot.keyClick(canvas, Qt.Key.Key_D, CTRL)
    qtbot.keyClick(canvas, Qt.Key.Key_Delete)  # nothing selected: Delete deletes the layer
    assert layer not in window.document.layers


def test_ctrl_t_frames_the_layer_and_a_new_document_starts_unselected(qtbot, window):
    canvas = focused_canvas(qtbot, window)
    sketch = window.document.sketch_layer()
    sketch.pixels[40:60, 40:80] = (0, 0, 0, 255)
    qtbot.keyClick(canvas, Qt.Key.Key_T, CTRL)
    transform = window.selection_actions.transform
    assert window.tool_state.tool == "transform"
    assert transform.session is not None
    assert transform.session.source == (40, 40, 40, 20)
    drag(canvas, [canvas.from_document(QPointF(50, 50)).toPoint(),
                  canvas.from_document(QPointF(60, 70)).toPoint()])
    qtbot.keyClick(canvas, Qt.Key.Key_Return)
    assert window.undo.labels[-1] == "Move Sketch"
    assert sketch.pixels[65, 85, 3] == 255
    assert not sketch.pixels[45, 45, 3]
    window.selection_actions.selection.select_all()
    window.session.set_document(Document.with_sketch_layer(128, 96))
    assert window.selection_actions.selection.is_empty()
    assert window.selection_actions.selection.size == (128, 96)
    # the selection the canvas's tools keep inside is the one the Select menu works on
    assert document_selection(window.canvas.document) is window.selection_actions.selection
