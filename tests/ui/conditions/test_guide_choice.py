"""The condition dock's Guide choice, driven with the keyboard and the mouse: what it offers per
family, undo, what Generate sends, and the adapter that stands in for a ControlNet a family
lacks."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from t2ia_desktop.core.conditions.guides import GUIDE_LABELS
from tests.ui.conftest import MODELS
from tests.ui.helpers import add_canny, finish_pending

SD15 = ("SD 1.5 (demo)", "demo-sd15", "sd15")


@pytest.fixture
def models() -> list:
    return [*MODELS, SD15]


def offered(combo) -> dict[str, bool]:
    model = combo.model()
    return {combo.itemText(row): model.item(row).isEnabled() for row in range(combo.count())}


def choose_with_keys(qtbot, combo, steps: int) -> None:
    """Focus the combo box and press Down ``steps`` times (disabled entries are skipped)."""
    combo.setFocus()
    for _ in range(steps):
        qtbot.keyClick(combo, Qt.Key.Key_Down)


def test_the_guide_is_chosen_in_the_dock_undone_and_sent_to_generate(
    qtbot, window, loop, engine, square_photo
):
    _photo, edges = add_canny(qtbot, window, square_photo)
    dock = window.condition_panel
    combo = dock.guide_combo
    assert dock.layer is edges
    assert combo.currentText() == "T2I-Adapter"
    assert offered(combo) == {"T2I-Adapter": True, "ControlNet": True,
                              "ControlNet Union": True}  # SDXL canny has all three
    assert "diffusers/controlnet-canny-sdxl-1.0" in combo.model().item(1).toolTip()

    choose_with_keys(qtbot, combo, 1)
    assert edges.condition.guide == "controlnet"
    assert window.undo_action.text().endswith("Guide Canny edges of square by ControlNet")
    row = window.layers_panel.row_for(edges)
    assert row.condition_text.text() == "Canny edges from square · ControlNet"
    assert "Canny edges (ControlNet) 1.00" in window.generate_panel.controls_label.text()

    window.undo_action.trigger()
    assert edges.condition.guide == "adapter"
    assert combo.currentText() == "T2I-Adapter"  # the dock follows the model
    window.redo_action.trigger()
    assert combo.currentText() == "ControlNet"

    window.generate()
    finish_pending(loop, window)
    (control,) = engine.calls[-1].controls
    assert (control.condition, control.guide) == ("canny", "controlnet")
    job_row = next(iter(window.queue_panel.rows.values()))
    assert "canny (ControlNet)" in job_row.toolTip()
    assert job_row.control_labels[0].toolTip() == "Control: canny, guided by ControlNet, strength 1"

    choose_with_keys(qtbot, combo, 1)
    assert edges.condition.guide == "union"
    window.generate()
    finish_pending(loop, window)
    assert engine.calls[-1].controls[0].guide == "union"


def test_a_guide_the_family_lacks_is_disabled_with_its_reason_and_the_adapter_stands_in(
    qtbot, window, loop, engine, square_photo
):
    _photo, edges = add_canny(qtbot, window, square_photo)
    dock, panel = window.condition_panel, window.generate_panel
    choose_with_keys(qtbot, dock.guide_combo, 2)
    assert edges.condition.guide == "union"

    panel.model_combo.setCurrentIndex(2)  # SD 1.5 has no union model
    combo = dock.guide_combo
    assert offered(combo) == {"T2I-Adapter": True, "ControlNet": True,
                              "ControlNet Union": False}
    assert combo.currentText() == "ControlNet Union"  # the layer keeps its choice
    tip = combo.model().item(2).toolTip()
    assert tip == ("The Canny edges condition has no ControlNet Union for SD15 models; it works "
                   "with SDXL models; use T2I-Adapter or ControlNet instead.")
    assert dock.family_label.isVisibleTo(dock)
    assert dock.family_label.text() == ("No ControlNet Union for SD15 models: its T2I-Adapter "
                                        "guides it instead.")

    window.generate()
    note = ("Canny edges: no such ControlNet for SD15 models, guided by the T2I-Adapter "
            "instead.")
    assert note in window.statusBar().currentMessage()
    finish_pending(loop, window)
    (control,) = engine.calls[-1].controls
    assert (control.condition, control.guide) == ("canny", "adapter")

    choose_with_keys(qtbot, combo, 1)  # Down from Union: nothing below it
    assert edges.condition.guide == "union"
    qtbot.keyClick(combo, Qt.Key.Key_Up)
    assert edges.condition.guide == "controlnet"
    assert not dock.family_label.isVisibleTo(dock)

    panel.model_combo.setCurrentIndex(0)  # back to SDXL
    assert all(offered(combo).values())


def test_a_lineart_layer_on_sd15_starts_on_its_controlnet(qtbot, window, square_photo):
    window.generate_panel.model_combo.setCurrentIndex(2)  # SD 1.5: lineart has no adapter
    photo = window.import_photo(square_photo)
    window.layers_panel.select(photo)
    layer = window.condition_actions.add_condition("lineart", photo)
    assert layer is not None
    assert layer.condition.guide == "controlnet"
    dock = window.condition_panel
    assert dock.layer is layer
    assert offered(dock.guide_combo) == {"T2I-Adapter": False, "ControlNet": True,
                                         "ControlNet Union": False}
    assert dock.guide_combo.currentText() == GUIDE_LABELS["controlnet"]
    assert "lllyasviel/control_v11p_sd15_lineart" in dock.guide_combo.toolTip()
    assert not dock.family_label.isVisibleTo(dock)


def test_the_guide_is_saved_in_the_project_and_shown_when_it_reopens(
    qtbot, window, square_photo, tmp_path
):
    _photo, edges = add_canny(qtbot, window, square_photo)
    choose_with_keys(qtbot, window.condition_panel.guide_combo, 1)
    path = tmp_path / "guided.t2ia"
    assert window.files.save_to(path)

    assert window.files.open_path(path, confirmed=True)
    (layer,) = [layer for layer in window.document.layers if layer.kind == "condition"]
    assert layer is not edges
    assert layer.condition.guide == "controlnet"
    window.layers_panel.select(layer)
    assert window.condition_panel.layer is layer
    assert window.condition_panel.guide_combo.currentText() == "ControlNet"


def test_the_memory_estimate_counts_a_controlnet_once_per_model(qtbot, window, square_photo):
    _photo, edges = add_canny(qtbot, window, square_photo)
    label = window.generate_panel.vram_label
    label.refresh()
    assert label.guides() == (1, 0)
    before = label.estimate.peak
    assert "ControlNet residuals" not in dict(label.estimate.terms)
    choose_with_keys(qtbot, window.condition_panel.guide_combo, 2)  # ControlNet Union
    qtbot.waitUntil(lambda: label.estimate.peak != before, timeout=5000)
    assert label.guides() == (0, 1)
    assert dict(label.estimate.terms)["ControlNet residuals"] > 0


def test_the_sketch_layers_guide_is_chosen_beside_sketch_strength(qtbot, window, loop, engine):
    panel = window.generate_panel
    combo = panel.sketch_guide_combo
    sketch = window.document.sketch_layer()
    assert combo.isVisibleTo(panel)
    assert offered(combo) == {"T2I-Adapter": True, "ControlNet": False,
                              "ControlNet Union": True}  # SDXL: no sketch ControlNet
    assert combo.model().item(1).toolTip().startswith(
        "The Sketch condition has no ControlNet for SDXL models; it works with SD15 models")
    choose_with_keys(qtbot, combo, 1)  # skips the greyed-out ControlNet
    assert sketch.condition.guide == "union"
    panel.model_combo.setCurrentIndex(2)  # SD 1.5: scribble ControlNet, no union
    assert offered(combo) == {"T2I-Adapter": True, "ControlNet": True,
                              "ControlNet Union": False}
    assert combo.currentText() == "ControlNet Union"
    qtbot.keyClick(combo, Qt.Key.Key_Up)
    assert sketch.condition.guide == "controlnet"
    window.undo_action.trigger()
    assert combo.currentText() == "ControlNet Union"
