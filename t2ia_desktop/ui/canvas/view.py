"""The canvas: the document's visible layers on paper, the view around them (zoom, pan,
rotation: :mod:`~t2ia_desktop.ui.canvas.view_transform`, driven by
:mod:`~t2ia_desktop.ui.canvas.navigation`), and the pointer routed to the current tool.

The tools (brush, eraser, fill, picker, selections, transform, the generation area) are
:class:`~t2ia_desktop.ui.common.canvas_tool.CanvasTool` objects the window registers with
:meth:`CanvasView.add_tool`; the canvas sends the left button to ``tools[tool_state.tool]``
(:class:`~t2ia_desktop.session.tool_state.ToolState`) and draws the brush ring from its size.

Strokes paint straight into the active layer's numpy ``pixels``
(:mod:`t2ia_desktop.core.document.brush`); each segment then reports its dirty rectangle to the
document, and every view (this one included) recomposites and redraws only that area. While the
artist paints, the layers below and above the active one are kept as two cached composites, so
a segment costs three small draws whatever the number of layers.

Condition layers are hidden in the composite by default (their control images would cover the
picture); the canvas can draw one of them over everything as an *overlay*, switched on and with
the opacity the tool state says. Picture files dropped on the canvas are handed on with
:attr:`files_dropped`.
"""

from __future__ import annotations

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
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.session.session import Session
from t2ia_desktop.session.tool_state import BRUSH_TOOLS, Rgb, ToolState
from t2ia_desktop.ui.canvas.drop import FileDropMixin
from t2ia_desktop.ui.canvas.mask_display import draw_mask_layer
from t2ia_desktop.ui.canvas.navigation import Navigator, is_gesture, take_keyboard_on_enter
from t2ia_desktop.ui.canvas.pointer import PointerRouter
from t2ia_desktop.ui.canvas.stroke_composite import StrokeComposite
from t2ia_desktop.ui.canvas.view_transform import ROTATE_STEP, ZOOM_STEP, ViewTransform
from t2ia_desktop.ui.common.canvas_tool import CanvasTool, PaintHook
from t2ia_desktop.ui.common.layer_image import layer_image
from t2ia_desktop.ui.common.widgets import ModelConnections

PAPER = QColor(255, 255, 255)
DESK = QColor(58, 60, 64)
PAPER_EDGE = QColor(30, 31, 34)
PAPER_MARGIN = 12
"""Desk showing around the paper, in widget pixels."""
DROP_HINT = QColor(90, 160, 255)
COMPOSITION_MODES = {
    "normal": QPainter.CompositionMode.CompositionMode_SourceOver,
    "multiply": QPainter.CompositionMode.CompositionMode_Multiply,
    "screen": QPainter.CompositionMode.CompositionMode_Screen,
    "overlay": QPainter.CompositionMode.CompositionMode_Overlay,
    "darken": QPainter.CompositionMode.CompositionMode_Darken,
    "lighten": QPainter.CompositionMode.CompositionMode_Lighten,
    "color-dodge": QPainter.CompositionMode.CompositionMode_ColorDodge,
    "color-burn": QPainter.CompositionMode.CompositionMode_ColorBurn,
    "hard-light": QPainter.CompositionMode.CompositionMode_HardLight,
    "soft-light": QPainter.CompositionMode.CompositionMode_SoftLight,
    "difference": QPainter.CompositionMode.CompositionMode_Difference,
    "exclusion": QPainter.CompositionMode.CompositionMode_Exclusion,
    "plus": QPainter.CompositionMode.CompositionMode_Plus,
}
"""Each layer blend mode as QPainter draws it (the same W3C formulas as core.composite)."""


