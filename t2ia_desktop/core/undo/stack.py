"""The document's undo history: a stack of :mod:`~t2ia_desktop.core.undo.commands` with a position,
a memory bound, a clean mark and groups (see that module for typical uses)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from psygnal import Signal

from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.core.undo.commands import (
    DEFAULT_MAX_BYTES,
    Command,
    CommandGroup,
    PixelEdit,
    Rect,
    snapshot,
)


class UndoStack:
    """The document's undo history: steps, a position in them, a memory bound, a clean mark.

    ``labels[:index]`` are the steps that can be undone (oldest first), ``labels[index:]`` those
    that can be redone. ``changed`` is emitted after anything here changes.
    """

    changed = Signal()

    def __init__(self, document: Document, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.document = document
        self._max_bytes = max_bytes
        self._steps: list[Command] = []
        self._index = 0
        self._clean: int | None = 0
        self._sealed = True
        self._group: CommandGroup | None = None

    # -- state ---------------------------------------------------------------------------------

    @property
    def index(self) -> int:
        """How many steps are applied (0: the oldest state kept)."""
        return self._index

    @property
    def labels(self) -> list[str]:
        return [step.label for step in self._steps]

    @property
    def can_undo(self) -> bool:
        return self._index > 0

    @property
    def can_redo(self) -> bool:
        return self._index < len(self._steps)

    @property
    def undo_label(self) -> str | None:
        return self._steps[self._index - 1].label if self.can_undo else None

    @property
    def redo_label(self) -> str | None:
        return self._steps[self._index].label if self.can_redo else None

    @property
    def nbytes(self) -> int:
        """Bytes the history keeps alive: pixel patches, and layers out of the document."""
        return sum(step.nbytes for step in self._steps)

    @property
    def max_bytes(self) -> int:
        return self._max_bytes

    @max_bytes.setter
    def max_bytes(self, value: int) -> None:
        self._max_bytes = value
        if self._trim():
            self.changed.emit()

    @property
    def is_clean(self) -> bool:
        """Whether the document is as it was at the last :meth:`set_clean` (the last save)."""
        return self._clean == self._index

    def set_clean(self) -> None:
        """Mark the current state as saved."""
        self._clean = self._index
        self._sealed = True  # a later change must not merge into the saved step
        self.changed.emit()

    # -- changes -------------------------------------------------------------------------------

    def push(self, command: Command) -> bool:
        """Apply ``command`` to the document and record it; False if it changed nothing."""
        command.apply(self.document)
        if self._group is not None:
            self._group.commands.append(command)
            return True
        return self._record(command)

    def _record(self, command: Command) -> bool:
        if command.is_noop():
            return False
        if self._index < len(self._steps):
            del self._steps[self._index:]
            if self._clean is not None and self._clean > self._index:
                self._clean = None  # the saved state was on the branch just dropped
        top = self._steps[-1] if self._steps and not self._sealed else None
        if top is not None and top.merge(command):
            if top.is_noop():  # dragged back to where it started
                self._steps.pop()
                self._index -= 1
                self._sealed = True
        else:
            self._steps.append(command)
            self._index += 1
            self._sealed = False
        self._trim()
        self.changed.emit()
        return True

    def seal(self) -> None:
        """End merging: the next command becomes a step of its own (e.g. a slider released)."""
        self._sealed = True

    @contextmanager
    def edit_pixels(self, layer: Layer, rect: Rect, label: str = "Paint") -> Iterator[None]:
        """Record what the ``with`` body paints inside ``rect`` of ``layer`` as one step."""
        before = snapshot(layer, rect)
        yield
        self.push(PixelEdit.capture(layer, rect, before, label))

    @contextmanager
    def group(self, label: str) -> Iterator[CommandGroup]:
        """Record every command pushed inside the ``with`` body as one step.

        If the body raises, the commands it pushed are undone and nothing is recorded.
        """
        if self._group is not None:
            raise RuntimeError("groups do not nest")
        group = self._group = CommandGroup(label)
        try:
            yield group
        except BaseException:
            self._group = None
            group.undo(self.document)
            raise
        self._group = None
        self._sealed = True
        self._record(group)

    def undo(self) -> None:
        if self.can_undo:
            self._index -= 1
            self._steps[self._index].undo(self.document)
            self._sealed = True
            self._trim()  # an undone new layer is now the history's to keep
            self.changed.emit()

    def redo(self) -> None:
        if self.can_redo:
            self._steps[self._index].redo(self.document)
            self._index += 1
            self._sealed = True
            self._trim()
            self.changed.emit()

    def goto(self, index: int) -> None:
        """Undo or redo until ``index`` steps are applied (a click in the History panel)."""
        index = max(0, min(index, len(self._steps)))
        while self._index > index:
            self._index -= 1
            self._steps[self._index].undo(self.document)
        while self._index < index:
            self._steps[self._index].redo(self.document)
            self._index += 1
        self._sealed = True
        self._trim()
        self.changed.emit()

    def clear(self) -> None:
        """Forget every step (a new or reopened document); the current state counts as clean."""
        self._steps.clear()
        self._index = 0
        self._clean = 0
        self._sealed = True
        self.changed.emit()

    def _trim(self) -> bool:
        """Drop the oldest steps (then the furthest redo steps) beyond the memory bound."""
        total = self.nbytes
        dropped = False
        while self._steps and total > self._max_bytes:
            if self._index > 0:
                total -= self._steps.pop(0).nbytes
                self._index -= 1
                if self._clean is not None:
                    self._clean = self._clean - 1 if self._clean > 0 else None
            else:
                total -= self._steps.pop().nbytes
                if self._clean is not None and self._clean > len(self._steps):
                    self._clean = None
            dropped = True
        return dropped
