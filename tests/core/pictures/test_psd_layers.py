"""Import PSD layers keeps what an artist sees: masks, fill opacity, clipping masks and group
opacity drawn into the layers (reference: psd-tools' render of the whole file), and a message
that names what could not be kept."""

from __future__ import annotations

import numpy as np
from PIL import Image
from psd_tools import PSDImage

from t2ia_desktop.core.document.composite import composite
from t2ia_desktop.core.document.document import Layer
from t2ia_desktop.core.files.psd import read_psd
from tests.core.pictures.psd_files import (
    H,
    W,
    artist_file,
    gradient_layer,
    with_invert_adjustment,
)

TOLERANCE = 2
"""Levels the imported layers, composited by the app, may differ from psd-tools' render."""


def app_composite(layers) -> np.ndarray:
    shown = [Layer(layer.name, "paint", layer.pixels, opacity=layer.opacity,
                   blend_mode=layer.blend_mode) for layer in layers if layer.visible]
    return composite(shown, W, H).astype(np.int32)


def test_the_imported_layers_composite_to_what_psd_tools_renders(tmp_path):
    path = artist_file(tmp_path / "art.psd")
    contents = read_psd(path)
    names = [layer.name for layer in contents.layers]
    assert names == ["Paper", "Masked", "Group", "Light"]
    reference = np.asarray(PSDImage.open(path).composite(ignore_preview=True).convert("RGBA"),
                           dtype=np.int32)
    got = app_composite(contents.layers)
    assert contents.layers[3].blend_mode == "soft-light"
    assert np.abs(got - reference).max() <= TOLERANCE
    # what each of the file's features did, against what Pillow-era import gave
    masked = contents.layers[1]
    assert masked.opacity == 200 / 255
    assert not masked.pixels[3:13, 2:8, 3].any()  # the mask hides the left half
    assert (masked.pixels[3:5, 8:14, 3] == 128).all()  # fill opacity
    assert (masked.pixels[5:11, 8:14, :3] != (20, 120, 220)).any()  # the clipped multiply
    assert contents.layers[2].opacity == 128 / 255


def test_the_message_names_what_was_merged_or_left_out(tmp_path):
    notes = " ; ".join(read_psd(artist_file(tmp_path / "art.psd")).notes)
    assert "layer masks applied to “Masked”" in notes
    assert "clipping masks merged: Clip into Masked" in notes
    assert "“Group”" in notes


def test_a_16_bit_cmyk_file_keeps_its_layers_transparency(tmp_path):
    psd = PSDImage.new("CMYK", (W, H), depth=16)
    psd.create_pixel_layer(Image.fromarray(gradient_layer(), "RGBA"), name="Paint")
    psd.save(tmp_path / "cmyk.psd")
    [paint] = read_psd(tmp_path / "cmyk.psd").layers
    assert np.abs(paint.pixels[..., 3].astype(int) - gradient_layer()[..., 3]).max() <= 1
    opaque = paint.pixels[:, -1].astype(int)
    assert np.abs(opaque[:, :3] - (200, 50, 20)).max() <= 2


def test_an_adjustment_layer_is_merged_with_what_lies_below_it(tmp_path):
    path = with_invert_adjustment(tmp_path / "adjusted.psd")
    assert [layer.kind for layer in PSDImage.open(path)] == ["pixel", "invert", "pixel"]
    contents = read_psd(path)
    assert [(layer.name, layer.visible) for layer in contents.layers] == [
        ("Paper", False), ("Invert 1 (merged)", True), ("Paint", True)]
    reference = np.asarray(PSDImage.open(path).composite(ignore_preview=True).convert("RGBA"),
                           dtype=np.int32)
    assert np.abs(app_composite(contents.layers) - reference).max() <= TOLERANCE
    assert np.abs(contents.layers[1].pixels[0, 0, :3].astype(int) - (55, 205, 235)).max() <= 1
    assert any("“Invert 1”" in note and "kept, hidden" in note for note in contents.notes)
