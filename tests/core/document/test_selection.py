"""The selection mask: shapes at pixel centres, add/subtract/invert, outline, inpaint mask."""

from __future__ import annotations

import numpy as np
import pytest

from t2ia_desktop.core.document.selection import Selection, polygon_mask, rectangle_mask


def test_a_rectangle_selects_the_pixels_whose_centres_it_covers():
    mask = rectangle_mask(10, 8, (2.4, 1.6), (5.5, 4.0))  # any corner order
    assert np.array_equal(np.argwhere(mask.any(axis=0)).ravel(), [2, 3, 4])
    assert np.array_equal(np.argwhere(mask.any(axis=1)).ravel(), [2, 3])
    assert np.array_equal(rectangle_mask(10, 8, (5.5, 4.0), (2.4, 1.6)), mask)
    assert rectangle_mask(10, 8, (-5, -5), (50, 50)).all()  # clipped to the canvas
    assert not rectangle_mask(10, 8, (3.2, 3.2), (3.4, 3.4)).any()


def test_a_polygon_selects_inside_by_the_even_odd_rule():
    triangle = polygon_mask(20, 20, [(0, 0), (20, 0), (0, 20)])
    ys, xs = np.nonzero(triangle)
    assert ((xs + 0.5) + (ys + 0.5) < 20).all()
    assert triangle.sum() == 190  # the pixels whose centres are below the diagonal
    # a concave "C": the notch stays unselected
    c_shape = [(2, 2), (18, 2), (18, 6), (6, 6), (6, 14), (18, 14), (18, 18), (2, 18)]
    mask = polygon_mask(20, 20, c_shape)
    assert mask[4, 10]
    assert mask[10, 4]
    assert mask[16, 10]
    assert not mask[10, 10]
    assert not mask[0, 0]
    assert not polygon_mask(20, 20, [(1, 1), (5, 5)]).any()  # fewer than 3 points


def test_add_subtract_invert_select_all_and_clear_emit_changes():
    selection = Selection(16, 12)
    seen = []
    selection.changed.connect(lambda: seen.append(selection.count()))
    assert selection.is_empty()
    assert selection.bounds() == (0, 0, 0, 0)
    selection.select_rectangle((2, 2), (6, 6))
    selection.select_rectangle((4, 4), (10, 8), "add")
    assert selection.count() == 16 + 24 - 4
    selection.select_rectangle((0, 0), (5, 5), "subtract")
    assert not selection.mask[2:5, 2:5].any()
    assert selection.mask[5, 5]
    assert selection.bounds() == (2, 2, 8, 6)
    selection.invert()
    assert selection.mask[0, 0]
    assert not selection.mask[5, 5]
    selection.select_all()
    assert selection.count() == 16 * 12
    selection.clear()
    assert selection.is_empty()
    selection.clear()  # nothing selected: no change to tell
    assert seen == [16, 36, 27, 16 * 12 - 27, 16 * 12, 0]
    with pytest.raises(ValueError, match="unknown selection mode"):
        selection.combine(selection.mask, "xor")
    with pytest.raises(ValueError, match="does not fit"):
        selection.set_mask(np.zeros((3, 3), bool))


def test_outline_runs_along_the_selected_pixels_edges():
    selection = Selection(10, 10)
    selection.select_rectangle((2, 3), (7, 5))
    assert sorted(selection.outline()) == sorted([
        (2.0, 3.0, 7.0, 3.0), (2.0, 5.0, 7.0, 5.0), (2.0, 3.0, 2.0, 5.0), (7.0, 3.0, 7.0, 5.0)])
    selection.select_rectangle((4, 0), (5, 10), "subtract")  # two boxes: eight edges
    assert len(selection.outline()) == 8


def test_inpaint_mask_is_opaque_white_where_selected_only():
    selection = Selection(8, 6)
    selection.select_rectangle((1, 1), (4, 3))
    pixels = selection.inpaint_mask()
    assert pixels.shape == (6, 8, 4)
    assert (pixels[1:3, 1:4] == 255).all()
    assert pixels[selection.mask].min() == 255
    assert not pixels[~selection.mask].any()
