"""Selection changes as undo steps: each stores only the pixels it flipped, bit-packed.

A step computes the new selection from the document's current one when it is first applied
(so "add this lasso" adds to whatever is selected then), then keeps the smallest rectangle
around the pixels that changed and, inside it, which pixels flipped (1 bit each). Undo and
redo flip them again: the before and after selections are restored exactly. A change that
flips nothing (Deselect with nothing selected) is not recorded.

Typical use (the UI goes through ``DocumentEdits.push``)::

    stack.push(select_shape(rectangle_mask(w, h, a, b), "add", "rectangle"))
    stack.push(deselect())
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.document.selection import Mode, Selection, document_selection
from t2ia_desktop.core.undo.commands import Command, Rect

_WORDS: dict[Mode, str] = {"replace": "Select {}", "add": "Add {} to selection",
                           "subtract": "Subtract {} from selection"}


class ChangeSelection(Command):
    """The document's selection becomes ``make(selection)`` (a bool mask of the canvas size)."""

    def __init__(self, label: str, make: Callable[[Selection], np.ndarray]) -> None:
        self.label = label
        self._make: Callable[[Selection], np.ndarray] | None = make
        self.rect: Rect = (0, 0, 0, 0)
        self.size: tuple[int, int] = (0, 0)
        self._flips = np.zeros(0, np.uint8)  # np.packbits of the flipped pixels in ``rect``

    def apply(self, document: Document) -> None:
        if self._make is None:
            raise RuntimeError(f"“{self.label}” was applied already: redo it instead")
        selection = document_selection(document)
        after = np.asarray(self._make(selection), bool)
        self._make = None  # the shape's mask is not kept alive by the history
        if after.shape != selection.mask.shape:
            raise ValueError(f"a selection of {after.shape[1::-1]} does not fit the "
                             f"{document.width}×{document.height} canvas")
        self.size = selection.size
        changed = after != selection.mask
        rows = np.flatnonzero(changed.any(axis=1))
        if not rows.size:
            return
        columns = np.flatnonzero(changed.any(axis=0))
        top, bottom = int(rows[0]), int(rows[-1]) + 1
        left, right = int(columns[0]), int(columns[-1]) + 1
        self.rect = (left, top, right - left, bottom - top)
        flips = changed[top:bottom, left:right]
        self._flips = np.packbits(flips, axis=None)
        selection.toggle(self.rect, flips)

    def redo(self, document: Document) -> None:
        self._toggle(document)

    def undo(self, document: Document) -> None:
        self._toggle(document)

    def _toggle(self, document: Document) -> None:
        if self.is_noop():
            return
        selection = document_selection(document)
        if selection.size != self.size:
            raise LookupError(f"“{self.label}” was made on a {self.size[0]}×{self.size[1]} "
                              f"canvas, the canvas is {document.width}×{document.height} now")
        _, _, w, h = self.rect
        flips = np.unpackbits(self._flips, count=w * h).view(bool).reshape(h, w)
        selection.toggle(self.rect, flips)

    @property
    def nbytes(self) -> int:
        return int(self._flips.nbytes)

    def is_noop(self) -> bool:
        return self.rect[2] == 0 or self.rect[3] == 0


def select_shape(shape: np.ndarray, mode: Mode = "replace", name: str = "shape"
                 ) -> ChangeSelection:
    """A rectangle or lasso mask replacing, added to or subtracted from the selection."""
    if mode not in _WORDS:
        raise ValueError(f"unknown selection mode {mode!r} (replace, add or subtract)")
    return ChangeSelection(_WORDS[mode].format(name), lambda s: s.combined(shape, mode))


def select_all() -> ChangeSelection:
    return ChangeSelection("Select all", lambda s: np.ones(s.mask.shape, bool))


def deselect() -> ChangeSelection:
    return ChangeSelection("Deselect", lambda s: np.zeros(s.mask.shape, bool))


def invert_selection() -> ChangeSelection:
    return ChangeSelection("Invert selection", lambda s: ~s.mask)


def set_selection(mask: np.ndarray, label: str = "Selection") -> ChangeSelection:
    """Any new selection mask (non-zero selects) as one step."""
    return ChangeSelection(label, lambda s: np.asarray(mask) != 0)
