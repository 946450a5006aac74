"""The generation area model: snapping and fitting, undo, canvas resizes, project files,
cropping a request to it and placing its result."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from PIL import Image

from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.document.generation_area import (
    GenerationArea,
    centered,
    crop_request,
    fit_area,
    placed,
    whole_canvas,
)
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.files.project import MANIFEST, load_project, save_project
from t2ia_desktop.core.generation.request import ControlSpec, GenerationRequest
from t2ia_desktop.core.undo.area_command import SetGenerationArea
from t2ia_desktop.core.undo.commands import ResizeCanvas
from t2ia_desktop.core.undo.stack import UndoStack


def test_the_default_is_the_whole_canvas_and_follows_resizes():
    doc = Document.with_sketch_layer(320, 200)
    assert doc.custom_area is None
    assert doc.generation_area == GenerationArea(0, 0, 320, 200)
    stack = UndoStack(doc)
    stack.push(ResizeCanvas(400, 240, (0, 0)))
    assert doc.generation_area == GenerationArea(0, 0, 400, 240)
    stack.undo()
    assert doc.generation_area == GenerationArea(0, 0, 320, 200)


def test_a_canvas_off_the_grid_generates_over_its_largest_grid_part():
    assert whole_canvas(1000, 750) == GenerationArea(0, 0, 1000, 744)


@pytest.mark.parametrize(("area", "fitted"), [
    (GenerationArea(13, 21, 101, 99), GenerationArea(16, 24, 104, 96)),  # snapped to 8
    (GenerationArea(0, 0, 10, 10), GenerationArea(0, 0, 64, 64)),  # at least 64
    (GenerationArea(300, -40, 128, 128), GenerationArea(192, 0, 128, 128)),  # moved inside
    (GenerationArea(0, 0, 900, 900), GenerationArea(0, 0, 320, 200)),  # no larger than it
])
def test_an_area_is_snapped_and_kept_inside_the_canvas(area, fitted):
    assert fit_area(area, 320, 200) == fitted


def test_setting_an_area_is_one_undo_step_with_its_size_in_the_label():
    doc = Document.with_sketch_layer(320, 200)
    seen = []
    doc.generation_area_changed.connect(seen.append)
    stack = UndoStack(doc)
    assert stack.push(SetGenerationArea(GenerationArea(61, 30, 130, 100)))
    assert doc.generation_area == GenerationArea(64, 32, 128, 104)
    assert stack.labels == ["Generation area 128 × 104"]
    assert not stack.push(SetGenerationArea(GenerationArea(64, 32, 128, 104)))  # no change
    stack.undo()
    assert doc.custom_area is None
    assert doc.generation_area == whole_canvas(320, 200)
    stack.redo()
    assert doc.generation_area == GenerationArea(64, 32, 128, 104)
    assert seen == [GenerationArea(64, 32, 128, 104), whole_canvas(320, 200),
                    GenerationArea(64, 32, 128, 104)]
    stack.push(SetGenerationArea(GenerationArea(0, 0, 320, 200)))
    assert doc.custom_area is None  # the whole canvas again: it follows resizes from now on
    assert stack.labels[-1] == "Generation area: whole canvas"


def test_a_resize_keeps_the_area_over_the_same_part_of_the_picture():
    doc = Document.with_sketch_layer(320, 200)
    stack = UndoStack(doc)
    stack.push(SetGenerationArea(GenerationArea(64, 64, 128, 96)))
    stack.push(ResizeCanvas(480, 360, (80, 80)))  # the old canvas centred on a larger one
    assert doc.generation_area == GenerationArea(144, 144, 128, 96)
    stack.push(ResizeCanvas(128, 128, (-200, -150)))  # cropped: it is pulled back inside
    assert doc.generation_area == GenerationArea(0, 0, 128, 96)
    stack.undo()
    assert doc.generation_area == GenerationArea(144, 144, 128, 96)
    stack.undo()
    assert doc.generation_area == GenerationArea(64, 64, 128, 96)


def test_centred_sizes():
    assert centered((512, 512), 1024, 768) == GenerationArea(256, 128, 512, 512)
    assert centered((1344, 768), 1024, 1024) == GenerationArea(0, 128, 1024, 768)


def test_projects_keep_the_area_and_older_projects_get_the_whole_canvas(tmp_path):
    doc = Document.with_sketch_layer(320, 200)
    doc.set_generation_area(GenerationArea(96, 40, 192, 128))
    path = tmp_path / "area.t2ia"
    save_project(doc, path)
    loaded, _ = load_project(path)
    assert loaded.custom_area == GenerationArea(96, 40, 192, 128)

    whole = tmp_path / "whole.t2ia"
    save_project(Document.with_sketch_layer(320, 200), whole)
    assert load_project(whole)[0].custom_area is None

    older = tmp_path / "older.t2ia"  # written before the field existed
    _rewrite_manifest(path, older, lambda manifest: manifest.pop("generation_area"))
    assert load_project(older)[0].generation_area == GenerationArea(0, 0, 320, 200)


def test_a_bad_area_in_a_project_is_refused_with_a_reason(tmp_path):
    doc = Document.with_sketch_layer(320, 200)
    path = tmp_path / "good.t2ia"
    save_project(doc, path)
    bad = tmp_path / "bad.t2ia"
    _rewrite_manifest(path, bad, lambda manifest: manifest.update(
        generation_area={"x": "left", "y": 0, "width": 64, "height": 64}))
    with pytest.raises(BadInput, match="generation area is not an object of whole numbers"):
        load_project(bad)
    _rewrite_manifest(path, bad, lambda manifest: manifest.update(
        generation_area={"x": 9000, "y": -5, "width": 10**6, "height": 72}))
    assert load_project(bad)[0].generation_area == GenerationArea(0, 0, 320, 72)


def _rewrite_manifest(source, target, change) -> None:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == MANIFEST:
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest).encode()
            new.writestr(item, data)


def _gradient(width: int, height: int) -> Image.Image:
    x = np.arange(width, dtype=np.uint8)[None, :].repeat(height, 0)
    y = np.arange(height, dtype=np.uint8)[:, None].repeat(width, 1)
    return Image.fromarray(np.stack([x, y, x ^ y], -1), "RGB")


def test_a_request_is_cropped_to_the_area():
    control = _gradient(320, 200)
    mask = Image.new("L", (320, 200), 0)
    mask.paste(255, (100, 60, 140, 90))
    request = GenerationRequest("demo", "a cat", width=320, height=200,
                                controls=(ControlSpec("canny", control, None, 0.7),),
                                init_image=_gradient(320, 200).convert("RGBA"),
                                mask_image=mask)
    area = GenerationArea(96, 40, 128, 64)
    cropped = crop_request(request, area, (320, 200))
    assert (cropped.width, cropped.height) == (128, 64)
    assert cropped.controls[0].conditioning_scale == 0.7
    pixels = np.asarray(cropped.controls[0].image)
    assert pixels.shape == (64, 128, 3)
    assert tuple(pixels[0, 0]) == (96, 40, 96 ^ 40)  # the area's top-left canvas pixel
    assert np.asarray(cropped.init_image)[10, 20, 0] == 116
    assert np.asarray(cropped.mask_image)[20, 4] == 255
    assert np.asarray(cropped.mask_image)[0, 0] == 0
    cropped.validate()
    assert crop_request(request, whole_canvas(320, 200), (320, 200)) is request


def test_a_mask_outside_the_area_is_refused_with_what_to_do():
    mask = Image.new("L", (320, 200), 0)
    mask.paste(255, (0, 0, 40, 40))
    request = GenerationRequest("demo", "", width=320, height=200,
                                init_image=Image.new("RGBA", (320, 200)), mask_image=mask)
    with pytest.raises(BadInput, match="nothing painted inside the generation area"):
        crop_request(request, GenerationArea(128, 96, 128, 96), (320, 200))


def test_a_result_lands_at_the_area_transparent_elsewhere():
    doc = Document.with_sketch_layer(320, 200)
    doc.set_generation_area(GenerationArea(96, 40, 128, 64))
    picture = Image.new("RGB", (128, 64), (10, 200, 30))
    layer = doc.result_layer(picture)  # no origin given: the area's, as the sizes match
    assert layer.size == (320, 200)
    assert tuple(layer.pixels[40, 96]) == (10, 200, 30, 255)
    assert tuple(layer.pixels[103, 223]) == (10, 200, 30, 255)
    assert layer.pixels[39, 96, 3] == 0
    assert layer.pixels[104, 96, 3] == 0
    assert layer.pixels[40, 95, 3] == 0
    assert layer.pixels[40, 224, 3] == 0
    elsewhere = doc.result_layer(picture, origin=(0, 136))  # where the frame was at Generate
    assert tuple(elsewhere.pixels[136, 0]) == (10, 200, 30, 255)
    assert elsewhere.pixels[135, 0, 3] == 0
    whole = doc.result_layer(Image.new("RGB", (320, 200), "red"))
    assert whole.pixels[..., 3].all()
    cut = placed(picture, (300, 180), 320, 200)  # what falls off the canvas is cut
    assert cut[180:, 300:, 3].all()
    assert cut[:180, :, 3].sum() == 0
