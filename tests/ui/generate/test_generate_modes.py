"""Image to image / Inpaint in the Generate panel, and each control's step range in the
Condition dock: what an artist sets reaches the request, undoes, and is saved in projects."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from t2ia_desktop.core.document.document import ConditionSettings, Layer, blank_pixels
from t2ia_desktop.core.files.project import load_project, save_project
from t2ia_desktop.core.generation.source import NO_MASK_TIP
from tests.ui.helpers import click_row


def paint_sketch(document) -> None:
    sketch = document.sketch_layer()
    sketch.pixels[10:20, 5:60] = (20, 20, 20, 255)
    document.notify_pixels_changed(sketch, (0, 0, document.width, document.height))


def add_mask(window, painted: bool = True) -> Layer:
    doc = window.document
    pixels = blank_pixels(doc.width, doc.height)
    if painted:
        pixels[8:24, 8:40] = (255, 255, 255, 255)
    return doc.add_layer(Layer("Mask", "mask", pixels))


def test_inpaint_is_offered_only_with_a_mask_layer(qtbot, window):
    source = window.generate_panel.source
    item = source.mode_combo.model().item(2)
    assert window.generation_settings.mode == "txt2img"
    assert not source.strength_slider.isEnabled()
    assert not item.isEnabled()
    assert item.toolTip() == NO_MASK_TIP
    add_mask(window)
    assert item.isEnabled()
    source.mode_combo.setCurrentIndex(2)
    assert window.generation_settings.mode == "inpaint"
    assert source.strength_slider.isEnabled()
    window.document.remove_layer(window.document.layers[-1])
    assert not item.isEnabled()
    assert window.generation_settings.mode == "img2img"


def test_image_to_image_sends_the_visible_canvas_without_masks(qtbot, window, engine, loop):
    doc = window.document
    paint_sketch(doc)
    photo = doc.add_layer(Layer("Photo", "photo", blank_pixels(doc.width, doc.height)), 0)
    photo.pixels[...] = (200, 100, 50, 255)
    add_mask(window)
    source = window.generate_panel.source
    window.generation_settings.mode = "img2img"
    source.strength_slider.setValue(0.4)
    job = window.generate()
    assert job is not None
    request = job.request
    assert request.mode == "img2img"
    assert request.strength == 0.4
    init = np.array(request.init_image)
    assert init.shape == (doc.height, doc.width, 4)
    assert tuple(init[12, 30]) == (20, 20, 20, 255)  # the sketch stroke over the photo
    assert tuple(init[20, 10]) == (200, 100, 50, 255)  # the mask layer is not in the picture


def test_inpaint_sends_the_mask_and_an_empty_mask_is_refused(qtbot, window):
    mask = add_mask(window, painted=False)
    window.generation_settings.mode = "inpaint"
    assert window.generate() is None
    assert "is empty: paint white" in window.statusBar().currentMessage()
    mask.pixels[8:24, 8:40] = (255, 255, 255, 255)
    job = window.generate()
    assert job.request.mode == "inpaint"
    sent = np.array(job.request.mask_image)
    assert sent[10, 10] == 255
    assert sent[30, 50] == 0


def test_a_controls_step_range_is_set_in_the_dock_undone_and_saved(qtbot, window, tmp_path):
    doc = window.document
    pixels = blank_pixels(doc.width, doc.height)
    pixels[10:20, 5:60] = (255, 255, 255, 255)
    sketch = doc.add_layer(Layer("Lines", "condition", pixels,
                                 condition=ConditionSettings("sketch")))
    click_row(qtbot, window, sketch)
    editor = window.condition_panel.step_range
    assert editor.value() == (0.0, 1.0)
    assert "share of the denoising steps" in editor.toolTip()
    editor.end_spin.setFocus()
    editor.end_spin.selectAll()
    qtbot.keyClicks(editor.end_spin, "0.6")
    qtbot.keyClick(editor.end_spin, Qt.Key.Key_Return)
    editor.start_spin.setValue(0.2)
    assert (sketch.condition.step_start, sketch.condition.step_end) == (0.2, 0.6)
    assert editor.start_spin.maximum() == 0.6
    assert editor.end_spin.minimum() == 0.2
    (control,) = doc.controls()  # the sketch layer is blank
    assert (control.start, control.end) == (0.2, 0.6)
    assert window.generate().request.controls[0].end == 0.6

    path = tmp_path / "ranges.t2ia"
    save_project(doc, path)
    reopened, _settings = load_project(path)
    settings = reopened.layer_by_id(sketch.id).condition
    assert (settings.step_start, settings.step_end) == (0.2, 0.6)

    window.undo.undo()
    assert sketch.condition.step_start == 0.0
    assert editor.value() == (0.0, 0.6)
