"""Undo and redo: commands that change the document and remember only what changed.

Every change an artist can undo goes through
:meth:`~t2ia_desktop.core.undo.stack.UndoStack.push` as a :class:`Command`.
Commands change the :class:`~t2ia_desktop.core.document.document.Document` (never a view)
through its methods, so the usual signals tell every view. Pixel edits keep the before and
after pixels of the changed rectangle only; the stack drops its oldest steps when the stored
bytes pass a bound.

Typical uses::

    with stack.edit_pixels(layer, rect, "Fill"):      # a one-shot pixel change
        layer.pixels[y:y + h, x:x + w] = colour

    recorder = PixelRecorder(layer)                    # a brush stroke that grows
    recorder.before_paint(segment_rect); paint(...)    # ... for every segment
    stack.push(recorder.finish("Brush stroke"))

    stack.push(SetLayerProperty(layer, "opacity", 0.5))  # slider drags merge into one step
    stack.seal()                                          # slider released: stop merging
"""

from __future__ import annotations

import abc
import copy
from dataclasses import fields
from typing import Any

import numpy as np

from t2ia_desktop.core.document.document import ConditionSettings, Document, Layer
from t2ia_desktop.core.document.selection import adopt_selection, document_selection

Rect = tuple[int, int, int, int]  # x, y, width, height

DEFAULT_MAX_BYTES = 512 * 2**20


def clip_rect(rect: Rect, size: tuple[int, int]) -> Rect:
    """``rect`` clipped to a ``(width, height)`` canvas; empty rects have zero width/height."""
    x, y, w, h = (int(v) for v in rect)
    left, top = max(0, x), max(0, y)
    right, bottom = min(size[0], x + max(0, w)), min(size[1], y + max(0, h))
    return left, top, max(0, right - left), max(0, bottom - top)


def snapshot(layer: Layer, rect: Rect) -> np.ndarray:
    """A copy of the layer's pixels in ``rect`` (clipped to the layer), taken before painting."""
    x, y, w, h = clip_rect(rect, layer.size)
    return layer.pixels[y:y + h, x:x + w].copy()


class Command(abc.ABC):
    """One undoable change. Subclasses set :attr:`label` and implement undo/redo."""

    label: str = ""

    def apply(self, document: Document) -> None:
        """Make the change the first time (pushed onto the stack); usually the same as redo."""
        self.redo(document)

    @abc.abstractmethod
    def redo(self, document: Document) -> None:
        """Make (or make again) the change."""

    @abc.abstractmethod
    def undo(self, document: Document) -> None:
        """Take the change back."""

    @property
    def nbytes(self) -> int:
        """Memory this step keeps alive (pixel patches, removed layers)."""
        return 0

    def is_noop(self) -> bool:
        return False

    def merge(self, other: Command) -> bool:
        """Absorb ``other`` (pushed right after this one) into this step; True if done."""
        return False


def _layer(document: Document, layer_id: str) -> Layer:
    layer = document.layer_by_id(layer_id)
    if layer is None:
        raise LookupError(f"no layer with id {layer_id!r} in the document")
    return layer


