"""The generation area on the canvas: a dashed frame with its size ("1024 × 768") that shows
which part of the canvas a generation covers and where its result lands.

With the *Generation area* tool (A) the artist drags inside the frame (or on its size label) to
move it, drags one of its eight handles to resize it, or drags outside it to draw a new one;
position and size snap to multiples of 8 pixels, in any zoom, pan or rotation. Releasing the
button is one undo step. Other tools never touch it, so it cannot get in the way of painting.
The frame's drawing and mouse handling live here; its menu entries in
:mod:`~t2ia_desktop.ui.actions.tools.generation_area`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPainterPath, QPen, QPolygonF

from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.document.generation_area import (
    AREA_STEP,
    MAX_AREA_SIDE,
    MIN_AREA_SIDE,
    GenerationArea,
    fit_area,
    snap,
)
from t2ia_desktop.core.undo.area_command import SetGenerationArea
from t2ia_desktop.ui.common.canvas_tool import Cursor, Pointer

if TYPE_CHECKING:
    from t2ia_desktop.session.edits import DocumentEdits
    from t2ia_desktop.session.tool_state import ToolState
    from t2ia_desktop.ui.canvas.view import CanvasView

TOOL = "area"
HANDLE_SIZE = 8.0
"""Side of a handle's square, in screen pixels."""
GRAB = 7.0
"""How near (screen pixels) a press must be to a handle to take it."""
DIM = QColor(0, 0, 0, 110)
FRAME_LIGHT = QColor(255, 255, 255, 230)
FRAME_DARK = QColor(20, 20, 24, 230)
LABEL_BACK = QColor(20, 20, 24, 200)
HANDLES = {
    "top_left": (0.0, 0.0), "top": (0.5, 0.0), "top_right": (1.0, 0.0),
    "right": (1.0, 0.5), "bottom_right": (1.0, 1.0), "bottom": (0.5, 1.0),
    "bottom_left": (0.0, 1.0), "left": (0.0, 0.5),
}
"""Each handle's place on the frame, as fractions of its width and height."""
CURSORS = {
    "top_left": Qt.CursorShape.SizeFDiagCursor, "bottom_right": Qt.CursorShape.SizeFDiagCursor,
    "top_right": Qt.CursorShape.SizeBDiagCursor, "bottom_left": Qt.CursorShape.SizeBDiagCursor,
    "top": Qt.CursorShape.SizeVerCursor, "bottom": Qt.CursorShape.SizeVerCursor,
    "left": Qt.CursorShape.SizeHorCursor, "right": Qt.CursorShape.SizeHorCursor,
    "move": Qt.CursorShape.SizeAllCursor, "new": Qt.CursorShape.CrossCursor,
}
HINT = ("Generation area: drag inside the frame to move it, drag a handle to resize it, drag "
        "outside it to draw a new one (sizes snap to 8 px).")


@dataclass
class _Drag:
    part: str  # a handle's name, "move" or "new"
    start: QPointF  # document point where the button went down
    area: GenerationArea  # the area when it did
    current: GenerationArea | None = None  # what releasing now would set (None: no change)


def resized(area: GenerationArea, handle: str, dx: float, dy: float,
            canvas: tuple[int, int]) -> GenerationArea:
    """``area`` with the edges ``handle`` holds moved by (dx, dy) document pixels, snapped to
    the grid, kept 64 pixels or more a side and inside the canvas; the other edges stay put."""
    left, top, right, bottom = area.box
    width, height = canvas
    most_right, most_bottom = width // AREA_STEP * AREA_STEP, height // AREA_STEP * AREA_STEP
    if "left" in handle:
        left = max(0, right - MAX_AREA_SIDE, min(right - MIN_AREA_SIDE, snap(left + dx)))
    if "right" in handle:
        right = min(most_right, left + MAX_AREA_SIDE, max(left + MIN_AREA_SIDE,
                                                          snap(right + dx)))
    if handle.startswith("top"):
        top = max(0, bottom - MAX_AREA_SIDE, min(bottom - MIN_AREA_SIDE, snap(top + dy)))
    if handle.startswith("bottom"):
        bottom = min(most_bottom, top + MAX_AREA_SIDE, max(top + MIN_AREA_SIDE,
                                                           snap(bottom + dy)))
    return fit_area(GenerationArea(left, top, right - left, bottom - top), width, height)


