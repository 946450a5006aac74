"""Small things an artist trips over in the first hour: Space+drag pans wherever the keyboard
was, a fresh document's layer actions work, a job row tells its controls and seed."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QEnterEvent
from PySide6.QtWidgets import QApplication

from tests.ui.canvas_input import key
from tests.ui.helpers import drag


def test_space_drag_pans_after_the_pointer_comes_from_another_panel(qtbot, window):
    canvas, layers = window.canvas, window.layers_panel.list_widget
    window.activateWindow()
    qtbot.waitActive(window)
    layers.setFocus()  # the artist clicked a layer row last
    assert not canvas.hasFocus()
    centre = QPointF(canvas.width() / 2, canvas.height() / 2)
    QApplication.sendEvent(canvas, QEnterEvent(centre, centre, canvas.mapToGlobal(centre)))
    focused = QApplication.focusWidget()
    assert focused is canvas  # the pointer on the canvas takes the keyboard
    paper = canvas.paper_rect().topLeft()
    key(focused, Qt.Key.Key_Space, True)
    drag(canvas, [QPoint(200, 200), QPoint(180, 190), QPoint(170, 170)])
    key(focused, Qt.Key.Key_Space, False)
    assert canvas.paper_rect().topLeft() - paper == QPointF(-30, -30)  # panned
    assert window.document.sketch_layer().is_blank()  # not a stroke


def test_the_pointer_does_not_take_the_keyboard_from_the_prompt(qtbot, window):
    canvas, prompt = window.canvas, window.generate_panel.prompt_edit
    window.activateWindow()
    qtbot.waitActive(window)
    prompt.setFocus()
    centre = QPointF(10, 10)
    QApplication.sendEvent(canvas, QEnterEvent(centre, centre, canvas.mapToGlobal(centre)))
    assert prompt.hasFocus()  # a space typed in the prompt stays a space


def test_a_fresh_documents_current_layer_can_be_renamed_and_duplicated(qtbot, window):
    panel = window.layers_panel
    sketch = window.document.sketch_layer()
    assert panel.selected_layer() is sketch  # the row shown as current is the selected one
    assert panel.rename_action.isEnabled()
    assert window.duplicate_action.isEnabled()
    window.activateWindow()
    qtbot.waitActive(window)
    qtbot.keyClick(window.canvas, Qt.Key.Key_F2)
    assert panel.row_for(sketch).name_editor is not None  # F2 starts renaming


def test_hed_without_its_weights_says_so_in_plugins(qtbot, window, tmp_path):
    from t2ia_desktop.core.conditions.plugins import PluginHost, default_plugin_folders
    from t2ia_desktop.runtime.downloads import WeightDownloads
    from t2ia_desktop.ui.dialogs.plugins import PluginsController

    host = PluginHost(default_plugin_folders())  # the bundled plugins: HED soft edges
    controller = PluginsController(host, window.updater, window.menuBar(), window.show_message,
                                   window)
    downloads = WeightDownloads(annotators=lambda: tmp_path)  # an empty weights folder
    controller.missing_weights = lambda files: tuple(downloads.missing(files))
    dialog = controller.show_dialog()
    qtbot.addWidget(dialog)
    row = next(i for i, record in enumerate(dialog.records)
               if "hed-soft-edges" in record.conditions)
    assert dialog.table.item(row, 4).text() == "weights missing: ControlNetHED.pth"
    (tmp_path / "ControlNetHED.pth").write_bytes(b"weights")
    dialog.refresh()
    assert dialog.table.item(row, 4).text() == "loaded"
