"""Embedded colour profiles converted to sRGB on import (reference: Pillow's ImageCms applied to
the same pixels with the same profile); pictures without one are taken as sRGB."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from t2ia_desktop.core.files.photo import load_photo
from tests.core.pictures.icc_profiles import grey_profile, wide_rgb_profile

CMYK_PROFILE = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")


def reference(image: Image.Image, icc: bytes) -> np.ndarray:
    source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    srgb = ImageCms.createProfile("sRGB")
    return np.asarray(ImageCms.profileToProfile(image, source, srgb, outputMode="RGB"),
                      dtype=np.int32)


def colours() -> np.ndarray:
    y, x = np.mgrid[0:16, 0:24]
    return np.stack([x * 10, y * 15, 255 - x * 10], axis=-1).astype(np.uint8)


def test_an_rgb_jpeg_with_a_wide_gamut_profile_comes_in_srgb(tmp_path):
    icc = wide_rgb_profile()
    picture = Image.fromarray(colours(), "RGB")
    picture.save(tmp_path / "wide.jpg", quality=100, icc_profile=icc)
    decoded = Image.open(tmp_path / "wide.jpg").convert("RGB")  # the JPEG's own pixels
    expected = reference(decoded, icc)
    ours = np.asarray(load_photo(tmp_path / "wide.jpg"), dtype=np.int32)
    assert np.abs(ours[..., :3] - expected).max() <= 1
    assert np.abs(ours[..., :3] - np.asarray(decoded, np.int32)).max() > 20  # it did convert
    assert (ours[..., 3] == 255).all()


def test_transparency_survives_the_conversion(tmp_path):
    icc = wide_rgb_profile()
    pixels = np.dstack([colours(), np.tile(np.arange(24, dtype=np.uint8) * 10, (16, 1))])
    Image.fromarray(pixels, "RGBA").save(tmp_path / "wide.png", icc_profile=icc)
    ours = np.asarray(load_photo(tmp_path / "wide.png"), dtype=np.int32)
    assert np.array_equal(ours[..., 3], pixels[..., 3])
    expected = reference(Image.fromarray(colours(), "RGB"), icc)
    assert np.abs(ours[..., :3] - expected).max() <= 1


def test_a_grey_picture_with_a_grey_profile_comes_in_srgb(tmp_path):
    icc = grey_profile(1.8)
    grey = Image.fromarray(np.tile(np.arange(24, dtype=np.uint8) * 10, (16, 1)), "L")
    grey.save(tmp_path / "grey.png", icc_profile=icc)
    ours = np.asarray(load_photo(tmp_path / "grey.png"), dtype=np.int32)
    expected = reference(grey, icc)
    assert np.abs(ours[..., :3] - expected).max() <= 1
    assert ours[0, 12, 0] > 120 + 10  # gamma 1.8 grey 120 is lighter in sRGB


@pytest.mark.skipif(not CMYK_PROFILE.is_file(), reason="no CMYK profile on this system")
def test_a_cmyk_jpeg_with_its_profile_comes_in_srgb(tmp_path):
    icc = CMYK_PROFILE.read_bytes()
    cmyk = Image.fromarray(np.dstack([colours(), np.full((16, 24), 40, np.uint8)]), "CMYK")
    cmyk.save(tmp_path / "print.jpg", quality=100, icc_profile=icc)
    decoded = Image.open(tmp_path / "print.jpg")
    expected = reference(decoded, icc)
    ours = np.asarray(load_photo(tmp_path / "print.jpg"), dtype=np.int32)
    assert np.abs(ours[..., :3] - expected).max() <= 1
    naive = np.asarray(decoded.convert("RGB"), dtype=np.int32)
    assert np.abs(ours[..., :3] - naive).mean() > 10  # Pillow's plain conversion is far off


def test_a_picture_without_a_profile_is_taken_as_srgb(tmp_path):
    Image.fromarray(colours(), "RGB").save(tmp_path / "plain.png")
    ours = np.asarray(load_photo(tmp_path / "plain.png"))
    assert np.array_equal(ours[..., :3], colours())


def test_a_damaged_profile_leaves_the_colours_as_they_are(tmp_path):
    Image.fromarray(colours(), "RGB").save(tmp_path / "bad.png", icc_profile=b"not a profile")
    ours = np.asarray(load_photo(tmp_path / "bad.png"))
    assert np.array_equal(ours[..., :3], colours())
