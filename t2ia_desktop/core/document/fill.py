"""The fill bucket: the contiguous area around a pixel whose colour is within a tolerance of it,
filled with a colour (numpy only).

Colours are compared premultiplied, so every fully transparent pixel counts as the same
"nothing" whatever RGB it stores, and a half-transparent red is nearer to transparency than an
opaque one. The contiguous area (4-neighbours) is found on horizontal runs of matching pixels:
a search over runs rather than pixels, which stays quick on large canvases.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

import numpy as np

Rect = tuple[int, int, int, int]  # x, y, width, height


def matching(pixels: np.ndarray, x: int, y: int, tolerance: int) -> np.ndarray:
    """Where ``pixels`` are within ``tolerance`` (0..255, per channel) of pixel (x, y)."""
    alpha = pixels[..., 3]
    seed_alpha = int(alpha[y, x])
    match = _near(alpha, seed_alpha, tolerance)
    alpha16 = alpha.astype(np.uint16)
    for channel in range(3):
        # premultiplied: 255 * 255 + 127 still fits in 16 bits
        value = pixels[..., channel].astype(np.uint16)
        value *= alpha16
        value += 127
        value //= 255
        seed = (int(pixels[y, x, channel]) * seed_alpha + 127) // 255
        match &= _near(value, seed, tolerance)
    return match


def _near(values: np.ndarray, seed: int, tolerance: int) -> np.ndarray:
    return (values >= max(0, seed - tolerance)) & (values <= seed + tolerance)


def contiguous(match: np.ndarray, x: int, y: int) -> np.ndarray:
    """The 4-connected part of the boolean ``match`` map that holds (x, y)."""
    height, width = match.shape
    region = np.zeros_like(match)
    if not match[y, x]:
        return region
    padded = np.zeros((height, width + 2), np.int8)
    padded[:, 1:-1] = match
    steps = np.diff(padded, axis=1)
    rows, starts = np.nonzero(steps == 1)  # row-major: by row, then left to right
    _rows, ends = np.nonzero(steps == -1)  # exclusive ends, in the same order
    row_first = np.searchsorted(rows, np.arange(height + 1)).tolist()
    rows_l, starts_l, ends_l = rows.tolist(), starts.tolist(), ends.tolist()
    first, last = row_first[y], row_first[y + 1]
    seed = bisect_right(starts_l, x, first, last) - 1
    reached = bytearray(len(starts_l))
    reached[seed] = 1
    todo = [seed]
    while todo:
        run = todo.pop()
        row, left, right = rows_l[run], starts_l[run], ends_l[run]
        for other in (row - 1, row + 1):
            if not 0 <= other < height:
                continue
            lo, hi = row_first[other], row_first[other + 1]
            # runs of that row overlapping [left, right): they end after left, start before right
            overlapping = range(bisect_right(ends_l, left, lo, hi),
                                bisect_left(starts_l, right, lo, hi))
            for near in overlapping:
                if not reached[near]:
                    reached[near] = 1
                    todo.append(near)
    chosen = np.flatnonzero(np.frombuffer(bytes(reached), np.uint8))
    if chosen.size < 50_000:
        for run in chosen.tolist():
            region[rows_l[run], starts_l[run]:ends_l[run]] = True
        return region
    marks = np.zeros((height, width + 1), np.int8)  # +1 where a run starts, -1 past its end
    marks[rows[chosen], starts[chosen]] = 1
    marks[rows[chosen], ends[chosen]] = -1
    region[:] = np.cumsum(marks, axis=1, dtype=np.int8)[:, :width] > 0
    return region


def fill_area(pixels: np.ndarray, x: int, y: int, tolerance: int) -> np.ndarray:
    """The area a click at (x, y) fills: contiguous pixels within ``tolerance`` of it."""
    height, width = pixels.shape[:2]
    if not (0 <= x < width and 0 <= y < height):
        raise ValueError(f"({x}, {y}) is outside the {width}×{height} layer")
    if not 0 <= tolerance <= 255:
        raise ValueError(f"tolerance must be between 0 and 255, not {tolerance}")
    return contiguous(matching(pixels, x, y, tolerance), x, y)


def bounds(area: np.ndarray) -> Rect:
    """The rectangle around the True pixels of ``area`` ((0, 0, 0, 0) when none)."""
    rows = np.flatnonzero(area.any(axis=1))
    if not rows.size:
        return 0, 0, 0, 0
    columns = np.flatnonzero(area.any(axis=0))
    return (int(columns[0]), int(rows[0]), int(columns[-1] - columns[0] + 1),
            int(rows[-1] - rows[0] + 1))


def lay_colour(pixels: np.ndarray, area: np.ndarray, colour: tuple[int, int, int],
               opacity: float = 1.0) -> None:
    """Lay ``colour`` at ``opacity`` over the pixels of ``area`` (straight alpha, in place)."""
    if opacity >= 1:  # one 32-bit word per pixel: a fast masked copy
        word = np.array([[(*colour, 255)]], np.uint8).view(np.uint32)[0, 0]
        np.copyto(pixels.view(np.uint32)[..., 0], word, where=area)
        return
    chosen = pixels[area].astype(np.float32)
    base_alpha = chosen[:, 3:4] / 255
    alpha = opacity + base_alpha * (1 - opacity)
    mixed = np.float32(opacity) * np.asarray(colour, np.float32) \
        + chosen[:, :3] * base_alpha * (1 - opacity)
    chosen[:, :3] = np.clip(np.rint(mixed / np.maximum(alpha, 1e-6)), 0, 255)
    chosen[:, 3:4] = np.rint(alpha * 255)
    pixels[area] = chosen.astype(np.uint8)


def flood_fill(pixels: np.ndarray, x: int, y: int, colour: tuple[int, int, int],
               tolerance: int = 32, opacity: float = 1.0) -> Rect:
    """Fill the area around (x, y) with ``colour``; returns the rectangle that changed."""
    area = fill_area(pixels, x, y, tolerance)
    rect = bounds(area)
    if rect[2]:
        left, top, w, h = rect
        lay_colour(pixels[top:top + h, left:left + w], area[top:top + h, left:left + w],
                   colour, opacity)
    return rect
