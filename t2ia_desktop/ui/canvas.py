"""The canvas: the document's visible layers on paper, and the brush and eraser that draw on it.

Strokes paint straight into the active layer's numpy ``pixels`` through a QImage that wraps the
array without copying; each segment then reports its dirty rectangle to the document, and every
view (this one included) redraws only that area from a cached composite.

Condition layers are hidden in the composite by default (their control images would cover the
picture); the canvas can draw one of them over everything as an *overlay* with its own opacity.
Painting on a condition layer (to fix a pose map, say) puts opaque colour on it: white by
default, any colour picked with Alt+click; the eraser paints black, the "nothing here" of a
control image. Picture files dropped on the canvas are handed on with :attr:`files_dropped`.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from t2ia_desktop.core.document import Document, Layer
from t2ia_desktop.ui.edits import DocumentEdits, Stroke
from t2ia_desktop.ui.widgets import ModelConnections

Tool = Literal["brush", "eraser"]

MIN_BRUSH_SIZE = 1
MAX_BRUSH_SIZE = 400
DEFAULT_BRUSH_SIZE = 8
INK = QColor(24, 24, 28)
"""Near-black ink: the artist draws dark on white paper, the adapter reads the coverage."""
PAPER = QColor(255, 255, 255)
DESK = QColor(58, 60, 64)
PAPER_EDGE = QColor(30, 31, 34)
PAPER_MARGIN = 12
"""Desk showing around the paper, in widget pixels."""
PAINTABLE_KINDS = ("sketch", "paint", "photo", "condition")
CONTROL_INK = QColor(255, 255, 255)
"""Default colour on a condition layer: white lines on black, as edge and line maps are."""
CONTROL_BLANK = QColor(0, 0, 0)
"""What the eraser leaves on a condition layer: black means "no control here"."""
DEFAULT_OVERLAY_OPACITY = 0.6
DROP_HINT = QColor(90, 160, 255)


def layer_image(pixels: np.ndarray) -> QImage:
    """A QImage that shares memory with an (H, W, 4) uint8 straight-RGBA array."""
    height, width = pixels.shape[:2]
    if not pixels.flags.c_contiguous or not pixels.flags.writeable:
        raise ValueError("layer pixels must be a writable C-contiguous array")
    return QImage(pixels.data, width, height, width * 4, QImage.Format.Format_RGBA8888)


class CanvasView(QWidget):
    """Shows a :class:`Document` scaled to fit, centred, and paints on its active layer."""

    tool_changed = Signal(str)
    brush_size_changed = Signal(int)
    message = Signal(str)  # a hint for the artist (shown in the status bar)
    files_dropped = Signal(list, QPoint)  # local file paths, global position of the drop
    overlay_changed = Signal()

    def __init__(self, document: Document, parent: QWidget | None = None, *,
                 edits: DocumentEdits | None = None) -> None:
        """``edits`` records each stroke as an undo step (without one, strokes just paint)."""
        super().__init__(parent)
        self.document = document
        self.edits = edits or DocumentEdits(document)
        self._own_edits = edits is None
        self.tool: Tool = "brush"
        self.brush_size = DEFAULT_BRUSH_SIZE
        self.brush_color = QColor(INK)
        self._composite = QImage(
            document.width, document.height, QImage.Format.Format_ARGB32_Premultiplied
        )
        self.control_color = QColor(CONTROL_INK)
        self.overlay_layer: Layer | None = None
        self.overlay_enabled = False
        self.overlay_opacity = DEFAULT_OVERLAY_OPACITY
        self._stroke_layer: Layer | None = None
        self._recording: Stroke | None = None
        self._last_point: QPointF | None = None
        self._hover: QPointF | None = None
        self._drop_hover = False
        self._stack: list[tuple[str, bool, float]] = []
        self.setAcceptDrops(True)
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 200)
        self.connections = ModelConnections()
        self.connections.drop_with(self)
        self._bind(document)

    def _bind(self, document: Document) -> None:
        self.connections.connect(document.layer_added, self._on_layers_changed)
        self.connections.connect(document.layer_removed, self._on_layers_changed)
        self.connections.connect(document.layer_changed, self._on_layers_changed)
        self.connections.connect(document.pixels_changed, self._on_pixels_changed)
        self._recomposite(QRect(0, 0, document.width, document.height))

    def set_document(self, document: Document) -> None:
        """Show and paint on another document (a new or opened one)."""
        self.end_stroke()
        self.connections.disconnect_all()
        self.document = document
        if self._own_edits:
            self.edits.set_document(document)
        self.overlay_layer = None
        self._composite = QImage(
            document.width, document.height, QImage.Format.Format_ARGB32_Premultiplied
        )
        self._bind(document)
        self._overlay_changed()

    @property
    def stroking(self) -> bool:
        """Whether a stroke is being painted (the mouse button is down)."""
        return self._stroke_layer is not None

    def end_stroke(self) -> None:
        """Finish the stroke being painted now (its undo step is recorded)."""
        recording, self._recording = self._recording, None
        self._last_point = None
        self._stroke_layer = None
        if recording is not None:
            self.edits.finish_stroke(recording)

    # -- tools --------------------------------------------------------------------------------
    def set_tool(self, tool: Tool) -> None:
        if tool not in ("brush", "eraser"):
            raise ValueError(f"unknown tool {tool!r}")
        if tool != self.tool:
            self.tool = tool
            self.tool_changed.emit(tool)

    def set_brush_size(self, size: int) -> None:
        size = max(MIN_BRUSH_SIZE, min(MAX_BRUSH_SIZE, int(size)))
        if size != self.brush_size:
            old = self._cursor_rect()
            self.brush_size = size
            self.update(old.united(self._cursor_rect()))
            self.brush_size_changed.emit(size)

    def grow_brush(self) -> None:
        """Larger brush, in steps of about a tenth of its size (the ] key)."""
        self.set_brush_size(self.brush_size + max(1, round(self.brush_size * 0.1)))

    def shrink_brush(self) -> None:
        """Smaller brush, in steps of about a tenth of its size (the [ key)."""
        self.set_brush_size(self.brush_size - max(1, round(self.brush_size * 0.1)))

    def composite_image(self) -> QImage:
        """The visible layers on white paper, at document size (a copy)."""
        return self._composite.copy()

    # -- overlay ------------------------------------------------------------------------------
    def set_overlay_layer(self, layer: Layer | None) -> None:
        """The condition layer the overlay shows (when it is on)."""
        if layer is not self.overlay_layer:
            self.overlay_layer = layer
            self._overlay_changed()

    def set_overlay_enabled(self, enabled: bool) -> None:
        if enabled != self.overlay_enabled:
            self.overlay_enabled = enabled
            self._overlay_changed()

    def set_overlay_opacity(self, opacity: float) -> None:
        opacity = max(0.0, min(1.0, float(opacity)))
        if opacity != self.overlay_opacity:
            self.overlay_opacity = opacity
            self._overlay_changed()

    def overlay_showing(self, layer: Layer | None = None) -> bool:
        """Whether the overlay is drawn now (over ``layer``, when given)."""
        shown = (self.overlay_enabled and self.overlay_layer is not None
                 and self.overlay_layer in self.document.layers and self.overlay_opacity > 0)
        return shown and (layer is None or layer is self.overlay_layer)

    def _overlay_changed(self) -> None:
        self.update()
        self.overlay_changed.emit()

    # -- geometry -----------------------------------------------------------------------------
    def scale(self) -> float:
        """Widget pixels per document pixel."""
        width = max(1, self.width() - 2 * PAPER_MARGIN)
        height = max(1, self.height() - 2 * PAPER_MARGIN)
        return min(width / self.document.width, height / self.document.height)

    def paper_rect(self) -> QRectF:
        """Where the document lies in widget coordinates."""
        scale = self.scale()
        width, height = self.document.width * scale, self.document.height * scale
        return QRectF((self.width() - width) / 2, (self.height() - height) / 2, width, height)

    def to_document(self, pos: QPointF) -> QPointF:
        paper = self.paper_rect()
        scale = self.scale()
        return QPointF((pos.x() - paper.x()) / scale, (pos.y() - paper.y()) / scale)

    def from_document(self, point: QPointF) -> QPointF:
        paper = self.paper_rect()
        scale = self.scale()
        return QPointF(paper.x() + point.x() * scale, paper.y() + point.y() * scale)

    def _widget_rect(self, rect: QRect) -> QRect:
        top_left = self.from_document(QPointF(rect.topLeft()))
        scale = self.scale()
        area = QRectF(top_left.x(), top_left.y(), rect.width() * scale, rect.height() * scale)
        return area.toAlignedRect().adjusted(-1, -1, 1, 1)

    def _cursor_rect(self) -> QRect:
        if self._hover is None:
            return QRect()
        radius = self.brush_size * self.scale() / 2 + 3
        return QRectF(
            self._hover.x() - radius, self._hover.y() - radius, 2 * radius, 2 * radius
        ).toAlignedRect()

    # -- document signals ---------------------------------------------------------------------
    def _on_layers_changed(self, _layer: Layer) -> None:
        # A change that leaves the stack as drawn (a name, a conditioning scale) costs nothing.
        stack = [(layer.id, layer.visible, layer.opacity) for layer in self.document.layers]
        if stack != self._stack:
            self._recomposite(QRect(0, 0, self.document.width, self.document.height))
        if self.overlay_layer is not None and self.overlay_layer not in self.document.layers:
            self.set_overlay_layer(None)
        self.update()

    def _on_pixels_changed(self, layer: Layer, rect: tuple[int, int, int, int]) -> None:
        area = QRect(*rect).intersected(QRect(0, 0, self.document.width, self.document.height))
        if area.isEmpty():
            return
        shown = layer.visible and layer.opacity > 0
        if shown:
            self._recomposite(area)
        if shown or self.overlay_showing(layer):
            self.update(self._widget_rect(area))

    def _recomposite(self, area: QRect) -> None:
        self._stack = [(layer.id, layer.visible, layer.opacity) for layer in self.document.layers]
        painter = QPainter(self._composite)
        painter.setClipRect(area)
        painter.fillRect(area, PAPER)
        for layer in self.document.layers:
            if layer.visible and layer.opacity > 0:
                painter.setOpacity(layer.opacity)
                painter.drawImage(area.topLeft(), layer_image(layer.pixels), area)
        painter.end()

    # -- painting the widget ------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(event.rect(), DESK)
        paper = self.paper_rect()
        painter.setPen(QPen(PAPER_EDGE, 1.0))
        painter.drawRect(paper.adjusted(-1, -1, 0, 0))
        visible = QRectF(event.rect()).intersected(paper)
        if not visible.isEmpty():
            scale = self.scale()
            source = QRectF(
                (visible.x() - paper.x()) / scale,
                (visible.y() - paper.y()) / scale,
                visible.width() / scale,
                visible.height() / scale,
            )
            if scale < 1:
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(visible, self._composite, source)
            if self.overlay_showing():
                painter.setOpacity(self.overlay_opacity)
                painter.drawImage(visible, layer_image(self.overlay_layer.pixels), source)
                painter.setOpacity(1.0)
        if self._drop_hover:
            painter.setPen(QPen(DROP_HINT, 3, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(paper.adjusted(2, 2, -2, -2))
            painter.setPen(DROP_HINT)
            painter.drawText(paper.adjusted(0, 8, 0, 0),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                             "Drop to add the picture as a photo layer or a remix")
        self._paint_cursor(painter)
        painter.end()

    def _paint_cursor(self, painter: QPainter) -> None:
        if self._hover is None:
            return
        radius = max(1.0, self.brush_size * self.scale() / 2)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(QColor(255, 255, 255, 200), 1.0))
        painter.drawEllipse(self._hover, radius + 1, radius + 1)
        painter.setPen(QPen(QColor(0, 0, 0, 220), 1.0))
        painter.drawEllipse(self._hover, radius, radius)

    # -- mouse --------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        if event.modifiers() & Qt.KeyboardModifier.AltModifier:
            self.pick_color(self.to_document(event.position()))
            event.accept()
            return
        layer = self._paint_target()
        if layer is None:
            return
        self._stroke_layer = layer
        verb = "Eraser" if self.tool == "eraser" else "Brush"
        self._recording = self.edits.begin_stroke(layer, f"{verb} on {layer.name}")
        point = self.to_document(event.position())
        self._last_point = point
        self._stroke(point, point)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        old = self._cursor_rect()
        self._hover = event.position()
        self.update(old.united(self._cursor_rect()))
        if self._last_point is not None:
            point = self.to_document(event.position())
            self._stroke(self._last_point, point)
            self._last_point = point
            event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._last_point is not None:
            point = self.to_document(event.position())
            if point != self._last_point:
                self._stroke(self._last_point, point)
            self.end_stroke()
            event.accept()
        else:
            super().mouseReleaseEvent(event)

    def leaveEvent(self, event) -> None:
        old = self._cursor_rect()
        self._hover = None
        self.update(old)
        super().leaveEvent(event)

    def pick_color(self, point: QPointF) -> None:
        """Alt+click: take the colour under the cursor on a condition layer for its brush."""
        layer = self.document.active
        x, y = int(point.x()), int(point.y())
        if layer is None or layer.kind != "condition":
            self.message.emit("Alt+click picks a colour on a condition layer you paint on.")
            return
        if not (0 <= x < self.document.width and 0 <= y < self.document.height):
            return
        red, green, blue = (int(v) for v in layer.pixels[y, x, :3])
        self.control_color = QColor(red, green, blue)
        self.message.emit(f"Brush colour picked from “{layer.name}”: {red}, {green}, {blue}.")

    def _paint_target(self) -> Layer | None:
        layer = self.document.active
        if layer is None or layer.kind not in PAINTABLE_KINDS:
            self.message.emit("There is no sketch layer to draw on.")
            return None
        if layer.kind == "condition":
            if not (layer.visible or self.overlay_showing(layer)):
                self.message.emit(
                    f"“{layer.name}” is hidden: turn on the condition overlay (O) or show it in "
                    "Layers to paint on it."
                )
                return None
            return layer
        if not layer.visible:
            self.message.emit(f"“{layer.name}” is hidden: show it in Layers to draw on it.")
            return None
        above = self.document.layers[self.document.layers.index(layer) + 1 :]
        covering = [other.name for other in above if other.visible and other.kind == "result"]
        if covering:
            self.message.emit(
                f"Your strokes are under “{covering[-1]}”: hide it in Layers to see them."
            )
        return layer

    def _stroke(self, start: QPointF, end: QPointF) -> None:
        """Draw one round-capped segment on the stroke's layer and report its dirty area."""
        layer = self._stroke_layer
        if layer is None:
            return
        margin = self.brush_size / 2 + 2
        left = math.floor(min(start.x(), end.x()) - margin)
        top = math.floor(min(start.y(), end.y()) - margin)
        right = math.ceil(max(start.x(), end.x()) + margin)
        bottom = math.ceil(max(start.y(), end.y()) + margin)
        dirty = QRect(left, top, right - left, bottom - top).intersected(
            QRect(0, 0, self.document.width, self.document.height)
        )
        if dirty.isEmpty():
            return
        if self._recording is not None:  # keep the tiles it is about to touch, for undo
            self._recording.before_paint((dirty.x(), dirty.y(), dirty.width(), dirty.height()))
        image = layer_image(layer.pixels)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = self.brush_color
        if layer.kind == "condition":  # a control image stays opaque: paint black to erase
            color = CONTROL_BLANK if self.tool == "eraser" else self.control_color
        elif self.tool == "eraser":
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear)
        pen = QPen(color, float(self.brush_size))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        if start == end:
            painter.drawPoint(start)
        else:
            painter.drawLine(start, end)
        painter.end()
        self.document.notify_pixels_changed(
            layer, (dirty.x(), dirty.y(), dirty.width(), dirty.height())
        )

    # -- dropping picture files ---------------------------------------------------------------
    @staticmethod
    def _local_files(event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> list[str]:
        data = event.mimeData()
        if data is None or not data.hasUrls():
            return []
        return [url.toLocalFile() for url in data.urls() if url.isLocalFile()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._local_files(event):
            event.acceptProposedAction()
            self._drop_hover = True
            self.update()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._local_files(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._drop_hover = False
        self.update()
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self._drop_hover = False
        self.update()
        files = self._local_files(event)
        if not files:
            event.ignore()
            return
        event.acceptProposedAction()
        self.files_dropped.emit(files, self.mapToGlobal(event.position().toPoint()))
