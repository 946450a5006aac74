"""The selection: which pixels of the canvas the painting tools and area actions work on.

A :class:`Selection` is a boolean mask of the canvas size (True = selected). Rectangle and
lasso shapes are rasterized at pixel centres, as painters' apps do: a pixel is selected when
its centre lies inside the shape. Shapes replace, add to or subtract from the selection.
An empty selection means "no selection": tools then work on the whole layer.

It also turns into an inpaint mask (white where selected, transparent elsewhere) and gives its
outline as line segments on pixel edges, for the marching ants.

The selection is document state: :func:`document_selection` gives a document's own selection
(undoable steps: :mod:`~t2ia_desktop.core.undo.selection_command`; saved in projects:
:mod:`~t2ia_desktop.core.files.selection_file`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
from psygnal import Signal

if TYPE_CHECKING:
    from t2ia_desktop.core.document.document import Document

Rect = tuple[int, int, int, int]  # x, y, width, height
Mode = Literal["replace", "add", "subtract"]
Segment = tuple[float, float, float, float]  # x0, y0, x1, y1 in document pixels


def rectangle_mask(width: int, height: int, corner_a: tuple[float, float],
                   corner_b: tuple[float, float]) -> np.ndarray:
    """The pixels whose centres lie inside the rectangle between two document points."""
    left, right = sorted((corner_a[0], corner_b[0]))
    top, bottom = sorted((corner_a[1], corner_b[1]))
    # centre x + 0.5 in [left, right)  ⇔  x in [ceil(left - 0.5), ceil(right - 0.5))
    x0, x1 = (min(width, max(0, math.ceil(v - 0.5))) for v in (left, right))
    y0, y1 = (min(height, max(0, math.ceil(v - 0.5))) for v in (top, bottom))
    mask = np.zeros((height, width), bool)
    mask[y0:y1, x0:x1] = True
    return mask


def polygon_mask(width: int, height: int,
                 points: Sequence[tuple[float, float]]) -> np.ndarray:
    """The pixels whose centres lie inside a closed polygon (even-odd rule), e.g. a lasso."""
    mask = np.zeros((height, width), bool)
    if len(points) < 3:
        return mask
    ax = np.asarray([p[0] for p in points], np.float64)
    ay = np.asarray([p[1] for p in points], np.float64)
    bx, by = np.roll(ax, -1), np.roll(ay, -1)
    # each edge cuts the scanlines whose centre y + 0.5 lies in [its lower y, its upper y)
    # (half-open, so a vertex shared by two edges counts once)
    first = np.clip(np.ceil(np.minimum(ay, by) - 0.5), 0, height).astype(np.int64)
    last = np.clip(np.ceil(np.maximum(ay, by) - 0.5), 0, height).astype(np.int64)
    counts = np.maximum(0, last - first)
    if not counts.sum():
        return mask
    edge = np.repeat(np.arange(len(ax)), counts)
    offsets = np.cumsum(counts) - counts
    rows = first[edge] + (np.arange(edge.size) - offsets[edge])
    centre = rows + 0.5
    cuts = ax[edge] + (centre - ay[edge]) * (bx[edge] - ax[edge]) / (by[edge] - ay[edge])
    order = np.lexsort((cuts, rows))  # by row, then left to right: an even count per row
    rows, cuts = rows[order], cuts[order]
    starts = np.clip(np.ceil(cuts[0::2] - 0.5), 0, width).astype(np.int64)
    ends = np.clip(np.ceil(cuts[1::2] - 0.5), 0, width).astype(np.int64)
    for row, start, end in zip(rows[0::2].tolist(), starts.tolist(), ends.tolist(), strict=True):
        mask[row, start:end] = True  # inside between cuts 2k and 2k + 1
    return mask


class Selection:
    """The selected pixels of a ``width``×``height`` canvas; ``changed`` fires on each change."""

    changed = Signal()

    def __init__(self, width: int, height: int) -> None:
        self.width = int(width)
        self.height = int(height)
        self.mask = np.zeros((self.height, self.width), bool)
        self._outline: list[Segment] | None = None
        self._bounds: Rect | None = None
        self._any = False

    # -- state ------------------------------------------------------------------------------
    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    def is_empty(self) -> bool:
        """No pixel selected: the tools work on the whole layer."""
        return not self._any

    def bounds(self) -> Rect:
        """The smallest rectangle around the selected pixels ((0, 0, 0, 0) when empty).
        Cached until a change (the marching ants ask at every step)."""
        if self._bounds is None:
            rows = np.flatnonzero(self.mask.any(axis=1))
            if not rows.size:
                self._bounds = (0, 0, 0, 0)
            else:
                columns = np.flatnonzero(self.mask.any(axis=0))
                self._bounds = (int(columns[0]), int(rows[0]),
                                int(columns[-1] - columns[0] + 1), int(rows[-1] - rows[0] + 1))
        return self._bounds

    def count(self) -> int:
        return int(np.count_nonzero(self.mask))

    # -- changes ----------------------------------------------------------------------------
    def set_mask(self, mask: np.ndarray) -> None:
        """Replace the selection with ``mask`` (any array of the canvas size; non-zero selects)."""
        mask = np.asarray(mask)
        if mask.shape != (self.height, self.width):
            raise ValueError(f"a selection mask of {mask.shape[1::-1]} does not fit a "
                             f"{self.width}×{self.height} canvas")
        self.mask = mask.astype(bool, copy=True)
        self._changed()

    def combine(self, shape: np.ndarray, mode: Mode = "replace") -> None:
        """A new shape: replaces the selection, adds to it (Shift) or subtracts (Alt)."""
        self.set_mask(self.combined(shape, mode))

    def combined(self, shape: np.ndarray, mode: Mode = "replace") -> np.ndarray:
        """The mask :meth:`combine` would make of ``shape`` (the selection is left as it is)."""
        if mode == "replace":
            return np.asarray(shape, bool)
        if mode == "add":
            return self.mask | shape
        if mode == "subtract":
            return self.mask & ~shape
        raise ValueError(f"unknown selection mode {mode!r} (replace, add or subtract)")

    def toggle(self, rect: Rect, flips: np.ndarray) -> None:
        """Flip the pixels of ``rect`` where ``flips`` (a (height, width) bool array) is True:
        how an undo step takes a change back or makes it again."""
        x, y, w, h = rect
        if flips.shape != (h, w) or x < 0 or y < 0 or x + w > self.width or (
                y + h > self.height):
            raise ValueError(f"a {flips.shape[1::-1]} change at {rect} does not fit a "
                             f"{self.width}×{self.height} selection")
        self.mask[y:y + h, x:x + w] ^= flips
        self._changed()

    def select_rectangle(self, corner_a: tuple[float, float], corner_b: tuple[float, float],
                         mode: Mode = "replace") -> None:
        self.combine(rectangle_mask(self.width, self.height, corner_a, corner_b), mode)

    def select_polygon(self, points: Sequence[tuple[float, float]],
                       mode: Mode = "replace") -> None:
        self.combine(polygon_mask(self.width, self.height, points), mode)

    def select_all(self) -> None:
        self.set_mask(np.ones((self.height, self.width), bool))

    def clear(self) -> None:
        """Deselect everything (Ctrl+D)."""
        if self._any:
            self.set_mask(np.zeros((self.height, self.width), bool))

    def invert(self) -> None:
        """Selected ↔ not selected (Ctrl+Shift+I); inverting nothing selects everything."""
        self.set_mask(~self.mask)

    def _changed(self) -> None:
        self._any = bool(self.mask.any())
        self._outline = None
        self._bounds = None
        self.changed.emit()

    # -- uses -------------------------------------------------------------------------------
    def clip(self, rect: Rect) -> np.ndarray:
        """The selected pixels inside ``rect`` (a (height, width) bool array)."""
        x, y, w, h = rect
        return self.mask[y:y + h, x:x + w]

    def inpaint_mask(self) -> np.ndarray:
        """The selection as mask-layer pixels: opaque white where selected, transparent
        elsewhere (white = repaint)."""
        pixels = np.zeros((self.height, self.width, 4), np.uint8)
        pixels[self.mask] = 255
        return pixels

    def outline(self) -> list[Segment]:
        """The border between selected and unselected pixels, as horizontal and vertical
        segments on pixel edges (runs merged), in document pixels. Cached until a change."""
        if self._outline is None:
            x, y, w, h = self.bounds()  # work on the selected part only
            self._outline = [(x0 + x, y0 + y, x1 + x, y1 + y) for x0, y0, x1, y1
                             in _outline(self.mask[y:y + h, x:x + w])] if w else []
        return self._outline


SELECTION_ATTRIBUTE = "selections"
"""Where a :class:`~t2ia_desktop.core.document.document.Document` keeps its selections (see
:func:`document_selection`)."""


def document_selection(document: Document) -> Selection:
    """The document's selection, of its canvas size (created empty on first use).

    The document keeps one selection per canvas size it has had, so undoing a canvas resize
    finds the selection that went with the old size, as it was.
    """
    kept: dict[tuple[int, int], Selection] | None = getattr(document, SELECTION_ATTRIBUTE,
                                                            None)
    if kept is None:
        kept = {}
        setattr(document, SELECTION_ATTRIBUTE, kept)
    size = (document.width, document.height)
    if size not in kept:
        kept[size] = Selection(*size)
    return kept[size]


def adopt_selection(document: Document, mask: np.ndarray | None) -> Selection:
    """Give ``document`` a selection of ``mask`` (None: nothing selected), e.g. read from a
    project or copied from another document; no undo step."""
    selection = document_selection(document)
    if mask is not None:
        selection.set_mask(mask)
    elif not selection.is_empty():
        selection.clear()
    return selection


def _runs(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(line, start, end) arrays of the runs of True along the rows of a 2-D bool array."""
    height, width = flags.shape
    padded = np.zeros((height, width + 2), bool)
    padded[:, 1:-1] = flags
    flat = padded.ravel()
    # every row starts and ends unselected, so the changes alternate: run start, run end
    changes = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    starts, ends = changes[0::2], changes[1::2]
    stride = width + 2
    return starts // stride, starts % stride - 1, ends % stride - 1


