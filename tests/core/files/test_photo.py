"""Photos for the canvas: opened upright in 8-bit RGBA, fitted with their aspect kept."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.files.photo import fit_to_canvas, load_photo, photo_name, to_rgba


def test_fit_keeps_the_aspect_and_centres_on_transparency():
    wide = Image.new("RGB", (400, 100), (10, 200, 30))
    pixels = fit_to_canvas(wide, 200, 200)
    assert pixels.shape == (200, 200, 4)
    assert pixels.dtype == np.uint8
    rows = np.nonzero(pixels[..., 3].max(axis=1))[0]
    assert (rows.min(), rows.max()) == (75, 124)  # 200×50, centred
    assert tuple(pixels[100, 100]) == (10, 200, 30, 255)
    assert pixels[:70, :, 3].max() == 0


def test_fit_upscales_tiny_pictures_and_does_not_bleed_transparent_colour():
    dot = Image.new("RGBA", (8, 8), (255, 0, 0, 0))  # transparent red around…
    dot.paste((0, 0, 255, 255), (2, 2, 6, 6))  # …an opaque blue square
    pixels = fit_to_canvas(dot, 64, 64)
    edge = pixels[8:56, 8:56]
    partly = edge[(edge[..., 3] > 0) & (edge[..., 3] < 255)]
    assert len(partly)
    assert partly[:, 0].max() < 40


def test_sixteen_bit_and_float_greys_are_scaled_not_clipped():
    deep = Image.fromarray(np.full((4, 4), 32768, np.uint16))
    assert deep.mode == "I;16"
    assert to_rgba(deep).getpixel((0, 0)) == (128, 128, 128, 255)
    unit = Image.fromarray(np.full((4, 4), 0.5, np.float32))
    assert to_rgba(unit).getpixel((0, 0))[0] in (127, 128)


def test_load_photo_errors_and_names(tmp_path):
    with pytest.raises(BadInput, match="no such file"):
        load_photo(tmp_path / "missing.png")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    with pytest.raises(BadInput, match="not a readable image"):
        load_photo(tmp_path / "broken.png")
    Image.new("LA", (5, 3), (90, 200)).save(tmp_path / "grey.png")
    assert load_photo(tmp_path / "grey.png").getpixel((0, 0)) == (90, 90, 90, 200)
    assert photo_name(tmp_path / "my photo.final.JPG") == "my photo.final"
