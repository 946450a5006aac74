from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from t2ia_desktop.core.conditions.registry import default_registry
from t2ia_desktop.core.errors import BadInput, ModelUnavailable
from t2ia_desktop.engine.detectors import detect

REGISTRY = default_registry()


def drawing(mode: str = "RGB") -> Image.Image:
    image = Image.new(mode, (96, 64), "white")
    ImageDraw.Draw(image).rectangle((20, 16, 70, 48), outline="black", width=3)
    return image


def test_sketch_turns_dark_lines_on_paper_into_white_on_black():
    control = detect(REGISTRY.get("sketch"), drawing())
    pixels = np.array(control)
    assert control.mode == "L"
    assert control.size == (96, 64)
    assert pixels[16, 40] == 255
    assert pixels[0, 0] == 0
    assert pixels[32, 45] == 0


def test_sketch_of_a_transparent_layer_uses_its_strokes():
    layer = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    ImageDraw.Draw(layer).line((0, 32, 63, 32), fill=(200, 30, 30, 255), width=3)
    pixels = np.array(detect(REGISTRY.get("sketch"), layer))
    assert pixels[32, 10] == 255
    assert pixels[5, 5] == 0


def test_sketch_threshold_makes_it_binary():
    grey = Image.new("L", (8, 8), 40)
    out = np.array(detect(REGISTRY.get("sketch"), grey, {"threshold": 128}))
    assert set(np.unique(out)) <= {0, 255}


def test_canny_finds_the_edges_at_the_input_size():
    control = detect(REGISTRY.get("canny"), drawing(), {"low_threshold": 50,
                                                        "high_threshold": 150})
    edges = np.array(control.convert("L"))
    assert control.size == (96, 64)
    assert edges[:, :10].max() == 0  # flat paper has no edges
    assert edges[10:55, 15:75].max() > 0
    assert edges[30:34, 40:50].max() == 0


def test_colour_palette_is_made_of_blocks():
    gradient = Image.fromarray(np.tile(np.arange(128, dtype=np.uint8), (128, 1)), "L")
    blocks = np.array(detect(REGISTRY.get("color"), gradient, {"block": 32}))
    assert blocks.shape == (128, 128, 3)
    assert len(np.unique(blocks[0, :, 0])) == 4  # four blocks across


def test_out_of_range_parameter_is_refused():
    with pytest.raises(BadInput, match="low_threshold must be at most 255"):
        detect(REGISTRY.get("canny"), drawing(), {"low_threshold": 300})


def test_missing_detector_weights_name_the_file(monkeypatch, tmp_path):
    with pytest.raises(ModelUnavailable, match="sk_model.pth.*lllyasviel/Annotators"):
        detect(REGISTRY.get("lineart"), drawing(), annotators=tmp_path)


def test_auto_sketch_of_a_photo_with_transparent_margins_is_its_lines_and_says_so():
    from t2ia_desktop.engine.detectors import SKETCH_LINES_NOTE

    layer = Image.new("RGBA", (128, 96), (0, 0, 0, 0))  # a photo pasted at its size
    photo = Image.new("RGBA", (60, 40), (240, 240, 240, 255))
    ImageDraw.Draw(photo).rectangle((20, 10, 40, 30), fill=(20, 20, 20, 255))
    layer.paste(photo, (30, 20))
    control = detect(REGISTRY.get("sketch"), layer)
    pixels = np.array(control)
    assert control.info["note"] == SKETCH_LINES_NOTE
    assert pixels[35, 55] > 200  # the dark square inside the photo is the line
    assert pixels[25, 35] < 40  # the light photo around it is not a white block
    assert pixels[5, 5] == 0  # nothing where nothing is
    strokes = Image.new("RGBA", (128, 96), (0, 0, 0, 0))  # a drawn sketch: no note
    ImageDraw.Draw(strokes).ellipse((20, 20, 100, 80), outline=(0, 0, 0, 255), width=3)
    drawn = detect(REGISTRY.get("sketch"), strokes)
    assert "note" not in drawn.info
    assert np.array(drawn)[50, 21] == 255
