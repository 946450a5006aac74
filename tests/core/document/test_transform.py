"""The affine maths of the transform tool: exact quarter turns and flips, identity, resampled
turns and scales, and masked transforms that leave unselected pixels alone."""

from __future__ import annotations

import numpy as np
import pytest

from t2ia_desktop.core.document.transform import (
    about,
    frame_matrix,
    lift,
    quarter_turn_matrix,
    rotation,
    scaling,
    transformed_mask,
    transformed_region,
    translation,
)


def apply_transform(pixels: np.ndarray, matrix: np.ndarray, mask: np.ndarray | None = None,
                    resample: str = "bicubic") -> tuple[int, int, int, int]:
    """Put the transform tool's result into ``pixels``; the rectangle that changed."""
    (x, y, w, h), patch = transformed_region(pixels, matrix, mask, resample)
    pixels[y:y + h, x:x + w] = patch
    return x, y, w, h


def flip_matrix(rect: tuple[int, int, int, int], horizontal: bool) -> np.ndarray:
    """Mirror the box ``rect`` left↔right (``horizontal``) or top↔bottom, in place."""
    x, y, w, h = rect
    mirror = scaling(-1.0, 1.0) if horizontal else scaling(1.0, -1.0)
    return about(mirror, x + w / 2, y + h / 2)


@pytest.fixture
def layer() -> np.ndarray:
    """A 64×48 layer with a random opaque-and-translucent 13×8 block at (20, 10)."""
    rng = np.random.default_rng(7)
    pixels = np.zeros((48, 64, 4), np.uint8)
    pixels[10:18, 20:33] = rng.integers(1, 256, (8, 13, 4), dtype=np.uint8)
    return pixels


def block(pixels: np.ndarray) -> np.ndarray:
    return pixels[10:18, 20:33]


@pytest.mark.parametrize("turns", [1, 2, 3, -1])
def test_a_quarter_turn_is_exactly_np_rot90(layer, turns):
    content = block(layer).copy()
    changed = apply_transform(layer, quarter_turn_matrix((20, 10, 13, 8), turns))
    expected = np.rot90(content, -turns)  # np.rot90 turns counter-clockwise on screen
    alpha = layer[..., 3] > 0
    rows, columns = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(alpha.any(axis=0))
    out = layer[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]
    assert np.array_equal(out, expected)
    # it stays centred on the block (within the half pixel an odd/even box needs)
    assert abs((columns[0] + columns[-1] + 1) / 2 - 26.5) <= 0.5
    assert abs((rows[0] + rows[-1] + 1) / 2 - 14.0) <= 0.5
    x, y, w, h = changed
    assert x <= columns[0]
    assert y <= rows[0]
    assert w * h < layer.shape[0] * layer.shape[1]


@pytest.mark.parametrize("horizontal", [True, False])
def test_a_flip_is_exactly_np_flip(layer, horizontal):
    content = block(layer).copy()
    changed = apply_transform(layer, flip_matrix((20, 10, 13, 8), horizontal))
    assert np.array_equal(block(layer), np.flip(content, 1 if horizontal else 0))
    assert changed == (20, 10, 13, 8)  # only the block changed


def test_identity_and_whole_pixel_moves_change_nothing_else(layer):
    before = layer.copy()
    region, patch = transformed_region(layer, np.eye(3))
    x, y, w, h = region
    assert np.array_equal(patch, before[y:y + h, x:x + w])
    apply_transform(layer, translation(5, -3))
    assert np.array_equal(layer[7:15, 25:38], before[10:18, 20:33])
    assert not layer[15:18, 20:25].any()  # the hole it left is transparent


def test_a_resampled_turn_keeps_the_colour_and_covers_the_turned_box():
    pixels = np.zeros((80, 80, 4), np.uint8)
    pixels[30:50, 20:60] = (200, 40, 10, 255)
    matrix = about(rotation(30.0), 40, 40)
    apply_transform(pixels, matrix, resample="bilinear")
    inside = pixels[..., 3] == 255
    assert inside[40, 40]
    assert not inside[31, 21]
    corner = matrix @ np.array([20.5, 30.5, 1.0])
    assert pixels[int(corner[1]), int(corner[0]), 3] > 0  # ... and turned with the box
    # premultiplied resampling: no dark fringe on the soft edge
    edge = (pixels[..., 3] > 0) & (pixels[..., 3] < 255)
    assert edge.any()
    assert (pixels[edge][:, 0] >= 190).all()
    area = inside.sum()
    assert abs(area - 20 * 40) < 0.1 * 20 * 40


def test_a_scale_fills_the_target_box():
    pixels = np.zeros((50, 50, 4), np.uint8)
    pixels[10:20, 10:20] = (0, 90, 250, 255)
    apply_transform(pixels, frame_matrix((10, 10, 10, 10), (5, 5, 30, 20)), resample="bicubic")
    alpha = pixels[..., 3]
    assert (alpha[6:24, 6:34] == 255).all()
    assert not alpha[26:, :].any()


def test_a_masked_transform_moves_only_the_selected_pixels(layer):
    before = layer.copy()
    mask = np.zeros(layer.shape[:2], bool)
    mask[10:18, 20:26] = True  # the left part of the block
    matrix = translation(0, 20) @ about(rotation(90.0), 23, 14)  # turned and moved down
    region, patch = transformed_region(layer, matrix, mask)
    x, y, w, h = region
    after = before.copy()
    after[y:y + h, x:x + w] = patch
    landed = transformed_mask(mask, matrix)
    untouched = ~(mask | landed)
    assert np.array_equal(after[untouched], before[untouched])  # unselected pixels stay
    assert np.array_equal(after[10:18, 26:33], before[10:18, 26:33])
    assert not after[mask].any()  # the hole is transparent
    # the moved piece is the selected part, turned exactly; the selection moved with it
    assert landed.sum() == mask.sum()
    lx, ly = np.flatnonzero(landed.any(axis=0))[0], np.flatnonzero(landed.any(axis=1))[0]
    assert np.array_equal(after[ly:ly + 6, lx:lx + 8], np.rot90(before[10:18, 20:26], -1))


def test_a_masked_piece_lands_over_what_is_underneath():
    pixels = np.zeros((20, 20, 4), np.uint8)
    pixels[..., :] = (0, 0, 255, 255)  # blue everywhere
    pixels[2:6, 2:6] = (255, 0, 0, 128)  # a half-transparent red square, selected
    mask = np.zeros((20, 20), bool)
    mask[2:6, 2:6] = True
    apply_transform(pixels, translation(10, 10), mask)
    assert (pixels[2:6, 2:6] == 0).all()  # the hole
    red, blue = pixels[13, 13, 0], pixels[13, 13, 2]
    assert pixels[13, 13, 3] == 255
    assert 120 <= red <= 135
    assert 120 <= blue <= 135
    assert (pixels[0, 0] == (0, 0, 255, 255)).all()


def test_lift_and_bad_input():
    pixels = np.zeros((10, 10, 4), np.uint8)
    assert lift(pixels).rect[2:] == (0, 0)
    region, patch = transformed_region(pixels, translation(3, 3))
    assert region[2:] == (0, 0)
    assert patch.size == 0
    with pytest.raises(ValueError, match="does not fit"):
        transformed_region(pixels, np.eye(3), np.zeros((5, 5), bool))
    with pytest.raises(ValueError, match="unknown resampling"):
        apply_transform(np.full((4, 4, 4), 255, np.uint8), np.eye(3), resample="sinc")