class PixelEdit(Command):
    """Pixels of one layer changed inside a rectangle: its before and after patches."""

    def __init__(self, layer_id: str, rect: Rect, before: np.ndarray, after: np.ndarray,
                 label: str = "Paint") -> None:
        if before.shape != after.shape or before.shape[:2] != (rect[3], rect[2]):
            raise ValueError(f"patches {before.shape} and {after.shape} do not fit {rect}")
        self.layer_id = layer_id
        self.rect = rect
        self.before = before
        self.after = after
        self.label = label

    @classmethod
    def capture(cls, layer: Layer, rect: Rect, before: np.ndarray,
                label: str = "Paint") -> PixelEdit:
        """The edit from ``before`` (a :func:`snapshot` of ``rect``) to the layer as it is now.

        The rectangle shrinks to the pixels that really changed, so an edit stores no more than
        its footprint; an edit that changed nothing is a no-op the stack does not record.
        """
        x, y, w, h = clip_rect(rect, layer.size)
        if before.shape != (h, w, 4):
            raise ValueError(f"the before patch is {before.shape}, the rectangle {(x, y, w, h)}")
        after = layer.pixels[y:y + h, x:x + w]
        changed = (before != after).any(axis=2)
        rows = np.flatnonzero(changed.any(axis=1))
        if not rows.size:
            empty = np.zeros((0, 0, 4), np.uint8)
            return cls(layer.id, (x, y, 0, 0), empty, empty.copy(), label)
        columns = np.flatnonzero(changed.any(axis=0))
        top, bottom, left, right = rows[0], rows[-1] + 1, columns[0], columns[-1] + 1
        return cls(
            layer.id, (x + int(left), y + int(top), int(right - left), int(bottom - top)),
            before[top:bottom, left:right].copy(), after[top:bottom, left:right].copy(), label,
        )

    def apply(self, document: Document) -> None:
        pass  # the painting already happened; the edit only records it

    def redo(self, document: Document) -> None:
        self._put(document, self.after)

    def undo(self, document: Document) -> None:
        self._put(document, self.before)

    def _put(self, document: Document, patch: np.ndarray) -> None:
        layer = _layer(document, self.layer_id)
        x, y, w, h = self.rect
        layer.pixels[y:y + h, x:x + w] = patch
        document.notify_pixels_changed(layer, self.rect)

    @property
    def nbytes(self) -> int:
        return self.before.nbytes + self.after.nbytes

    def is_noop(self) -> bool:
        return self.rect[2] == 0 or self.rect[3] == 0