class CanvasView(FileDropMixin, QWidget):
    """Shows a :class:`Document` scaled to fit, centred, and routes the pointer to the tool
    that ``tool_state`` names."""

    message = Signal(str)  # a hint for the artist (shown in the status bar)
    files_dropped = Signal(list, QPoint)  # local file paths, global position of the drop
    overlay_changed = Signal()
    view_changed = Signal(float)  # the zoom (widget pixels per document pixel), after any move

    def __init__(self, session: Session, tool_state: ToolState,
                 parent: QWidget | None = None) -> None:
        """Shows the session's document; each stroke is an undo step of its history."""
        super().__init__(parent)
        self.document = document = session.document
        self.tool_state = tool_state
        """The current tool, brush size and overlay settings this canvas follows."""
        self.edits = session.edits
        self._composite = QImage(
            document.width, document.height, QImage.Format.Format_ARGB32_Premultiplied
        )
        self.overlay_layer: Layer | None = None
        self.tools: dict[str, CanvasTool] = {}
        """The tool for each tool name (:meth:`add_tool`); the current one gets the pointer."""
        self.view = ViewTransform(QSizeF(document.width, document.height), QSizeF(self.size()),
                                  PAPER_MARGIN)
        self.navigator = Navigator(self)
        self.router = PointerRouter(self.navigator, lambda: self.tools.get(tool_state.tool),
                                    self.to_document)
        self.stroke_composite = StrokeComposite(PAPER, COMPOSITION_MODES, parent=self,
                                                busy=lambda: self.stroking)
        """Composites below and above the active layer: a segment recomposites in 3 draws;
        built in idle time whenever the stack changes, ahead of the next press."""
        self._hover: QPointF | None = None
        self._ring_size = tool_state.brush_size  # the size the ring's area was worked out for
        self._drop_hover = False
        self.paint_hooks: list[PaintHook] = []
        """Called as ``hook(painter, widget_rect, document_rect)`` after the layers are drawn."""
        self._stack: list[tuple[str, bool, float]] = []
        self.setAcceptDrops(True)
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 200)
        self.grabGesture(Qt.GestureType.PinchGesture)
        # Qt connections: dropped by Qt when this widget goes
        tool_state.tool_changed.connect(self._on_tool_changed)
        tool_state.brush_size_changed.connect(self._on_brush_size_changed)
        tool_state.overlay_enabled_changed.connect(self._overlay_changed)
        tool_state.overlay_opacity_changed.connect(self._overlay_changed)
        session.document_changing.connect(self.end_stroke)
        session.document_changed.connect(self.set_document)
        session.current_condition_changed.connect(self.set_overlay_layer)
        self.overlay_layer = session.current_condition
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
        self.overlay_layer = None
        self._composite = QImage(
            document.width, document.height, QImage.Format.Format_ARGB32_Premultiplied
        )
        self.stroke_composite.drop()
        self.view.set_document_size(QSizeF(document.width, document.height))
        self._bind(document)
        self._overlay_changed()
        self.view_changed.emit(self.view.zoom)

    # -- tools --------------------------------------------------------------------------------
    def add_tool(self, name: str, tool: CanvasTool) -> None:
        """Send the pointer to ``tool`` while ``name`` is the current tool."""
        if name not in self.tool_state.tools:
            raise ValueError(f"unknown tool {name!r} (tools: {', '.join(self.tool_state.tools)})")
        self.tools[name] = tool

    @property
    def stroking(self) -> bool:
        """Whether a stroke is being painted (the button or pen is down)."""
        return any(tool.stroking for tool in self.tools.values())

    def end_stroke(self) -> None:
        """Finish what the tools are doing now (a stroke's undo step is recorded)."""
        self.router.let_go()
        for tool in self.tools.values():
            tool.finish()

    def _on_tool_changed(self, _tool: str) -> None:
        self.end_stroke()
        self.navigator.update_cursor()
        self.update(self._cursor_rect())

    def _on_brush_size_changed(self, size: int) -> None:
        old = self._cursor_rect()
        self._ring_size = size
        self.update(old.united(self._cursor_rect()))

    def composite_image(self) -> QImage:
        """The visible layers on white paper, at document size (a copy)."""
        return self._composite.copy()

    def shown_color(self, x: int, y: int) -> Rgb:
        """The colour document pixel (x, y) shows (all visible layers on paper)."""
        shown = self._composite.pixelColor(x, y)
        return shown.red(), shown.green(), shown.blue()

    # -- overlay ------------------------------------------------------------------------------
    def set_overlay_layer(self, layer: Layer | None) -> None:
        """The condition layer the overlay shows (when the tool state has it on)."""
        if layer is not self.overlay_layer:
            self.overlay_layer = layer
            self._overlay_changed()

    def overlay_showing(self, layer: Layer | None = None) -> bool:
        """Whether the overlay is drawn now (over ``layer``, when given)."""
        state = self.tool_state
        shown = (state.overlay_enabled and self.overlay_layer is not None
                 and self.overlay_layer in self.document.layers and state.overlay_opacity > 0)
        return shown and (layer is None or layer is self.overlay_layer)

    def _overlay_changed(self, *_value: object) -> None:
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

    def widget_transform(self) -> QTransform:
        """Document → widget coordinates (zoom, pan and rotation)."""
        return self.view.transform()

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
        radius = self._ring_size * self.view.zoom / 2 + 3
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
                painter.setOpacity(self.tool_state.overlay_opacity)
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
        if (self._hover is None or self.tool_state.tool not in BRUSH_TOOLS
                or self.navigator.dragging):
            return
        radius = max(1.0, self.tool_state.brush_size * self.view.zoom / 2)
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
        if event.buttons() == Qt.MouseButton.NoButton:  # the tool's cursor for a handle…
            cursor = self.router.hover_cursor(event.position())
            if cursor is not None:
                self.setCursor(cursor)
        if self._move(event.position(), event.modifiers(), None):
            event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self.router.release(event.position(), event.button(), event.modifiers(), None):
            event.accept()
        else:
            super().mouseReleaseEvent(event)

    def tabletEvent(self, event: QTabletEvent) -> None:
        """A pen: its pressure sets the size and/or opacity of the stroke (tool options)."""
        kind, position, pressure = event.type(), event.position(), event.pressure()
        modifiers = event.modifiers()
        if kind == QEvent.Type.TabletPress:
            used = self._press(position, event.button(), modifiers, pressure)
        elif kind == QEvent.Type.TabletMove:
            used = self._move(position, modifiers, pressure) or True
        elif kind == QEvent.Type.TabletRelease:
            used = self.router.release(position, event.button(), modifiers, pressure)
        else:
            used = False
        event.setAccepted(used)  # accepted: Qt sends no mouse event made up from it

    def _press(self, position: QPointF, button: Qt.MouseButton,
               modifiers: Qt.KeyboardModifier, pressure: float | None) -> bool:
        used = self.router.press(position, button, modifiers, pressure)
        if self.navigator.dragging:  # no brush ring while the view moves
            self.update(self._cursor_rect())
        return used

    def _move(self, position: QPointF, modifiers: Qt.KeyboardModifier,
              pressure: float | None) -> bool:
        old = self._cursor_rect()
        self._hover = QPointF(position)
        self.update(old.united(self._cursor_rect()))
        return self.router.move(position, modifiers, pressure)

    def leaveEvent(self, event) -> None:
        old = self._cursor_rect()
        self._hover = None
        self.update(old)
        super().leaveEvent(event)

    # -- keys, wheel and gestures (navigation) ------------------------------------------------
    def enterEvent(self, event) -> None:
        take_keyboard_on_enter(self)  # Space pans at once, unless the artist is typing
        super().enterEvent(event)

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