def _column_runs(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(column, start, end) arrays of the runs of True down the columns (no transposed copy:
    a big bool transpose is slow)."""
    padded = np.zeros((flags.shape[0] + 2, flags.shape[1]), bool)
    padded[1:-1] = flags
    start_y, start_x = np.nonzero(padded[1:-1] & ~padded[:-2])
    end_y, end_x = np.nonzero(padded[1:-1] & ~padded[2:])
    first = np.lexsort((start_y, start_x))
    last = np.lexsort((end_y, end_x))
    return start_x[first], start_y[first], end_y[last] + 1


def _outline(mask: np.ndarray) -> list[Segment]:
    height, width = mask.shape
    # horizontal edges at y (0..height) where rows y - 1 and y differ; vertical ones at x
    rows = np.zeros((height + 2, width), bool)
    rows[1:-1] = mask
    columns = np.zeros((height, width + 2), bool)
    columns[:, 1:-1] = mask
    segments: list[Segment] = []
    lines, starts, ends = _runs(rows[1:] != rows[:-1])
    for y, x0, x1 in zip(lines.tolist(), starts.tolist(), ends.tolist(), strict=True):
        segments.append((float(x0), float(y), float(x1), float(y)))
    lines, starts, ends = _column_runs(columns[:, 1:] != columns[:, :-1])
    for x, y0, y1 in zip(lines.tolist(), starts.tolist(), ends.tolist(), strict=True):
        segments.append((float(x), float(y0), float(x), float(y1)))
    return segments