class PixelRecorder:
    """Collects a layer's pixels, tile by tile, before each part of a growing edit paints.

    Call :meth:`before_paint` with each segment's rectangle before painting it, then
    :meth:`finish` for the :class:`PixelEdit` of the whole stroke. Only touched tiles are
    copied, so a long stroke over a large canvas keeps little memory.
    """

    def __init__(self, layer: Layer, tile: int = 64) -> None:
        self.layer = layer
        self.tile = tile
        self._saved: dict[tuple[int, int], np.ndarray] = {}

    def before_paint(self, rect: Rect) -> None:
        x, y, w, h = clip_rect(rect, self.layer.size)
        if not w or not h:
            return
        size = self.tile
        for ty in range(y // size, (y + h - 1) // size + 1):
            for tx in range(x // size, (x + w - 1) // size + 1):
                if (tx, ty) not in self._saved:
                    self._saved[tx, ty] = self.layer.pixels[
                        ty * size:(ty + 1) * size, tx * size:(tx + 1) * size].copy()

    def finish(self, label: str = "Brush stroke") -> PixelEdit:
        if not self._saved:
            empty = np.zeros((0, 0, 4), np.uint8)
            return PixelEdit(self.layer.id, (0, 0, 0, 0), empty, empty.copy(), label)
        size = self.tile
        xs = [tx for tx, _ in self._saved]
        ys = [ty for _, ty in self._saved]
        rect = clip_rect((min(xs) * size, min(ys) * size, (max(xs) - min(xs) + 1) * size,
                          (max(ys) - min(ys) + 1) * size), self.layer.size)
        x, y, w, h = rect
        before = self.layer.pixels[y:y + h, x:x + w].copy()  # untouched tiles: unchanged
        for (tx, ty), patch in self._saved.items():
            top, left = ty * size - y, tx * size - x
            before[top:top + patch.shape[0], left:left + patch.shape[1]] = patch
        self._saved = {}
        return PixelEdit.capture(self.layer, rect, before, label)


class AddLayer(Command):
    """A new layer at ``index`` (bottom first; on top when ``None``)."""

    def __init__(self, layer: Layer, index: int | None = None,
                 label: str | None = None) -> None:
        self.layer = layer
        self.index = index
        self.label = label or f"Add {layer.name}"
        self._active_before: Layer | None = None
        self._active_after: Layer | None = None
        self._in_document = False

    def apply(self, document: Document) -> None:
        if self.index is None:
            self.index = len(document.layers)
        self._active_before = document.active
        document.add_layer(self.layer, self.index)
        self._active_after = document.active
        self._in_document = True

    def redo(self, document: Document) -> None:
        document.add_layer(self.layer, self.index)
        document.active = self._active_after
        self._in_document = True

    def undo(self, document: Document) -> None:
        document.remove_layer(self.layer)
        document.active = self._active_before
        self._in_document = False

    @property
    def nbytes(self) -> int:
        # in the document, the layer is the document's memory; undone, the history keeps it
        return 0 if self._in_document else self.layer.pixels.nbytes


class RemoveLayer(Command):
    """A layer taken out of the stack; the step keeps the layer and its place to restore it."""

    def __init__(self, layer: Layer, label: str | None = None) -> None:
        self.layer = layer
        self.label = label or f"Delete {layer.name}"
        self.index = -1
        self._active_before: Layer | None = None
        self._active_after: Layer | None = None
        self._in_document = True

    def apply(self, document: Document) -> None:
        self.index = document.layers.index(self.layer)
        self._active_before = document.active
        document.remove_layer(self.layer)
        self._active_after = document.active
        self._in_document = False

    def redo(self, document: Document) -> None:
        document.remove_layer(self.layer)
        document.active = self._active_after
        self._in_document = False

    def undo(self, document: Document) -> None:
        document.add_layer(self.layer, self.index)
        document.active = self._active_before
        self._in_document = True

    @property
    def nbytes(self) -> int:
        return 0 if self._in_document else self.layer.pixels.nbytes


class MoveLayer(Command):
    """A layer moved to another place in the stack (``index``, bottom first)."""

    def __init__(self, layer: Layer, index: int, label: str | None = None) -> None:
        self.layer_id = layer.id
        self.index = index
        self.label = label or f"Move {layer.name}"
        self.old_index = -1

    def apply(self, document: Document) -> None:
        layer = _layer(document, self.layer_id)
        self.old_index = document.layers.index(layer)
        document.move_layer(layer, self.index)

    def redo(self, document: Document) -> None:
        document.move_layer(_layer(document, self.layer_id), self.index)

    def undo(self, document: Document) -> None:
        document.move_layer(_layer(document, self.layer_id), self.old_index)

    def is_noop(self) -> bool:
        return self.old_index == self.index


PROPERTIES: dict[str, str] = {
    "name": "Rename",
    "visible": "Visibility",
    "opacity": "Opacity",
    "blend_mode": "Blend mode",
    "locked": "Lock",
    **{f"condition.{f.name}": f.name.replace("_", " ").capitalize()
       for f in fields(ConditionSettings)},
}
"""Properties :class:`SetLayerProperty` can change, with the words for the History panel."""
PROPERTIES["condition.params"] = "Detector settings"

MERGEABLE = frozenset({"name", "opacity", "condition.conditioning_scale", "condition.params"})
"""Properties changed continuously (typing, slider drags): consecutive changes merge."""


class SetLayerProperty(Command):
    """One property of a layer: ``name``, ``visible``, ``opacity`` or ``condition.<field>``."""

    def __init__(self, layer: Layer, name: str, value: Any, label: str | None = None,
                 mergeable: bool | None = None) -> None:
        if name not in PROPERTIES:
            raise ValueError(f"unknown layer property {name!r} (known: {', '.join(PROPERTIES)})")
        if name.startswith("condition.") and layer.condition is None:
            raise ValueError(f"layer {layer.name!r} has no condition settings")
        self.layer_id = layer.id
        self.name = name
        self.after = copy.deepcopy(value)
        self.before: Any = None
        self.mergeable = name in MERGEABLE if mergeable is None else mergeable
        self.label = label or f"{PROPERTIES[name]} {layer.name}"

    def apply(self, document: Document) -> None:
        layer = _layer(document, self.layer_id)
        if self.name.startswith("condition."):
            self.before = copy.deepcopy(getattr(layer.condition, self.name[10:]))
        else:
            self.before = getattr(layer, self.name)
        self.redo(document)

    def redo(self, document: Document) -> None:
        self._set(document, self.after)

    def undo(self, document: Document) -> None:
        self._set(document, self.before)

    def _set(self, document: Document, value: Any) -> None:
        layer = _layer(document, self.layer_id)
        value = copy.deepcopy(value)
        if self.name == "name":
            document.rename(layer, value)
        elif self.name == "visible":
            document.set_visible(layer, value)
        elif self.name == "opacity":
            document.set_opacity(layer, value)
        elif self.name == "blend_mode":
            document.set_blend_mode(layer, value)
        elif self.name == "locked":
            document.set_locked(layer, value)
        else:
            document.set_condition_value(layer, self.name[10:], value)

    def is_noop(self) -> bool:
        return self.before == self.after

    def merge(self, other: Command) -> bool:
        if (isinstance(other, SetLayerProperty) and self.mergeable and other.mergeable
                and other.layer_id == self.layer_id and other.name == self.name):
            self.after = other.after
            return True
        return False


class ResizeCanvas(Command):
    """A new canvas size: every layer padded with transparency or cropped around an anchor.

    ``offset`` is where the old canvas's top-left corner lands on the new one (negative crops).
    The step keeps every layer's old pixels, and its new ones while undone.
    """

    def __init__(self, width: int, height: int, offset: tuple[int, int],
                 label: str | None = None) -> None:
        if width < 1 or height < 1:
            raise ValueError(f"a canvas of {width}×{height} pixels is empty")
        self.size = (int(width), int(height))
        self.offset = (int(offset[0]), int(offset[1]))
        self.label = label or f"Canvas size {width}×{height}"
        self.old_size = (0, 0)
        self.before: list[np.ndarray] = []
        self.after: list[np.ndarray] = []
        self._done = False
        self.areas: tuple[Any, Any] = (None, None)  # generation area before, after
        self.selections: tuple[Any, Any] = (None, None)  # selection masks before, after

    def apply(self, document: Document) -> None:
        self.old_size = (document.width, document.height)
        self.before = [layer.pixels for layer in document.layers]
        width, height = self.size
        self.after = [_placed(pixels, self.offset, width, height) for pixels in self.before]
        area = document.custom_area  # it stays over the same part of the picture
        self.areas = (area, area and area.moved(*self.offset))
        selection = document_selection(document)  # it stays over the same pixels too
        if not selection.is_empty():
            kept = selection.mask.copy()
            self.selections = (kept, _placed(kept, self.offset, width, height))
        self.redo(document)

    def redo(self, document: Document) -> None:
        document.resize_canvas(*self.size, list(self.after))
        document.set_generation_area(self.areas[1])
        adopt_selection(document, self.selections[1])
        self._done = True

    def undo(self, document: Document) -> None:
        document.resize_canvas(*self.old_size, list(self.before))
        document.set_generation_area(self.areas[0])
        adopt_selection(document, self.selections[0])
        self._done = False

    @property
    def nbytes(self) -> int:
        kept = self.before if self._done else self.after
        return sum(pixels.nbytes for pixels in kept)

    def is_noop(self) -> bool:
        return self.size == self.old_size and self.offset == (0, 0)


def _placed(pixels: np.ndarray, offset: tuple[int, int], width: int, height: int) -> np.ndarray:
    """``pixels`` (RGBA, or a mask) with its top-left corner at ``offset`` on an empty
    width×height canvas."""
    out = np.zeros((height, width, *pixels.shape[2:]), pixels.dtype)
    x, y = offset
    old_height, old_width = pixels.shape[:2]
    left, top = max(0, x), max(0, y)
    right, bottom = min(width, x + old_width), min(height, y + old_height)
    if left < right and top < bottom:
        out[top:bottom, left:right] = pixels[top - y:bottom - y, left - x:right - x]
    return out


def anchor_offset(old: tuple[int, int], new: tuple[int, int],
                  anchor: tuple[int, int]) -> tuple[int, int]:
    """Where the old canvas goes on the new one for an anchor cell (column, row in 0..2):
    (0, 0) keeps the top-left corner, (1, 1) centres, (2, 2) keeps the bottom-right corner."""
    column, row = anchor
    return ((new[0] - old[0]) * column // 2, (new[1] - old[1]) * row // 2)


class CommandGroup(Command):
    """Several commands as one step (merge down, duplicate and move…)."""

    def __init__(self, label: str, commands: list[Command] | None = None) -> None:
        self.label = label
        self.commands: list[Command] = list(commands or [])

    def apply(self, document: Document) -> None:
        for command in self.commands:
            command.apply(document)

    def redo(self, document: Document) -> None:
        for command in self.commands:
            command.redo(document)

    def undo(self, document: Document) -> None:
        for command in reversed(self.commands):
            command.undo(document)

    @property
    def nbytes(self) -> int:
        return sum(command.nbytes for command in self.commands)

    def is_noop(self) -> bool:
        return all(command.is_noop() for command in self.commands)
