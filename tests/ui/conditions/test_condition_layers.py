"""Condition layers in the window, through the real preview scheduler and real detectors:
adding them, live updates, parameters, hand edits, the overlay, and what Generate sends."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from t2ia_desktop.core.conditions.registry import ConditionType, ParamSpec, default_registry
from t2ia_desktop.engine.detectors import sketch as sketch_detector
from t2ia_desktop.runtime.condition_updates import ConditionUpdater
from t2ia_desktop.runtime.previews import PreviewScheduler
from t2ia_desktop.session.session import Session
from t2ia_desktop.ui.conditions.panel import ConditionPanel
from t2ia_desktop.ui.conditions.param_editors import (
    BoolEditor,
    ChoiceEditor,
    FloatEditor,
    IntEditor,
)
from tests.builders import add_condition, pixel_centre
from tests.ui.conftest import MODELS
from tests.ui.helpers import (
    DETECT_TIMEOUT,
    EDGE,
    INDICATOR,
    add_canny,
    click_row,
    detected,
    drag,
    finish_pending,
    menu_action,
)

SD15 = ("SD 1.5 (demo)", "demo-sd15", "sd15")
@pytest.fixture
def models() -> list:
    return [*MODELS, SD15]


# -- adding -----------------------------------------------------------------------------------
def test_the_add_condition_menu_follows_the_models_family(qtbot, window, square_photo):
    assert menu_action(window, "canny").isEnabled()  # from the active sketch layer
    photo = window.import_photo(square_photo)
    click_row(qtbot, window, photo)
    window.condition_actions.add_condition_menu.aboutToShow.emit()
    header = window.condition_actions.add_condition_menu.actions()[0]
    assert header.text() == "From “square”"
    assert not header.isEnabled()
    labels = [a.text() for a in window.condition_actions.add_condition_menu.actions()
              if a.objectName().startswith("add_")]
    assert labels == [kind.label for kind in default_registry()]

    colour = menu_action(window, "color")
    assert not colour.isEnabled()
    assert colour.toolTip().startswith("No Colour palette adapter for SDXL models; it works "
                                       "with SD15.")
    assert menu_action(window, "lineart").isEnabled()
    assert "sk_model.pth" in menu_action(window, "lineart").toolTip()  # says it needs weights

    window.generate_panel.model_combo.setCurrentIndex(2)  # the SD 1.5 model
    assert menu_action(window, "color").isEnabled()
    assert menu_action(window, "lineart").isEnabled()  # SD 1.5 has only its ControlNet
    assert menu_action(window, "lineart").toolTip().startswith(
        "No Lineart adapter for SD15 models: its ControlNet guides it.")


def test_a_new_condition_layer_is_hidden_shown_in_preview_and_the_photo_stays(
    qtbot, window, square_photo
):
    photo, edges = add_canny(qtbot, window, square_photo)
    document = window.document
    assert [layer.kind for layer in document.layers] == ["sketch", "photo", "condition"]
    assert photo.visible
    assert not edges.visible
    assert window.canvas.composite_image().pixelColor(60, 90).value() < 10  # the square shows
    assert window.layers_panel.selected_layer() is edges
    assert window.current_condition is edges
    assert window.condition_panel.layer is edges
    preview = window.preview_panel
    assert preview.source_view.layer is photo
    assert preview.control_view.layer is edges
    assert preview.source_caption.text() == "Source: square"
    assert preview.control_caption.text() == "Canny edges"
    assert document.active is photo  # selecting a condition layer does not move the brush
    row = window.layers_panel.row_for(edges)
    assert row.condition_text.text() == "Canny edges from square"
    assert row.enabled_check.isChecked()
    assert row.scale_spin.value() == 1.0
    assert not row.visible_button.isChecked()
    # edges all round the square, nothing on the empty right half
    assert edges.pixels[60:120, 26:35, :3].max() > EDGE
    assert edges.pixels[:, 140:, :3].max() == 0


# -- live updates -----------------------------------------------------------------------------
def test_a_stroke_on_the_source_updates_the_control_image(qtbot, window, square_photo):
    photo, edges = add_canny(qtbot, window, square_photo)
    click_row(qtbot, window, photo)
    assert window.document.active is photo
    thumb_before = window.preview_panel.control_view.grab().toImage()
    window.tool_state.set_brush_size(10)
    with detected(qtbot, window.document, edges):
        drag(window.canvas, [pixel_centre(window.canvas, x, 96) for x in (160, 200, 230)])
    assert photo.pixels[96, 160:230, :3].max() < 60  # the stroke inked the photo
    stroke_edges = edges.pixels[85:108, 150:240, :3]
    assert stroke_edges.max() > EDGE  # and its outline is in the control image
    assert edges.pixels[60:120, 26:35, :3].max() > EDGE  # the square's edges are kept
    assert window.preview_panel.control_view.grab().toImage() != thumb_before
    row = window.layers_panel.row_for(edges)
    qtbot.waitUntil(lambda: not row.busy_bar.isVisibleTo(row))


def test_the_busy_bar_shows_while_the_detector_runs(qtbot, window, square_photo, updater):
    _photo, edges = add_canny(qtbot, window, square_photo)
    row = window.layers_panel.row_for(edges)
    qtbot.waitUntil(lambda: not row.busy_bar.isVisibleTo(row))
    with qtbot.waitSignal(updater.layer_busy, check_params_cb=lambda layer, busy: busy):
        window.condition_panel.editors["high_threshold"].spin.setValue(150)
    assert row.busy_bar.isVisibleTo(row)
    assert window.condition_panel.status_label.text() == "Updating…"
    qtbot.waitUntil(lambda: not row.busy_bar.isVisibleTo(row), timeout=DETECT_TIMEOUT)
    assert window.condition_panel.status_label.text() == ""


def test_a_burst_of_changes_through_the_built_controls_runs_the_detector_at_most_twice(
    qtbot, window, square_photo, scheduler
):
    _photo, edges = add_canny(qtbot, window, square_photo)
    qtbot.waitUntil(lambda: not scheduler.is_busy(edges.id), timeout=DETECT_TIMEOUT)
    panel = window.condition_panel
    assert list(panel.editors) == ["low_threshold", "high_threshold", "detect_resolution"]
    editor = panel.editors["low_threshold"]
    assert (editor.slider.minimum(), editor.slider.maximum(), editor.value()) == (0, 255, 100)
    before = scheduler.runs[edges.id]
    editor.slider.setFocus()
    for _ in range(100):  # the artist holds → down: a hundred changes, events in between
        qtbot.keyClick(editor.slider, Qt.Key.Key_Right)
        QApplication.processEvents()
    assert edges.condition.params["low_threshold"] == 200
    assert editor.spin.value() == 200
    with qtbot.waitSignal(window.document.pixels_changed, timeout=DETECT_TIMEOUT,
                          check_params_cb=lambda layer, _rect: layer is edges):
        pass
    qtbot.waitUntil(lambda: not scheduler.is_busy(edges.id), timeout=DETECT_TIMEOUT)
    assert 1 <= scheduler.runs[edges.id] - before <= 2


# -- hand edits -------------------------------------------------------------------------------
def test_painting_on_a_condition_layer_detaches_it_until_redetect(
    qtbot, window, square_photo, scheduler
):
    photo, edges = add_canny(qtbot, window, square_photo)
    canvas = window.canvas
    qtbot.mouseClick(window.condition_panel.paint_button, Qt.MouseButton.LeftButton)
    assert window.document.active is edges
    assert window.overlay_action.isChecked()
    assert canvas.overlay_showing(edges)
    window.tool_state.set_brush_size(6)
    # white, where nothing was
    drag(canvas, [pixel_centre(canvas, x, 160) for x in (160, 200, 230)])
    assert edges.pixels[160, 165:225, :3].min() == 255
    assert edges.pixels[160, 165:225, 3].min() == 255
    assert edges.condition.detached
    row = window.layers_panel.row_for(edges)
    assert row.edited_label.isVisibleTo(row)
    assert "Re-detect" in row.edited_label.toolTip()
    assert "hand-edited" in window.statusBar().currentMessage()
    assert "no longer follows" in window.condition_panel.status_label.text()

    window.tool_state.set_tool("eraser")  # on a control image the eraser paints black
    drag(canvas, [pixel_centre(canvas, 200, 150), pixel_centre(canvas, 200, 170)])
    assert edges.pixels[160, 200, :3].max() == 0
    assert edges.pixels[160, 200, 3] == 255
    window.tool_state.set_tool("brush")
    edge_x = int(np.argmax(edges.pixels[90, :60, 0]))  # on the square's left edge
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.AltModifier,
                     pixel_centre(canvas, edge_x, 90))
    picked = window.tool_state.control_color
    assert picked == tuple(int(v) for v in edges.pixels[90, edge_x, :3])
    assert max(picked) > EDGE  # its brightness (HSV value)
    assert "picked" in window.statusBar().currentMessage()

    window.overlay_action.trigger()  # overlay off: the hidden layer is not painted blind
    with qtbot.waitSignal(canvas.message) as told:
        drag(canvas, [pixel_centre(canvas, 160, 20), pixel_centre(canvas, 230, 20)])
    assert "hidden" in told.args[0]
    assert edges.pixels[20, 165:225, :3].max() == 0

    click_row(qtbot, window, photo)  # back to the photo: its strokes leave the edit alone
    runs = scheduler.runs[edges.id]
    drag(canvas, [pixel_centre(canvas, 160, 20), pixel_centre(canvas, 230, 20)])
    scheduler.flush()
    assert not scheduler.is_busy(edges.id)
    assert scheduler.runs[edges.id] == runs
    assert edges.pixels[160, 165:195, :3].min() == 255

    with detected(qtbot, window.document, edges):
        qtbot.mouseClick(row.redetect_button, Qt.MouseButton.LeftButton)
    assert not edges.condition.detached
    assert not row.edited_label.isVisibleTo(row)
    assert edges.pixels[160, 165:225, :3].max() == 0  # the hand-painted line is gone
    assert edges.pixels[10:31, 160:230, :3].max() > EDGE  # and the photo's new stroke is in


# -- the overlay ------------------------------------------------------------------------------
def test_the_overlay_draws_the_control_image_over_the_canvas(qtbot, window, square_photo):
    _photo, edges = add_canny(qtbot, window, square_photo)
    canvas = window.canvas
    paper = pixel_centre(canvas, 200, 20)  # white paper, no edge there

    def seen() -> int:
        return canvas.grab().toImage().pixelColor(paper).value()

    assert seen() == 255
    window.activateWindow()
    qtbot.waitActive(window)
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_O)
    assert window.overlay_action.isChecked()
    assert canvas.overlay_showing(edges)
    window.window_layout.overlay_slider.setValue(100)
    assert window.tool_state.overlay_opacity == 1.0
    assert seen() == 0
    edge_x = int(np.argmax(edges.pixels[90, :60, 0]))
    edge = canvas.grab().toImage().pixelColor(pixel_centre(canvas, edge_x, 90))
    assert edge.value() == edges.pixels[90, edge_x, 0] > EDGE  # the edge, not the black ink
    window.window_layout.overlay_slider.setValue(50)
    assert 110 < seen() < 145
    qtbot.keyClick(canvas, Qt.Key.Key_O)
    assert not canvas.overlay_showing()
    assert seen() == 255
    assert window.canvas.composite_image().pixelColor(200, 20).value() == 255  # never baked in


# -- Generate ---------------------------------------------------------------------------------
def test_generate_sends_each_enabled_condition_layer_with_its_own_scale(
    qtbot, window, loop, engine, square_photo
):
    document = window.document
    _photo, edges = add_canny(qtbot, window, square_photo)
    sketch = document.sketch_layer()
    click_row(qtbot, window, sketch)
    drag(window.canvas, [pixel_centre(window.canvas, x, 170) for x in (120, 180, 240)])
    window.generate_panel.sketch_strength_slider.setValue(0.8)
    assert sketch.condition.conditioning_scale == 0.8
    assert window.layers_panel.row_for(sketch).scale_spin.value() == 0.8  # the same number
    row = window.layers_panel.row_for(edges)
    row.scale_spin.setValue(0.6)
    assert edges.condition.conditioning_scale == 0.6
    assert window.condition_panel.scale_slider.value() == 0.6
    assert window.generate_panel.controls_label.text() == "Controls: Canny edges 0.60, Sketch 0.80"

    window.generate()
    finish_pending(loop, window)
    controls = engine.calls[-1].controls
    assert [(c.condition, c.conditioning_scale) for c in controls] == [("sketch", 0.8),
                                                                       ("canny", 0.6)]
    assert np.array_equal(np.array(controls[1].image), edges.pixels[..., :3])
    assert np.array_equal(np.array(controls[0].image), sketch.pixels[..., 3])

    row = window.layers_panel.row_for(edges)  # the list was rebuilt for the result layer
    qtbot.mouseClick(row.enabled_check, Qt.MouseButton.LeftButton, pos=INDICATOR)  # "Use" off
    assert not edges.condition.enabled
    assert not row.scale_spin.isEnabled()
    assert not window.condition_panel.enabled_check.isChecked()
    window.generate()
    finish_pending(loop, window)
    assert [c.condition for c in engine.calls[-1].controls] == ["sketch"]


def test_a_condition_without_an_adapter_for_the_family_is_left_out_with_a_note(
    qtbot, window, loop, engine, square_photo
):
    panel = window.generate_panel
    panel.model_combo.setCurrentIndex(2)  # SD 1.5 has a colour adapter
    photo = window.import_photo(square_photo)
    click_row(qtbot, window, photo)
    with detected(qtbot, window.document) as got:
        menu_action(window, "color").trigger()
    colour = got.args[0]
    assert colour.condition.condition == "color"
    assert not colour.is_blank()

    panel.model_combo.setCurrentIndex(0)  # back to SDXL: no colour adapter
    row = window.layers_panel.row_for(colour)
    assert row.condition_text.text() == "Colour palette from square · no SDXL adapter"
    assert window.condition_panel.family_label.isVisibleTo(window.condition_panel)
    assert "No adapter for SDXL" in window.condition_panel.family_label.text()
    assert "left out (no SDXL adapter): Colour palette" in panel.controls_label.text()
    window.generate()
    note = "Left out Colour palette: no adapter for SDXL models."
    assert note in window.statusBar().currentMessage()
    finish_pending(loop, window)
    assert engine.calls[-1].controls == ()
    assert note in window.statusBar().currentMessage()  # still said when it is done

    panel.model_combo.setCurrentIndex(2)
    window.generate()
    finish_pending(loop, window)
    assert [c.condition for c in engine.calls[-1].controls] == ["color"]


# -- controls built from parameter specs ------------------------------------------------------
EVERY_KIND = ConditionType(
    "every-kind", "Every kind", "A plugin-style condition with one parameter of each kind",
    {"sdxl": "someone/adapter"}, detector="sketch",
    params=(
        ParamSpec("count", "int", 3, "Count", 0, 10),
        ParamSpec("amount", "float", 0.5, "Amount", 0.0, 1.0),
        ParamSpec("invert", "bool", False, "Invert"),
        ParamSpec("mode", "choice", "soft", "Mode", choices=("soft", "hard")),
    ),
)


def test_controls_are_built_for_every_parameter_kind(qtbot, document):
    registry = default_registry([EVERY_KIND])
    # the real scheduler; the plugin's detector is the engine's real sketch detector
    scheduler = PreviewScheduler(lambda: lambda _condition, image, params: sketch_detector(
        image, {}))
    updater = ConditionUpdater(document, registry, scheduler)
    try:
        with qtbot.waitSignal(document.pixels_changed, timeout=DETECT_TIMEOUT):
            layer = add_condition(updater, "every-kind", document.sketch_layer())
        panel = ConditionPanel(Session(document, updater))
        qtbot.addWidget(panel)
        panel.set_layer(layer)
        panel.show()
        editors = panel.editors
        assert isinstance(editors["count"], IntEditor)
        assert isinstance(editors["mode"], ChoiceEditor)
        assert isinstance(editors["amount"], FloatEditor)
        assert isinstance(editors["invert"],
                                                                         BoolEditor)
        count = editors["count"]
        assert (count.spin.minimum(), count.spin.maximum(), count.slider.maximum()) == (0, 0 + 10,
                                                                                        10)
        assert editors["amount"].spin.value() == 0.5
        assert editors["mode"].combo.count() == 2
        assert editors["invert"].check.text() == "Invert"
        labels = [panel.params_form.itemAt(row, panel.params_form.ItemRole.LabelRole)
                  for row in range(panel.params_form.rowCount())]
        assert [item.widget().text() for item in labels if item and item.widget().text()] == [
            "Count", "Amount", "Mode"]
        assert all(editor.toolTip() for editor in editors.values())
        assert "0 to 10" in count.toolTip()

        qtbot.keyClick(count.spin, Qt.Key.Key_Up)
        qtbot.keyClick(editors["amount"].slider, Qt.Key.Key_Right)
        qtbot.mouseClick(editors["invert"].check, Qt.MouseButton.LeftButton, pos=INDICATOR)
        editors["mode"].combo.setFocus()
        qtbot.keyClick(editors["mode"].combo, Qt.Key.Key_Down)
        assert layer.condition.params == {"count": 4, "amount": 0.505, "invert": True,
                                          "mode": "hard"}
        layer.condition.params["count"] = 9  # changed elsewhere: the panel shows it
        document.layer_changed.emit(layer)
        assert count.spin.value() == 9
        assert count.slider.value() == 9
        qtbot.waitUntil(lambda: not scheduler.is_busy(layer.id), timeout=DETECT_TIMEOUT)
    finally:
        updater.disconnect_document()
        scheduler.shutdown()
    assert not scheduler._thread.isRunning()


def test_the_condition_panel_rebinds_a_layer_to_another_source(qtbot, window, square_photo):
    _photo, edges = add_canny(qtbot, window, square_photo)
    sketch = window.document.sketch_layer()
    panel = window.condition_panel
    names = [panel.source_combo.itemText(i) for i in range(panel.source_combo.count())]
    assert names == ["square", "Sketch"]  # top first: the photo landed above the Sketch
    assert panel.source_combo.currentText() == "square"
    click_row(qtbot, window, sketch)
    drag(window.canvas, [pixel_centre(window.canvas, x, 170) for x in (150, 240)])
    with detected(qtbot, window.document, edges):
        panel.source_combo.activated.emit(1)  # what choosing "Sketch" in the list does
    assert edges.condition.source_id == sketch.id
    assert window.preview_panel.source_view.layer is sketch
    assert edges.pixels[60:120, 26:35, :3].max() == 0  # the square is no longer its source
    assert edges.pixels[160:181, 150:240, :3].max() > EDGE


def test_deleting_a_source_keeps_its_condition_layers_image(qtbot, window, square_photo):
    photo, edges = add_canny(qtbot, window, square_photo)
    image = edges.pixels.copy()
    click_row(qtbot, window, photo)
    window.delete_action.trigger()  # no question: undo brings it back
    assert photo not in window.document.layers
    message = window.statusBar().currentMessage()
    assert "Ctrl+Z" in message
    assert "Canny edges of square keeps its control image" in message
    assert np.array_equal(edges.pixels, image)
    assert window.condition_panel.source_combo.currentText().startswith("(deleted")
    qtbot.mouseClick(window.condition_panel.redetect_button, Qt.MouseButton.LeftButton)
    assert "source layer was deleted" in edges.condition.error
    row = window.layers_panel.row_for(edges)
    assert row.error_label.isVisibleTo(row)
    assert row.error_label.toolTip() == edges.condition.error
    click_row(qtbot, window, edges)
    window.delete_action.trigger()
    assert window.current_condition is None
    assert window.preview_panel.layer is None
    assert window.condition_panel.placeholder.isVisibleTo(window.condition_panel)


def test_ctrl_r_re_detects_the_selected_condition_layer(qtbot, window, square_photo):
    assert not window.paint_condition_action.isEnabled()  # no condition layer yet
    _photo, edges = add_canny(qtbot, window, square_photo)
    assert window.paint_condition_action.isEnabled()
    edges.pixels[0:10, 0:10, :3] = 255  # painted by hand elsewhere (another view, a script)
    window.document.notify_pixels_changed(edges, (0, 0, 10, 10))
    assert edges.condition.detached
    window.activateWindow()
    qtbot.waitActive(window)
    window.canvas.setFocus()
    with detected(qtbot, window.document, edges):
        qtbot.keyClick(window.canvas, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert not edges.condition.detached
    assert edges.pixels[0:10, 0:10, :3].max() == 0
