"""Brush and fill maths on straight-RGBA numpy pixels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from t2ia_desktop.core.document.brush import BrushTip, Dab, Smoother, StrokePainter
from t2ia_desktop.core.document.fill import contiguous, fill_area, flood_fill, matching


def test_a_stroke_never_builds_up_past_its_opacity_and_the_eraser_takes_alpha():
    pixels = np.zeros((40, 60, 4), np.uint8)
    painter = StrokePainter(pixels, BrushTip(10, (255, 0, 0), opacity=0.4))
    for _ in range(3):
        rect = painter.paint(Dab(10, 20), Dab(50, 20))
    assert rect == (4, 14, 52, 12)
    assert pixels[20, 30, 3] == 102
    assert tuple(pixels[20, 30, :3]) == (255, 0, 0)
    eraser = StrokePainter(pixels, BrushTip(10, erase=True, opacity=0.5))
    eraser.paint(Dab(30, 20), Dab(30, 20))
    assert pixels[20, 30, 3] == 51
    assert tuple(pixels[20, 30, :3]) == (255, 0, 0)


def test_paint_over_keeps_straight_colour():
    pixels = np.zeros((10, 10, 4), np.uint8)
    pixels[...] = (0, 0, 255, 255)
    StrokePainter(pixels, BrushTip(30, (255, 0, 0), opacity=0.5)).paint(Dab(5, 5), Dab(5, 5))
    assert tuple(pixels[5, 5]) == (128, 0, 128, 255)


def test_tips_refuse_nonsense():
    with pytest.raises(ValueError, match="hardness"):
        BrushTip(4, hardness=2)
    with pytest.raises(ValueError, match="size"):
        BrushTip(0)


def test_smoother_lags_and_zero_strength_follows():
    lagging = Smoother(0.5)
    lagging.follow(Dab(0, 0))
    assert lagging.follow(Dab(10, 0)).x == 5
    assert Smoother(0).follow(Dab(7, 3)) == Dab(7, 3)


def test_transparent_pixels_match_whatever_colour_they_store():
    pixels = np.zeros((4, 4, 4), np.uint8)
    pixels[0, 0] = (255, 0, 0, 0)  # invisible red is still nothing
    pixels[3, 3] = (255, 0, 0, 255)
    match = matching(pixels, 1, 1, 0)
    assert match[0, 0]
    assert not match[3, 3]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 24), st.integers(1, 24))
def test_contiguous_matches_a_plain_flood_fill(seed, height, width):
    rng = np.random.default_rng(seed)
    match = rng.random((height, width)) < 0.6
    y, x = int(rng.integers(height)), int(rng.integers(width))
    expected = np.zeros_like(match)
    todo = [(y, x)] if match[y, x] else []
    while todo:  # the textbook pixel-by-pixel fill, to check the run-based one
        cy, cx = todo.pop()
        if 0 <= cy < height and 0 <= cx < width and match[cy, cx] and not expected[cy, cx]:
            expected[cy, cx] = True
            todo += [(cy - 1, cx), (cy + 1, cx), (cy, cx - 1), (cy, cx + 1)]
    assert np.array_equal(contiguous(match, x, y), expected)


def test_flood_fill_changes_only_the_area_and_reports_it():
    pixels = np.zeros((20, 30, 4), np.uint8)
    pixels[:, 10] = (0, 0, 0, 255)
    rect = flood_fill(pixels, 20, 5, (9, 8, 7), tolerance=0)
    assert rect == (11, 0, 19, 20)
    assert (pixels[:, 11:] == (9, 8, 7, 255)).all()
    assert not pixels[:, :10].any()
    with pytest.raises(ValueError, match="outside"):
        fill_area(pixels, 30, 0, 0)
