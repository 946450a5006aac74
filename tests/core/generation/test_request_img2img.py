"""Step ranges and img2img/inpainting fields of the request, and where they come from."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from t2ia_desktop.core.document.document import ConditionSettings, Document, Layer, blank_pixels
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.files.project import load_project, save_project
from t2ia_desktop.core.generation.request import ControlSpec, GenerationRequest
from t2ia_desktop.core.generation.source import canvas_image, mask_image, source_fields

SKETCH = Image.new("L", (64, 64), 255)


def test_metadata_has_ranges_and_image_hashes_and_old_defaults_hold():
    old_style = ControlSpec("sketch", SKETCH, None, 0.8)
    assert (old_style.start, old_style.end) == (0.0, 1.0)
    request = GenerationRequest(
        model="demo", prompt="x", controls=(ControlSpec("sketch", SKETCH, start=0.25, end=0.5),),
        init_image=Image.new("RGB", (64, 64)), mask_image=Image.new("L", (64, 64)),
        strength=0.6).validate()
    data = request.to_metadata()
    assert data["controls"][0]["start"] == 0.25
    assert data["controls"][0]["end"] == 0.5
    assert data["strength"] == 0.6
    assert len(data["init_image_sha256"]) == 16
    assert "init_image" not in data
    assert "mask_image" not in data
    assert request.mode == "inpaint"


@pytest.mark.parametrize(("start", "end"), [(-0.1, 1.0), (0.5, 1.2), (0.6, 0.4)])
def test_bad_ranges_are_refused(start, end):
    request = GenerationRequest(model="demo", prompt="x",
                                controls=(ControlSpec("sketch", SKETCH, start=start, end=end),))
    with pytest.raises(BadInput, match="step range of sketch"):
        request.validate()


def test_a_project_keeps_ranges_and_an_img2img_result(tmp_path):
    doc = Document.with_sketch_layer(64, 64)
    doc.sketch_layer().condition.step_end = 0.7
    request = GenerationRequest(model="demo", prompt="x", width=64, height=64,
                                controls=(ControlSpec("sketch", SKETCH, end=0.5),),
                                init_image=Image.new("RGB", (64, 64)), strength=0.3)
    doc.add_result(Image.new("RGB", (64, 64), "red"), request)
    save_project(doc, tmp_path / "p.t2ia")
    opened, _ = load_project(tmp_path / "p.t2ia")
    assert opened.sketch_layer().condition.step_end == 0.7
    kept = opened.layers[-1].request
    assert kept.controls[0].end == 0.5
    assert kept.strength == 0.3
    assert kept.init_image is None  # not stored: the result's PNG metadata has its hash


def test_sources_from_the_document():
    doc = Document(32, 32)
    photo = doc.add_layer(Layer("Photo", "photo", blank_pixels(32, 32)))
    photo.pixels[...] = (10, 20, 30, 255)
    mask = doc.add_layer(Layer("Mask", "mask", blank_pixels(32, 32)))
    mask.pixels[4:8, 4:8] = (255, 255, 255, 255)
    mask.pixels[20:24, 20:24] = (0, 0, 0, 255)  # black paint: keep
    assert np.array(canvas_image(doc))[5, 5].tolist() == [10, 20, 30, 255]
    repaint = np.array(mask_image(mask))
    assert repaint[5, 5] == 255
    assert repaint[21, 21] == 0
    assert repaint[0, 0] == 0
    fields = source_fields(doc, "inpaint", 0.5)
    assert set(fields) == {"init_image", "strength", "mask_image"}
    assert source_fields(doc, "txt2img", 0.5) == {}
    doc.remove_layer(mask)
    with pytest.raises(BadInput, match="Inpaint needs a mask layer"):
        source_fields(doc, "inpaint", 0.5)


def test_document_controls_carry_the_layers_range():
    doc = Document.with_sketch_layer(32, 32)
    sketch = doc.sketch_layer()
    sketch.pixels[2:6, 2:20] = (0, 0, 0, 255)
    doc.set_condition_value(sketch, "step_start", 0.3)
    assert doc.controls()[0].start == 0.3
    assert isinstance(sketch.condition, ConditionSettings)