def drawn(start: QPointF, end: QPointF, canvas: tuple[int, int]) -> GenerationArea | None:
    """A new area dragged from ``start`` to ``end`` (document points), snapped; None while it
    is thinner than one grid step."""
    left, right = sorted((snap(start.x()), snap(end.x())))
    top, bottom = sorted((snap(start.y()), snap(end.y())))
    if right - left < AREA_STEP or bottom - top < AREA_STEP:
        return None
    return fit_area(GenerationArea(left, top, right - left, bottom - top), *canvas)


class AreaFrame(QObject):
    """Draws the generation area over ``canvas`` and is the canvas tool the window registers
    as ``area`` (:data:`TOOL`)."""

    message = Signal(str)  # what the frame is now ("Generation area 512 × 512 at 64, 128")
    stroking = False

    def __init__(self, canvas: CanvasView, tool_state: ToolState,
                 edits: DocumentEdits) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self.tool_state = tool_state
        self.edits = edits
        self.shown = True
        """View → Show generation area: the frame is drawn when it is not the whole canvas."""
        self.dim_outside = True
        """Darken the canvas outside the frame."""
        self._drag: _Drag | None = None
        self._label_rect = QRectF()
        self._document: Document | None = None
        canvas.paint_hooks.append(self.paint)
        tool_state.tool_changed.connect(self._on_tool_changed)
        canvas.view_changed.connect(self._follow_document)
        self._follow_document()

    # -- state ----------------------------------------------------------------------------------
    @property
    def document(self) -> Document:
        return self.canvas.document

    @property
    def active(self) -> bool:
        """Whether the Generation area tool is the canvas's tool."""
        return self.tool_state.tool == TOOL

    def area(self) -> GenerationArea:
        """The frame as drawn now: the one being dragged, else the document's."""
        if self._drag is not None and self._drag.current is not None:
            return self._drag.current
        return self.document.generation_area

    def visible(self) -> bool:
        return self.active or self._drag is not None or (
            self.shown and self.document.custom_area is not None)

    def set_shown(self, shown: bool) -> None:
        self.shown = shown
        self.canvas.update()

    def set_dim_outside(self, dim: bool) -> None:
        self.dim_outside = dim
        self.canvas.update()

    def _follow_document(self, *_args) -> None:
        """Listen to the canvas's document (a New or Open replaces it)."""
        if self._document is self.canvas.document:
            return
        if self._document is not None:
            self._document.generation_area_changed.disconnect(self._on_area_changed)
        self._document = self.canvas.document
        self._document.generation_area_changed.connect(self._on_area_changed)
        self._drag = None
        self.canvas.update()

    def _on_area_changed(self, _area: GenerationArea) -> None:
        self.canvas.update()

    def _on_tool_changed(self, tool: str) -> None:
        if tool == TOOL:
            self.message.emit(HINT)
        self.canvas.update()

    # -- geometry (widget coordinates) --------------------------------------------------------
    def handle_points(self, area: GenerationArea | None = None) -> dict[str, QPointF]:
        """Where each handle shows on the canvas widget."""
        area = area or self.area()
        return {name: self.canvas.from_document(QPointF(area.x + fx * area.width,
                                                        area.y + fy * area.height))
                for name, (fx, fy) in HANDLES.items()}

    def part_at(self, position: QPointF) -> str:
        """What a press at ``position`` takes: a handle's name, ``move`` (inside the frame or
        on its size label) or ``new`` (outside it)."""
        nearest = min(((QPointF(point - position).manhattanLength(), name)
                       for name, point in self.handle_points().items()))
        if nearest[0] <= GRAB * 1.5:
            return nearest[1]
        if self._label_rect.contains(position):
            return "move"
        point = self.canvas.to_document(position)
        left, top, right, bottom = self.area().box
        inside = left <= point.x() < right and top <= point.y() < bottom
        return "move" if inside else "new"

    # -- the tool (registered with the canvas) ------------------------------------------------
    def press(self, pointer: Pointer) -> bool:
        area = self.document.generation_area
        self._drag = _Drag(self.part_at(pointer.position), QPointF(pointer.point), area)
        return True

    def move(self, pointer: Pointer) -> None:
        drag = self._drag
        if drag is None:
            return
        point = pointer.point
        dx, dy = point.x() - drag.start.x(), point.y() - drag.start.y()
        canvas = (self.document.width, self.document.height)
        if drag.part == "move":
            drag.current = fit_area(drag.area.moved(snap(dx), snap(dy)), *canvas)
        elif drag.part == "new":
            drag.current = drawn(drag.start, point, canvas)
        else:
            drag.current = resized(drag.area, drag.part, dx, dy, canvas)
        area = self.area()
        self.message.emit(f"Generation area {area.label()} at {area.x}, {area.y}")
        self.canvas.update()

    def release(self, pointer: Pointer) -> None:
        self.move(pointer)
        self.finish()

    def finish(self) -> None:
        """Finish a drag: its area becomes one undo step."""
        drag, self._drag = self._drag, None
        if drag is not None and drag.current is not None and drag.current != drag.area:
            self.edits.push(SetGenerationArea(drag.current))
        if drag is not None:
            self.canvas.update()

    def cursor(self, position: QPointF) -> Cursor | None:
        """Hovering with the tool: the cursor says what a press would take."""
        return CURSORS[self.part_at(position)] if self._drag is None else None

    # -- drawing (a canvas paint hook) --------------------------------------------------------
    def paint(self, painter: QPainter, _visible: QRectF, _source: QRectF) -> None:
        self._label_rect = QRectF()
        if not self.visible():
            return
        area = self.area()
        transform = self.canvas.widget_transform()
        frame = transform.map(QPolygonF(QRectF(*area.rect)))
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        doc = self.document
        if self.dim_outside and area.rect != (0, 0, doc.width, doc.height):
            outside = QPainterPath()
            outside.addPolygon(transform.map(QPolygonF(QRectF(0, 0, doc.width, doc.height))))
            inside = QPainterPath()
            inside.addPolygon(frame)
            painter.fillPath(outside.subtracted(inside), DIM)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(FRAME_LIGHT, 1.0))
        painter.drawPolygon(frame)
        painter.setPen(QPen(FRAME_DARK, 1.0, Qt.PenStyle.DashLine))
        painter.drawPolygon(frame)
        self._paint_label(painter, area, frame)
        if self.active:
            painter.setPen(QPen(FRAME_DARK, 1.0))
            painter.setBrush(FRAME_LIGHT)
            half = HANDLE_SIZE / 2
            for point in self.handle_points(area).values():
                painter.drawRect(QRectF(point.x() - half, point.y() - half, HANDLE_SIZE,
                                        HANDLE_SIZE))
        painter.restore()

    def _paint_label(self, painter: QPainter, area: GenerationArea, frame: QPolygonF) -> None:
        text = area.label()
        metrics = QFontMetricsF(painter.font())
        width, height = metrics.horizontalAdvance(text) + 10, metrics.height() + 4
        corner = frame.boundingRect().topLeft()
        top = corner.y() - height - 2
        if top < 0:  # no room above the frame: inside its top edge
            top = corner.y() + 2
        self._label_rect = QRectF(corner.x(), top, width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(LABEL_BACK)
        painter.drawRoundedRect(self._label_rect, 3, 3)
        painter.setPen(FRAME_LIGHT)
        painter.drawText(self._label_rect, Qt.AlignmentFlag.AlignCenter, text)
