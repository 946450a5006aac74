"""The selection's border as a raster for marching ants, at a power-of-two scale of the canvas.

Drawing the border as vector segments costs one segment per pixel edge: seconds for a noisy
selection of a large canvas. Instead the border is rasterized at the scale the view shows it
(one cell per screen pixel or a little more): the selected cells that touch an unselected one
(4-neighbours) are the border. Each border cell holds its ant phase, ``(x + y) % 8`` in cells
of the whole scaled canvas, so a view only has to map the eight phases to black and white,
one more step each tick, to make the ants march; a cell that is not on the border holds
:data:`NOT_BORDER` or more (its phase + 8: plain integer arithmetic, no masked writes).

Scaling down, a cell is selected when any canvas pixel under it is, so thin parts of a
selection keep their ants. Only a window of the canvas is rasterized (what the view shows).
"""

from __future__ import annotations

import math

import numpy as np

Rect = tuple[int, int, int, int]  # x, y, width, height
PERIOD = 8
"""Cells per black-and-white dash pair."""
NOT_BORDER = PERIOD
_GROUPS = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def scale_level(zoom: float) -> int:
    """The power of two (as its exponent) at or below ``zoom``: a cell then shows as one to
    two screen pixels."""
    return max(-8, min(6, math.floor(math.log2(max(zoom, 1e-6)) + 1e-9)))


def border_cells(mask: np.ndarray, region: Rect, level: int) -> tuple[np.ndarray, Rect]:
    """The ants raster of ``mask`` (canvas pixels, True = selected) over ``region``.

    Returns the (rows, columns) uint8 raster and the canvas rectangle it covers, which is
    ``region`` grown to whole cells (``2 ** -level`` pixels each when scaling down).
    """
    x, y, w, h = region
    if level <= 0:
        step = 2 ** -level
        left, top = x // step * step, y // step * step
        columns = -(-(x + w - left) // step)
        rows = -(-(y + h - top) // step)
        window = _window(mask, left - step, top - step, (columns + 2) * step,
                         (rows + 2) * step)
        cells = _reduced(window, step)
        origin = (left // step, top // step)
        covered = (left, top, columns * step, rows * step)
        margin = 1
    else:
        scale = 2 ** level
        window = _window(mask, x - 1, y - 1, w + 2, h + 2)
        cells = np.repeat(np.repeat(window, scale, axis=0), scale, axis=1)
        origin = (x * scale, y * scale)
        covered = (x, y, w, h)
        margin = scale
    inside = cells[1:-1, 1:-1] & cells[:-2, 1:-1] & cells[2:, 1:-1] & cells[1:-1, :-2] & (
        cells[1:-1, 2:])
    border = cells[1:-1, 1:-1] & ~inside
    crop = margin - 1
    if crop:
        border = border[crop:-crop, crop:-crop]
    rows_, columns_ = border.shape
    phase = np.add.outer((np.arange(origin[1], origin[1] + rows_) % PERIOD).astype(np.uint8),
                         (np.arange(origin[0], origin[0] + columns_) % PERIOD).astype(np.uint8))
    phase &= PERIOD - 1
    phase |= (~border).view(np.uint8) << 3  # NOT_BORDER (8) and up off the border
    return phase, covered


def _window(mask: np.ndarray, x: int, y: int, w: int, h: int) -> np.ndarray:
    """``mask[y:y + h, x:x + w]`` as a new C-contiguous array, unselected beyond the canvas."""
    height, width = mask.shape
    out = np.zeros((h, w), bool)
    left, top = max(x, 0), max(y, 0)
    right, bottom = min(x + w, width), min(y + h, height)
    if right > left and bottom > top:
        out[top - y:bottom - y, left - x:right - x] = mask[top:bottom, left:right]
    return out


def _reduced(window: np.ndarray, step: int) -> np.ndarray:
    """Each ``step``×``step`` block of ``window`` → True when any pixel in it is (its sides
    are multiples of ``step``). Blocks of up to 8 pixels of a row are read as one integer."""
    if step == 1:
        return window
    group = min(step, 8)
    columns = window.view(_GROUPS[group]) != 0
    rest = step // group
    if rest > 1:
        merged = columns[:, 0::rest].copy()
        for offset in range(1, rest):
            merged |= columns[:, offset::rest]
        columns = merged
    out = columns[0::step].copy()
    for offset in range(1, step):
        out |= columns[offset::step]
    return out
