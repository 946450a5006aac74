"""The photo path in one gesture: an imported, pasted or dropped photo lands above the selected
layer (below the results), shown and selected; Add condition layer and the Remix menu (Layer
menu and the Layers panel's Remix button) then work on it, the same way from each."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from t2ia_desktop.engine.detectors import SKETCH_LINES_NOTE
from t2ia_desktop.ui.window.main_window import MainWindow
from tests.ui.helpers import click_row, detected, drop_files, menu_action


def remix_action(window: MainWindow, condition: str):
    """The Layer → Remix photo entry for ``condition``, as the menu shows it now."""
    menu = window.condition_actions.remix_menu
    menu.aboutToShow.emit()
    (action,) = [a for a in menu.actions() if a.objectName() == f"remix_{condition}"]
    return action


def paste(qtbot, window: MainWindow, path: str) -> None:
    """Copy the picture at ``path`` to the clipboard and press Ctrl+V in the window."""
    QApplication.clipboard().setImage(QImage(path))
    window.activateWindow()
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)


def test_an_imported_photo_lands_above_the_selection_below_results_and_is_the_next_source(
    qtbot, window, square_photo
):
    document = window.document
    result = window.session.edits.add_result(Image.new("RGB", (document.width, document.height),
                                                       "red"), None)
    sketch = document.sketch_layer()
    click_row(qtbot, window, result)  # even with a result selected: the photo goes below it
    window.choose_photo = lambda: square_photo
    window.import_action.trigger()
    photo = window.layers_panel.selected_layer()
    assert [layer.kind for layer in document.layers] == ["sketch", "photo", "result"]
    assert photo.kind == "photo"
    assert photo.visible
    assert document.layers[0] is sketch
    assert document.layers[2] is result
    window.condition_actions.add_condition_menu.aboutToShow.emit()
    assert window.condition_actions.add_condition_menu.actions()[0].text() == "From “square”"
    with detected(qtbot, document) as got:
        menu_action(window, "canny").trigger()
    assert got.args[0].condition.source_id == photo.id  # not "Canny edges of Sketch"


def test_paste_and_import_place_and_select_the_same_way(qtbot, window, square_photo):
    document = window.document
    paste(qtbot, window, square_photo)
    pasted = window.layers_panel.selected_layer()
    assert pasted.kind == "photo"
    assert pasted.name == "Pasted"
    assert document.layers.index(pasted) == 1  # above the Sketch, which was selected
    window.choose_photo = lambda: square_photo
    window.import_action.trigger()
    imported = window.layers_panel.selected_layer()
    assert document.layers.index(imported) == 2  # above the pasted one, which was selected
    assert [layer.kind for layer in document.layers] == ["sketch", "photo", "photo"]


def test_the_remix_offer_works_on_a_selected_pasted_or_imported_photo(
    qtbot, window, square_photo
):
    panel = window.layers_panel
    assert not panel.remix_button.isVisibleTo(panel)  # the Sketch is selected: no photo
    assert not remix_action(window, "canny").isEnabled()
    paste(qtbot, window, square_photo)
    pasted = panel.selected_layer()
    assert panel.remix_button.isVisibleTo(panel)
    assert panel.remix_button.menu() is window.condition_actions.remix_menu
    assert window.condition_actions.remix_menu in [
        a.menu() for a in window.layer_menu.actions() if a.menu()]
    with detected(qtbot, window.document) as got:
        remix_action(window, "canny").trigger()
    edges = got.args[0]
    assert edges.condition.source_id == pasted.id
    assert not pasted.visible  # as a drop's remix: the photo hides, its control shows
    assert window.document.layers.index(edges) == window.document.layers.index(pasted) + 1
    assert panel.selected_layer() is edges
    assert window.canvas.overlay_showing(edges)
    assert window.undo.labels[-1] == "Canny edges remix of Pasted"
    window.undo_actions.undo_step()  # one step: the photo shows again, no condition layer
    assert pasted.visible
    assert edges not in window.document.layers

    window.choose_photo = lambda: square_photo
    window.import_action.trigger()  # the same offer for an imported photo
    imported = panel.selected_layer()
    with detected(qtbot, window.document) as got:
        remix_action(window, "canny").trigger()
    assert got.args[0].condition.source_id == imported.id
    assert np.array_equal(got.args[0].pixels, edges.pixels)  # the same picture, the same edges


def test_a_dropped_remix_places_its_photo_like_an_import(qtbot, window, square_photo):
    canvas = window.canvas
    assert drop_files(canvas, [square_photo], QPoint(canvas.width() // 2, canvas.height() // 2))
    menu = window.condition_actions.drop_menu
    qtbot.waitUntil(menu.isVisible)
    (action,) = [a for a in menu.actions() if a.objectName() == "drop_canny"]
    with detected(qtbot, window.document):
        action.trigger()
    menu.close()
    assert [layer.kind for layer in window.document.layers] == ["sketch", "photo", "condition"]
    assert window.undo.labels == ["Canny edges remix of square"]


def test_auto_sketch_of_a_pasted_photo_is_lines_never_a_white_block(qtbot, window, tmp_path):
    small = Image.new("RGB", (120, 90), "white")  # smaller than the canvas: pasted at its size
    small.paste(Image.new("RGB", (40, 30), "black"), (40, 30))
    small.save(tmp_path / "small.png")
    paste(qtbot, window, str(tmp_path / "small.png"))
    photo = window.layers_panel.selected_layer()
    assert photo.pixels[..., 3].min() == 0  # transparent around the picture
    with detected(qtbot, window.document) as got:
        menu_action(window, "sketch").trigger()
    lines = got.args[0]
    control = lines.pixels[..., 0]
    assert control.max() > 100  # the square's lines are there
    assert (control > 127).mean() < 0.3  # not a white block where the photo is
    assert window.updater.notes[lines.id] == SKETCH_LINES_NOTE
    row = window.layers_panel.row_for(lines)
    assert SKETCH_LINES_NOTE in row.name_label.toolTip()
    assert SKETCH_LINES_NOTE in window.condition_panel.status_label.text()
