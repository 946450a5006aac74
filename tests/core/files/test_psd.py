"""Photoshop files layer by layer, and picture formats converted to 8-bit RGBA correctly."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.files.photo import load_photo, place_at_size
from t2ia_desktop.core.files.psd import read_psd
from tests.core.files.psd_writer import LayerSpec, write_psd

W, H = 30, 20


def seen(pixels: np.ndarray) -> np.ndarray:
    """``pixels`` with the colour of fully transparent ones (not seen) set to 0."""
    return np.where(pixels[..., 3:] > 0, pixels, 0)


def layered_psd(path):
    back = np.zeros((H, W, 4), np.uint8)
    back[...] = (200, 100, 50, 255)
    square = np.zeros((5, 6, 4), np.uint8)
    square[...] = (10, 200, 30, 255)
    square[0, 0, 3] = 0
    write_psd(path, W, H, [
        LayerSpec("Background", back),
        LayerSpec("Shadow", square, left=4, top=3, opacity=128, blend="multiply"),
        LayerSpec("Hidden glow", square, left=-2, top=17, blend="screen", visible=False),
        LayerSpec("Odd mode", square, left=20, top=10, blend="difference"),
    ], back[..., :3])
    return back, square


def test_every_pixel_layer_comes_with_name_offset_opacity_visibility_and_blend(tmp_path):
    back, square = layered_psd(tmp_path / "a.psd")
    size, layers = read_psd(tmp_path / "a.psd").size, read_psd(tmp_path / "a.psd").layers
    assert size == (W, H)
    assert [layer.name for layer in layers] == ["Background", "Shadow", "Hidden glow",
                                                "Odd mode"]
    assert [layer.kind for layer in layers] == ["photo", "paint", "paint", "paint"]
    assert np.array_equal(layers[0].pixels, back)
    shadow = layers[1]
    assert np.array_equal(seen(shadow.pixels[3:8, 4:10]), seen(square))
    assert not shadow.pixels[:3].any()
    assert not shadow.pixels[8:].any()
    assert shadow.opacity == pytest.approx(128 / 255)
    assert shadow.blend_mode == "multiply"
    glow = layers[2]  # hangs off the left and bottom edges: clipped
    assert not glow.visible
    assert glow.blend_mode == "screen"
    assert np.array_equal(seen(glow.pixels[17:20, 0:4]), seen(square[0:3, 2:6]))
    assert layers[3].blend_mode == "difference"


def test_a_psd_without_layers_gives_its_flattened_picture(tmp_path):
    picture = np.random.default_rng(0).integers(0, 256, (H, W, 3), dtype=np.uint8)
    write_psd(tmp_path / "flat.psd", W, H, [], picture)
    contents = read_psd(tmp_path / "flat.psd")
    size, layers = contents.size, contents.layers
    assert size == (W, H)
    assert len(layers) == 1
    assert layers[0].name == "flat"
    assert np.array_equal(layers[0].pixels[..., :3], picture)
    assert (layers[0].pixels[..., 3] == 255).all()


def test_a_damaged_psd_is_refused_with_a_reason(tmp_path):
    layered_psd(tmp_path / "a.psd")
    data = (tmp_path / "a.psd").read_bytes()
    (tmp_path / "cut.psd").write_bytes(data[:40])
    with pytest.raises(BadInput, match="not a readable Photoshop file"):
        read_psd(tmp_path / "cut.psd")
    (tmp_path / "text.psd").write_text("hello")
    with pytest.raises(BadInput):
        read_psd(tmp_path / "text.psd")
    with pytest.raises(BadInput, match="no such file"):
        read_psd(tmp_path / "missing.psd")


# -- picture formats --------------------------------------------------------------------------

def gradient() -> np.ndarray:
    y, x = np.mgrid[0:16, 0:24]
    return np.stack([x * 10, y * 15, (x + y) * 6, np.full_like(x, 255)], -1).astype(np.uint8)


@pytest.mark.parametrize("suffix", ["png", "tiff", "bmp", "webp"])
def test_lossless_formats_read_back_exactly(tmp_path, suffix):
    rgba = gradient()
    rgba[2:5, 3:9, 3] = 70
    image = Image.fromarray(rgba, "RGBA")
    if suffix == "bmp":
        image = image.convert("RGB")
        rgba[..., 3] = 255
    path = tmp_path / f"p.{suffix}"
    image.save(path, **({"lossless": True, "exact": True} if suffix == "webp" else {}))
    assert np.array_equal(np.asarray(load_photo(path)), rgba)


def test_sixteen_bit_rgb_tiff_and_png_are_scaled_down_not_clipped(tmp_path):
    grey16 = (np.arange(24 * 16, dtype=np.uint16).reshape(16, 24) * 170)
    Image.fromarray(grey16).save(tmp_path / "g.png")
    out = np.asarray(load_photo(tmp_path / "g.png"))
    assert np.abs(out[..., 0].astype(int) - np.rint(grey16 / 257)).max() <= 1
    assert out[..., 0].max() > 200  # not clipped to white or to 255 at once


def test_palette_with_transparency_keeps_the_transparent_colour_transparent(tmp_path):
    image = Image.new("P", (8, 6), 0)
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    image.putpixel((2, 3), 1)
    image.info["transparency"] = 0
    image.save(tmp_path / "p.png", transparency=0)
    out = np.asarray(load_photo(tmp_path / "p.png"))
    assert out[0, 0, 3] == 0
    assert tuple(out[3, 2]) == (0, 0, 255, 255)


def test_cmyk_is_converted_to_rgb_colours(tmp_path):
    Image.new("CMYK", (8, 6), (0, 255, 255, 0)).save(tmp_path / "c.tiff")  # pure red ink
    Image.new("CMYK", (8, 6), (0, 0, 0, 255)).save(tmp_path / "k.jpg", quality=100)
    assert tuple(np.asarray(load_photo(tmp_path / "c.tiff"))[2, 2]) == (255, 0, 0, 255)
    black = np.asarray(load_photo(tmp_path / "k.jpg"))[2, 2]
    assert black[:3].max() < 10
    assert black[3] == 255


def test_a_gif_gives_its_first_frame(tmp_path):
    frames = [Image.new("RGB", (8, 6), colour) for colour in ("red", "blue")]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:])
    assert tuple(np.asarray(load_photo(tmp_path / "a.gif"))[1, 1]) == (255, 0, 0, 255)


def test_keep_size_centres_and_crops_without_scaling():
    image = Image.fromarray(gradient(), "RGBA")  # 24×16
    bigger = place_at_size(image, 30, 20)
    assert np.array_equal(bigger[2:18, 3:27], gradient())
    assert not bigger[:2].any()
    smaller = place_at_size(image, 10, 8)
    assert np.array_equal(smaller, gradient()[4:12, 7:17])
