"""The border raster behind the marching ants: the right cells at every zoom level, the ant
phases stable under panning, thin selections still visible when zoomed out."""

from __future__ import annotations

import numpy as np

from t2ia_desktop.core.document.selection_edges import NOT_BORDER, PERIOD, border_cells, scale_level


def border(cells: np.ndarray) -> np.ndarray:
    return cells < NOT_BORDER


def test_at_full_size_the_border_is_the_selected_pixels_touching_unselected_ones():
    mask = np.zeros((12, 16), bool)
    mask[2:9, 3:12] = True
    mask[5, 7] = False  # a hole has a border too
    cells, covered = border_cells(mask, (0, 0, 16, 12), 0)
    assert covered == (0, 0, 16, 12)
    expected = mask.copy()
    expected[3:8, 4:11] = False
    for y, x in ((4, 7), (6, 7), (5, 6), (5, 8)):  # around the hole (4-neighbours)
        expected[y, x] = True
    assert np.array_equal(border(cells), expected)
    ys, xs = np.nonzero(border(cells))
    assert np.array_equal(cells[ys, xs], (xs + ys) % PERIOD)  # the ants' phase


def test_a_window_gives_the_same_cells_as_the_whole_canvas():
    rng = np.random.default_rng(3)
    mask = rng.random((40, 50)) > 0.4
    whole, _ = border_cells(mask, (0, 0, 50, 40), 0)
    part, covered = border_cells(mask, (10, 7, 20, 15), 0)
    assert covered == (10, 7, 20, 15)
    assert np.array_equal(part, whole[7:22, 10:30])
    half_whole, _ = border_cells(mask, (0, 0, 50, 40), -1)
    half_part, covered = border_cells(mask, (11, 7, 20, 15), -1)  # grown to whole cells
    assert covered == (10, 6, 22, 16)
    assert np.array_equal(half_part, half_whole[3:11, 5:16])


def test_zoomed_out_a_one_pixel_line_keeps_its_ants_and_zoomed_in_borders_are_thin():
    mask = np.zeros((64, 64), bool)
    mask[:, 33] = True
    cells, covered = border_cells(mask, (0, 0, 64, 64), -3)  # 8×8 pixels a cell
    assert cells.shape == (8, 8)
    assert covered == (0, 0, 64, 64)
    assert border(cells)[:, 4].all()
    assert border(cells).sum() == 8
    square = np.zeros((8, 8), bool)
    square[2:4, 2:4] = True
    cells, covered = border_cells(square, (0, 0, 8, 8), 2)  # 4 cells a pixel
    assert cells.shape == (32, 32)
    assert covered == (0, 0, 8, 8)
    ring = np.zeros((32, 32), bool)
    ring[8:16, 8:16] = True
    ring[9:15, 9:15] = False
    assert np.array_equal(border(cells), ring)


def test_the_level_is_the_power_of_two_at_or_below_the_zoom():
    assert [scale_level(z) for z in (0.1, 0.25, 0.3, 1.0, 1.9, 2.0, 7.9)] == [
        -4, -2, -2, 0, 0, 1, 2]
