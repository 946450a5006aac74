"""What a canvas tool is, and what it may ask of the canvas it works on.

The canvas (:mod:`t2ia_desktop.ui.canvas.view`) draws the document and routes the pointer to
``tools[tool_state.tool]``; the tools (:mod:`t2ia_desktop.ui.tools`, the generation area's frame)
implement :class:`CanvasTool` and see the canvas only as a :class:`CanvasSurface`. The window's
controllers make the tools and register them with the canvas, so the canvas and the tools never
import each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QCursor, QPainter, QTransform

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from t2ia_desktop.core.document.document import Document, Layer
    from t2ia_desktop.session.edits import DocumentEdits
    from t2ia_desktop.session.tool_state import Rgb

PaintHook = Callable[[QPainter, QRectF, QRectF], None]
"""Drawn over the layers as ``hook(painter, visible, source)``: the painter in widget
coordinates (document ones when the view is rotated), the visible area in those coordinates,
and the same area in document pixels."""

Cursor = QCursor | Qt.CursorShape


@dataclass(frozen=True)
class Pointer:
    """One pointer event as a tool sees it."""

    point: QPointF
    """Where, in document coordinates."""
    position: QPointF
    """Where, in widget coordinates: for handles and distances that keep their screen size
    under any zoom."""
    modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
    pressure: float | None = None
    """A tablet pen's pressure (0..1); None for a mouse."""


class CanvasTool(Protocol):
    """A tool the canvas routes the left button to while it is the current tool."""

    @property
    def stroking(self) -> bool:
        """Whether a stroke is being painted now (its undo step comes when it ends)."""
        ...

    def press(self, pointer: Pointer) -> bool:
        """The button went down; True when the tool holds the pointer (moves and the release
        follow), False when the press did all there was to do (or nothing)."""
        ...

    def move(self, pointer: Pointer) -> None:
        """The pointer moved with the button held (after a press that returned True)."""
        ...

    def release(self, pointer: Pointer) -> None:
        """The button came up: the drag ends (one undo step)."""
        ...

    def finish(self) -> None:
        """End whatever is in progress now, keeping it (a tool change, an undo, a save)."""
        ...

    def cursor(self, position: QPointF) -> Cursor | None:
        """The cursor over widget ``position`` with no button held; None leaves it as is."""
        ...


class CanvasSurface(Protocol):
    """The canvas as the tools see it."""

    document: Document
    edits: DocumentEdits
    """Each change a tool makes goes through these, as one undo step."""
    paint_hooks: list[PaintHook]
    message: SignalInstance
    """A hint for the artist (``message.emit(text)``: shown in the status bar)."""

    def to_document(self, pos: QPointF) -> QPointF: ...

    def from_document(self, point: QPointF) -> QPointF: ...

    def widget_transform(self) -> QTransform:
        """Document → widget coordinates (zoom, pan and rotation)."""
        ...

    def scale(self) -> float:
        """Widget pixels per document pixel (the zoom)."""
        ...

    def shown_color(self, x: int, y: int) -> Rgb:
        """The colour document pixel (x, y) shows on the canvas (all visible layers)."""
        ...

    def overlay_showing(self, layer: Layer | None = None) -> bool:
        """Whether the condition overlay is drawn now (over ``layer``, when given)."""
        ...

    def end_stroke(self) -> None:
        """Finish whatever any tool is doing now."""
        ...

    def update(self, *area: QRect) -> None: ...

    def rect(self) -> QRect: ...

    def setCursor(self, cursor: Cursor) -> None: ...

    def installEventFilter(self, watcher: QObject) -> None: ...
