"""A Photoshop file through Import photo / drop: the picture Photoshop shows, read by psd-tools
(references: psd-tools' render of the layers, the picture the file was made from)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from psd_tools import PSDImage

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.files.imageio import open_image
from t2ia_desktop.core.files.photo import load_photo
from tests.core.pictures.psd_files import (
    H,
    W,
    as_photoshop_saves,
    gradient_layer,
    layered,
    with_saved_selection,
)


def rgba(path) -> np.ndarray:
    return np.asarray(load_photo(path), dtype=np.int32)


def test_transparency_comes_from_the_layers_without_photoshops_white_matte(tmp_path):
    path = layered(tmp_path / "paint.psd")
    truth = as_photoshop_saves(path).astype(np.int32)
    pillow = np.asarray(Image.open(path).convert("RGBA"), dtype=np.int16)
    assert np.abs(pillow[..., :3] - truth[..., :3])[truth[..., 3] > 0].max() > 30  # the matte
    ours = rgba(path)
    assert np.abs(ours[..., 3] - truth[..., 3]).max() <= 1
    # what is seen (colour times alpha): the matte's 8-bit rounding is all that differs
    seen = np.abs(ours[..., :3] * ours[..., 3:] - truth[..., :3] * truth[..., 3:]) / 255
    assert seen.max() <= 2


def test_a_saved_selection_channel_is_not_taken_for_transparency(tmp_path):
    path = with_saved_selection(tmp_path / "photo.psd")
    assert np.asarray(Image.open(path).convert("RGBA"))[..., 3].max() == 0  # Pillow's reading
    ours = rgba(path)
    assert (ours[..., 3] == 255).all()
    assert np.abs(ours[..., :3] - gradient_layer()[..., :3]).max() <= 1


@pytest.mark.parametrize(("mode", "depth", "suffix"), [
    ("RGB", 16, ".psd"), ("RGB", 32, ".psd"), ("CMYK", 16, ".psd"), ("L", 16, ".psd"),
    ("RGB", 8, ".psb"),
])
def test_every_depth_colour_mode_and_psb_is_read_as_psd_tools_renders_it(tmp_path, mode, depth,
                                                                          suffix):
    path = layered(tmp_path / f"deep{suffix}", mode, depth, psb=suffix == ".psb")
    with pytest.raises(Exception):  # noqa: B017, PT011 (Pillow refuses these files)
        Image.open(path).load()
    reference = np.asarray(PSDImage.open(path).composite().convert("RGBA"),
                           dtype=np.int16)
    ours = rgba(path)
    assert ours.shape == (H, W, 4)
    assert np.abs(ours - reference).max() <= 2
    right = ours[:, -1, :3]  # the gradient's opaque end, as painted
    expected = (200, 50, 20) if mode != "L" else (ours[0, -1, 0],) * 3
    assert np.abs(right - np.array(expected)).max() <= 3


def test_a_one_bit_bitmap_file_is_not_inverted(tmp_path):
    bits = np.zeros((H, W), bool)
    bits[:, : W // 2] = True  # white on the left
    PSDImage.frompil(Image.fromarray(bits)).save(tmp_path / "bitmap.psd")
    ours = rgba(tmp_path / "bitmap.psd")
    assert (ours[:, : W // 2, :3] == 255).all()
    assert (ours[:, W // 2:, :3] == 0).all()


def test_a_damaged_photoshop_file_is_refused_with_psd_tools_reason(tmp_path):
    path = layered(tmp_path / "paint.psd")
    (tmp_path / "cut.psd").write_bytes(path.read_bytes()[:60])
    with pytest.raises(BadInput, match=r"not a readable Photoshop file \(.+\)"):
        open_image(tmp_path / "cut.psd")
