"""The canvas: the document's visible layers on paper, the painting tools that work on them
(brush, eraser, fill bucket, colour picker: :mod:`t2ia_desktop.ui.tools.painting`) and the view
around them (zoom, pan, rotation: :mod:`~t2ia_desktop.ui.canvas.view_transform`, driven by
:mod:`~t2ia_desktop.ui.canvas.navigation`).

Strokes paint straight into the active layer's numpy ``pixels`` (:mod:`t2ia_desktop.core.document.brush`);
each segment then reports its dirty rectangle to the document, and every view (this one
included) recomposites and redraws only that area. While the artist paints, the layers below
and above the active one are kept as two cached composites, so a segment costs three small
draws whatever the number of layers.

Condition layers are hidden in the composite by default (their control images would cover the
picture); the canvas can draw one of them over everything as an *overlay* with its own opacity.
Painting on a condition layer (to fix a pose map, say) puts opaque colour on it: white by
default, any colour picked with Alt+click; the eraser paints black, the "nothing here" of a
control image. Picture files dropped on the canvas are handed on with :attr:`files_dropped`.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QRectF, QSizeF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
    QResizeEvent,
    QTabletEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.core.document.selection import Selection
from t2ia_desktop.session.edits import DocumentEdits
from t2ia_desktop.ui.canvas.drop import FileDropMixin
from t2ia_desktop.ui.canvas.mask_display import draw_mask_layer
from t2ia_desktop.ui.canvas.navigation import Navigator, is_gesture
from t2ia_desktop.ui.canvas.stroke_composite import StrokeComposite, layer_image
from t2ia_desktop.ui.canvas.view_transform import ROTATE_STEP, ZOOM_STEP, ViewTransform
from t2ia_desktop.ui.common.widgets import ModelConnections
from t2ia_desktop.ui.tools.painting import BrushOptions, ToolHandler

Tool = Literal["brush", "eraser", "fill", "picker", "rect_select", "lasso", "transform"]
TOOLS: tuple[str, ...] = ("brush", "eraser", "fill", "picker", "rect_select", "lasso",
                          "transform")

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
PAINTABLE_KINDS = ("sketch", "paint", "photo", "condition", "mask")
CONTROL_INK = QColor(255, 255, 255)
"""Default colour on a condition layer: white lines on black, as edge and line maps are."""
OPTION_RANGES: dict[str, tuple[float, float]] = {
    "hardness": (0.0, 1.0), "opacity": (0.0, 1.0), "smoothing": (0.0, 0.95),
    "fill_tolerance": (0, 255),
}
"""Brush options with numbers, and their ranges (the others are on/off)."""
DEFAULT_OVERLAY_OPACITY = 0.6
DROP_HINT = QColor(90, 160, 255)
COMPOSITION_MODES = {
    "normal": QPainter.CompositionMode.CompositionMode_SourceOver,
    "multiply": QPainter.CompositionMode.CompositionMode_Multiply,
    "screen": QPainter.CompositionMode.CompositionMode_Screen,
    "overlay": QPainter.CompositionMode.CompositionMode_Overlay,
    "darken": QPainter.CompositionMode.CompositionMode_Darken,
    "lighten": QPainter.CompositionMode.CompositionMode_Lighten,
}
"""Each layer blend mode as QPainter draws it (the same W3C formulas as core.composite)."""


class CanvasView(FileDropMixin, QWidget):
    """Shows a :class:`Document` scaled to fit, centred, and paints on its active layer."""

    tool_changed = Signal(str)
    brush_size_changed = Signal(int)
    message = Signal(str)  # a hint for the artist (shown in the status bar)
    files_dropped = Signal(list, QPoint)  # local file paths, global position of the drop
    overlay_changed = Signal()
    view_changed = Signal(float)  # the zoom (widget pixels per document pixel), after any move
    colors_changed = Signal()  # foreground (brush_color) or background colour
    options_changed = Signal()  # hardness, opacity, pressure, smoothing, fill tolerance

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
        """The foreground colour: brush and fill."""
        self.background_color = QColor(PAPER)
        """The second colour, swapped with the foreground by X."""
        self._composite = QImage(
            document.width, document.height, QImage.Format.Format_ARGB32_Premultiplied
        )
        self.control_color = QColor(CONTROL_INK)
        self.overlay_layer: Layer | None = None
        self.overlay_enabled = False
        self.overlay_opacity = DEFAULT_OVERLAY_OPACITY
        self.tools = ToolHandler(self)
        self.view = ViewTransform(QSizeF(document.width, document.height), QSizeF(self.size()),
                                  PAPER_MARGIN)
        self.navigator = Navigator(self)
        self.stroke_composite = StrokeComposite(PAPER, COMPOSITION_MODES, parent=self,
                                                busy=lambda: self.tools.stroking)
        """Composites below and above the active layer: a segment recomposites in 3 draws;
        built in idle time whenever the stack changes, ahead of the next press."""
        self._hover: QPointF | None = None
        self._drop_hover = False
        self.paint_hooks: list = []
        """Called as ``hook(painter, widget_rect, document_rect)`` after the layers are drawn."""
        self.selection: Selection | None = None
        """Strokes and fills stay inside it when it is not empty (ui.selection_tools)."""
        self.tool_handlers: dict[str, Any] = {}
        """Tools other modules run (selection, transform): ``press(position, modifiers)`` →
        bool, ``move(position)``, ``release(position)``, ``end_stroke()``; widget points."""
        self._tool_drag: Any = None
        self._stack: list[tuple[str, bool, float]] = []
        self.setAcceptDrops(True)
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 200)
        self.grabGesture(Qt.GestureType.PinchGesture)
        self.connections = ModelConnections()
        self.connections.drop_with(self)
        self._bind(document)

    def _bind(self, document: Document) -> None:
        self.connections.connect(document.layer_added, self._on_layers_changed)
        self.connections.connect(document.layer_removed, self._on_layers_changed)
        self.connections.connect(document.layer_changed, self._on_layers_changed)
        self.connections.connect(document.pixels_changed, self._on_pixels_changed)
        self._recomposite(QRect(0, 0, document.width, document.height))
        self.stroke_composite.schedule(document)

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
        self.stroke_composite.drop()
        self.view.set_document_size(QSizeF(document.width, document.height))
        self._bind(document)
        self._overlay_changed()
        self.view_changed.emit(self.view.zoom)

    @property
    def stroking(self) -> bool:
        """Whether a stroke is being painted (the button or pen is down)."""
        return self.tools.stroking

    def end_stroke(self) -> None:
        """Finish the stroke being painted now (its undo step is recorded)."""
        self.tools.end_stroke()
        self._tool_drag = None
        for handler in self.tool_handlers.values():
            handler.end_stroke()

    # -- tools --------------------------------------------------------------------------------
    def set_tool(self, tool: Tool) -> None:
        if tool not in TOOLS and tool not in self.tool_handlers:  # or a tool added later
            raise ValueError(f"unknown tool {tool!r} (tools: {', '.join(TOOLS)})")
        if tool != self.tool:
            self.end_stroke()
            self.tool = tool
            self.update(self._cursor_rect())
            self.tool_changed.emit(tool)

    @property
    def options(self) -> BrushOptions:
        """Hardness, opacity, pressure, smoothing and fill tolerance of the tools."""
        return self.tools.options

    def set_option(self, name: str, value: Any) -> None:
        """Set one of :attr:`options` (numbers are clamped to their range)."""
        if name not in BrushOptions.__dataclass_fields__:
            raise ValueError(f"unknown brush option {name!r}")
        if name in OPTION_RANGES:
            low, high = OPTION_RANGES[name]
            value = type(low)(max(low, min(high, value)))
        else:
            value = bool(value)
        if getattr(self.options, name) != value:
            setattr(self.options, name, value)
            self.options_changed.emit()

    def set_brush_color(self, color: QColor) -> None:
        """The foreground colour (brush and fill); opaque."""
        color = QColor(color.red(), color.green(), color.blue())
        if color != self.brush_color:
            self.brush_color = color
            self.colors_changed.emit()

    def set_background_color(self, color: QColor) -> None:
        color = QColor(color.red(), color.green(), color.blue())
        if color != self.background_color:
            self.background_color = color
            self.colors_changed.emit()

    def swap_colors(self) -> None:
        """Foreground ↔ background (X, as in painters' apps)."""
        self.brush_color, self.background_color = self.background_color, self.brush_color
        self.colors_changed.emit()

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
        """Widget pixels per document pixel (the zoom)."""
        return self.view.zoom

    def paper_rect(self) -> QRectF:
        """Where the document lies in widget coordinates (its bounding box when rotated)."""
        return self.view.paper_rect()

    def to_document(self, pos: QPointF) -> QPointF:
        return self.view.to_document(pos)

    def from_document(self, point: QPointF) -> QPointF:
        return self.view.from_document(point)

    def zoom_percent(self) -> int:
        return round(self.view.zoom * 100)

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Zoom to ``zoom`` widget pixels per document pixel, keeping the document point under
        ``anchor`` (a widget point; the centre when None) in place."""
        self.view.set_zoom(zoom, anchor)
        self._view_changed()

    def zoom_in(self) -> None:
        self.set_zoom(self.view.zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.view.zoom / ZOOM_STEP)

    def fit(self) -> None:
        """The whole paper in view (Ctrl+0); it then follows the window's size."""
        self.view.fit()
        self._view_changed()

    def actual_size(self) -> None:
        """One document pixel per screen pixel (100 %, Ctrl+1), around the centre."""
        self.set_zoom(1.0)

    def pan(self, dx: float, dy: float) -> None:
        """Move the paper by (dx, dy) widget pixels."""
        self.view.pan(dx, dy)
        self._view_changed()

    def set_rotation(self, degrees: float, anchor: QPointF | None = None) -> None:
        """Turn the view to ``degrees`` clockwise around ``anchor`` (the centre when None)."""
        self.view.set_rotation(degrees, anchor)
        self._view_changed()

    def rotate_left(self) -> None:
        self.set_rotation(self.view.rotation - ROTATE_STEP)

    def rotate_right(self) -> None:
        self.set_rotation(self.view.rotation + ROTATE_STEP)

    def reset_rotation(self) -> None:
        self.set_rotation(0.0)

    def _view_changed(self) -> None:
        self.update()
        self.view_changed.emit(self.view.zoom)

    def _follow_document_size(self) -> None:
        size = QSizeF(self.document.width, self.document.height)
        if size != self.view.document_size:  # the canvas was resized
            self.view.set_document_size(size)
            self._view_changed()

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.view.resize(QSizeF(event.size()))
        super().resizeEvent(event)
        self.view_changed.emit(self.view.zoom)

    def _widget_rect(self, rect: QRect) -> QRect:
        area = self.view.transform().mapRect(QRectF(rect))
        return area.toAlignedRect().adjusted(-2, -2, 2, 2)

    def _cursor_rect(self) -> QRect:
        if self._hover is None:
            return QRect()
        radius = self.brush_size * self.view.zoom / 2 + 3
        return QRectF(
            self._hover.x() - radius, self._hover.y() - radius, 2 * radius, 2 * radius
        ).toAlignedRect()

    # -- document signals ---------------------------------------------------------------------
    def _on_layers_changed(self, _layer: Layer) -> None:
        self._follow_document_size()
        # A change that leaves the stack as drawn (a name, a conditioning scale) costs nothing.
        stack = [(layer.id, layer.visible, layer.opacity) for layer in self.document.layers]
        blends = [layer.blend_mode for layer in self.document.layers]
        if stack != self._stack or blends != getattr(self, "_blends", None):
            self._recomposite(QRect(0, 0, self.document.width, self.document.height))
        if self.overlay_layer is not None and self.overlay_layer not in self.document.layers:
            self.set_overlay_layer(None)
        self.stroke_composite.schedule(self.document)  # ready before the next press
        self.update()

    def _on_pixels_changed(self, layer: Layer, rect: tuple[int, int, int, int]) -> None:
        area = QRect(*rect).intersected(QRect(0, 0, self.document.width, self.document.height))
        if area.isEmpty():
            return
        shown = layer.visible and layer.opacity > 0
        if shown and self.stroke_composite.ready(self.document, layer):
            self.stroke_composite.recomposite(self._composite, layer, area)
        elif shown:
            if layer is not self.document.active:  # the caches hold every other layer
                self.stroke_composite.refresh(self.document, area)
            self._recomposite(area)
        if shown or self.overlay_showing(layer):
            self.update(self._widget_rect(area))

    def _recomposite(self, area: QRect) -> None:
        self._stack = [(layer.id, layer.visible, layer.opacity) for layer in self.document.layers]
        self._blends = [layer.blend_mode for layer in self.document.layers]
        size = (self.document.width, self.document.height)
        if (self._composite.width(), self._composite.height()) != size:  # canvas resized
            self._composite = QImage(*size, QImage.Format.Format_ARGB32_Premultiplied)
            area = QRect(0, 0, *size)
        painter = QPainter(self._composite)
        painter.setClipRect(area)
        painter.fillRect(area, PAPER)
        for layer in self.document.layers:
            if layer.visible and layer.opacity > 0:
                painter.setOpacity(layer.opacity)
                painter.setCompositionMode(COMPOSITION_MODES.get(
                    layer.blend_mode, QPainter.CompositionMode.CompositionMode_SourceOver))
                if layer.kind == "mask":
                    draw_mask_layer(painter, layer, area)
                else:
                    painter.drawImage(area.topLeft(), layer_image(layer.pixels), area)
        painter.end()

    # -- painting the widget ------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(event.rect(), DESK)
        transform = self.view.transform()
        document_rect = QRectF(0, 0, self.document.width, self.document.height)
        painter.setPen(QPen(PAPER_EDGE, 1.0))
        painter.drawPolygon(transform.map(QPolygonF(document_rect.adjusted(-1, -1, 1, 1))))
        inverse, _invertible = transform.inverted()
        exposed = inverse.mapRect(QRectF(event.rect())).intersected(document_rect)
        source = QRectF(exposed.toAlignedRect()).intersected(document_rect)
        if not source.isEmpty():
            painter.save()
            painter.setTransform(transform)
            if self.view.zoom < 1 or self.view.rotation:
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(source, self._composite, source)
            if self.overlay_showing():
                painter.setOpacity(self.overlay_opacity)
                painter.drawImage(source, layer_image(self.overlay_layer.pixels), source)
                painter.setOpacity(1.0)
            if self.view.rotation:  # hooks draw in document coordinates through the rotation
                visible = source
            else:  # ... or straight in widget coordinates (crisp lines and text)
                painter.restore()
                painter.save()
                visible = transform.mapRect(source)
            for paint_over in self.paint_hooks:  # e.g. the compare view's split
                paint_over(painter, visible, source)
            painter.restore()
        if self._drop_hover:
            paper = self.paper_rect()
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
        if self._hover is None or self.tool not in ("brush", "eraser") or self.navigator.dragging:
            return
        radius = max(1.0, self.brush_size * self.view.zoom / 2)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(QColor(255, 255, 255, 200), 1.0))
        painter.drawEllipse(self._hover, radius + 1, radius + 1)
        painter.setPen(QPen(QColor(0, 0, 0, 220), 1.0))
        painter.drawEllipse(self._hover, radius, radius)

    # -- pointer: mouse and tablet ------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self._press(event.position(), event.button(), event.modifiers(), None):
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._move(event.position(), None):
            event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._release(event.position(), event.button(), None):
            event.accept()
        else:
            super().mouseReleaseEvent(event)

    def tabletEvent(self, event: QTabletEvent) -> None:
        """A pen: its pressure sets the size and/or opacity of the stroke (tool options)."""
        kind, position, pressure = event.type(), event.position(), event.pressure()
        if kind == QEvent.Type.TabletPress:
            used = self._press(position, event.button(), event.modifiers(), pressure)
        elif kind == QEvent.Type.TabletMove:
            used = self._move(position, pressure) or True
        elif kind == QEvent.Type.TabletRelease:
            used = self._release(position, event.button(), pressure)
        else:
            used = False
        event.setAccepted(used)  # accepted: Qt sends no mouse event made up from it

    def _press(self, position: QPointF, button: Qt.MouseButton,
               modifiers: Qt.KeyboardModifier, pressure: float | None) -> bool:
        if self.navigator.press(position, button):
            self.update(self._cursor_rect())
            return True
        if button != Qt.MouseButton.LeftButton:
            return False
        handler = self.tool_handlers.get(self.tool)
        if handler is not None:  # selection and transform: they read the modifiers themselves
            self._tool_drag = handler if handler.press(position, modifiers) else None
            return True
        point = self.to_document(position)
        if modifiers & Qt.KeyboardModifier.AltModifier:
            self.pick_color(point)
        else:
            self.tools.press(point, pressure)
        return True

    def _move(self, position: QPointF, pressure: float | None) -> bool:
        old = self._cursor_rect()
        self._hover = QPointF(position)
        self.update(old.united(self._cursor_rect()))
        if self.navigator.move(position):
            return True
        if self._tool_drag is not None:
            self._tool_drag.move(position)
            return True
        if self.tools.stroking:
            self.tools.move(self.to_document(position), pressure)
            return True
        return False

    def _release(self, position: QPointF, button: Qt.MouseButton,
                 pressure: float | None) -> bool:
        if self.navigator.release():
            return True
        if button == Qt.MouseButton.LeftButton and self._tool_drag is not None:
            handler, self._tool_drag = self._tool_drag, None
            handler.release(position)
            return True
        if button == Qt.MouseButton.LeftButton and self.tools.stroking:
            self.tools.release(self.to_document(position), pressure)
            return True
        return False

    def leaveEvent(self, event) -> None:
        old = self._cursor_rect()
        self._hover = None
        self.update(old)
        super().leaveEvent(event)

    # -- keys, wheel and gestures (navigation) ------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self.navigator.key_press(event):
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if not self.navigator.key_release(event):
            super().keyReleaseEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self.navigator.release_keys()
        super().focusOutEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        self.navigator.wheel(event)
        event.accept()

    def event(self, event: QEvent) -> bool:
        if is_gesture(event) and self.navigator.gesture(event):
            event.accept()
            return True
        return super().event(event)

    def pick_color(self, point: QPointF) -> None:
        """The picker tool (I) or Alt+click: the colour under the cursor, as shown, becomes the
        brush colour; on a condition layer being painted, its own colour becomes its brush's."""
        x, y = math.floor(point.x()), math.floor(point.y())
        if not (0 <= x < self.document.width and 0 <= y < self.document.height):
            return
        layer = self.document.active
        if layer is not None and layer.kind == "condition":
            red, green, blue = (int(v) for v in layer.pixels[y, x, :3])
            self.control_color = QColor(red, green, blue)
            self.message.emit(
                f"Brush colour picked from “{layer.name}”: {red}, {green}, {blue}.")
            return
        shown = self._composite.pixelColor(x, y)
        self.set_brush_color(shown)
        self.message.emit(
            f"Brush colour picked: {shown.red()}, {shown.green()}, {shown.blue()}.")

    def paint_target(self) -> Layer | None:
        """The layer the tools paint on now, or None (and a hint for the artist why not)."""
        layer = self.document.active
        if layer is None or layer.kind not in PAINTABLE_KINDS:
            self.message.emit("There is no sketch layer to draw on.")
            return None
        if layer.locked:
            self.message.emit(f"“{layer.name}” is locked: unlock it in Layers to paint on it.")
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
