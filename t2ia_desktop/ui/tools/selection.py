"""Rectangle (M) and lasso (L) selections on the canvas, their marching ants, and what a selection
is for: an inpaint mask, clearing or filling the selected area, and keeping strokes and fills inside
it.

The selection itself is a :class:`~t2ia_desktop.core.document.selection.Selection` (a mask, no Qt),
one per document (:func:`~t2ia_desktop.core.document.selection.document_selection`); the painting
and transform tools read it to stay inside it. Every change is one undo step
(:mod:`~t2ia_desktop.core.undo.selection_command`), named in the History panel. Shapes are drawn in
widget space and mapped through the view, so they land under the cursor whatever the zoom and
rotation. Shift while starting a shape adds to the selection, Alt subtracts; a click without a drag
deselects. The marching ants come from a cached raster of the border
(:mod:`~t2ia_desktop.ui.tools.selection_outline`), so even a noisy selection of a large canvas
repaints fast. The two drags are canvas tools
(:class:`~t2ia_desktop.ui.common.canvas_tool.CanvasTool`) the window registers under ``rect_select``
and ``lasso`` (:meth:`SelectionTools.canvas_tools`).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPainterPath, QPen, QPolygonF

from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.core.document.fill import lay_colour
from t2ia_desktop.core.document.selection import (
    Mode,
    Selection,
    document_selection,
    polygon_mask,
    rectangle_mask,
)
from t2ia_desktop.core.document.selection_edges import PERIOD
from t2ia_desktop.core.generation.source import mask_layer
from t2ia_desktop.core.undo.commands import SetLayerProperty
from t2ia_desktop.core.undo.selection_command import (
    ChangeSelection,
    deselect,
    invert_selection,
    select_all,
    select_shape,
)
from t2ia_desktop.session.tool_state import ToolState
from t2ia_desktop.ui.common.canvas_tool import CanvasSurface, CanvasTool, Cursor, Pointer
from t2ia_desktop.ui.common.widgets import ModelConnections
from t2ia_desktop.ui.tools.painting import fill_colour, paint_target
from t2ia_desktop.ui.tools.selection_outline import AntsOutline

ANTS_INTERVAL_MS = 160
"""How often the marching ants step."""
DASH = [4.0, 4.0]
MIN_LASSO_STEP = 2.0
"""Widget pixels the pointer moves before the lasso takes another point."""
MASK_NAME = "Inpaint mask"


class SelectionDrag:
    """The rectangle or the lasso tool: the shape being drawn from press to release."""

    stroking = False

    def __init__(self, tools: SelectionTools, shape: str) -> None:
        self.tools = tools
        self.shape = shape  # "rectangle" or "lasso"
        self.mode: Mode = "replace"
        self.points: list[QPointF] = []  # document points

    @property
    def active(self) -> bool:
        return bool(self.points)

    def press(self, pointer: Pointer) -> bool:
        modifiers = pointer.modifiers
        if modifiers & Qt.KeyboardModifier.ShiftModifier:
            self.mode = "add"
        elif modifiers & Qt.KeyboardModifier.AltModifier:
            self.mode = "subtract"
        else:
            self.mode = "replace"
        self.points = [QPointF(pointer.point)]
        self._widget_start = QPointF(pointer.position)
        self._widget_last = QPointF(pointer.position)
        return True

    def move(self, pointer: Pointer) -> None:
        if not self.points:
            return
        point, position = QPointF(pointer.point), pointer.position
        if self.shape == "rectangle":
            self.points[1:] = [point]
        elif (position - self._widget_last).manhattanLength() >= MIN_LASSO_STEP:
            self.points.append(point)
            self._widget_last = QPointF(position)
        self.tools.canvas.update()

    def release(self, pointer: Pointer) -> None:
        if not self.points:
            return
        self.move(pointer)
        points, self.points = self.points, []
        dragged = (pointer.position - self._widget_start).manhattanLength() >= MIN_LASSO_STEP
        width, height = self.tools.selection.size
        if not dragged or len(points) < 2:
            if self.mode == "replace":  # a click: deselect, as in painters' apps
                self.tools.push(deselect())
        elif self.shape == "rectangle":
            self.tools.push(select_shape(rectangle_mask(
                width, height, (points[0].x(), points[0].y()), (points[-1].x(), points[-1].y())),
                self.mode, "rectangle"))
        else:
            self.tools.push(select_shape(polygon_mask(
                width, height, [(p.x(), p.y()) for p in points]), self.mode, "lasso"))
        self.tools.canvas.update()

    def finish(self) -> None:
        """Another tool, an undo: the shape being drawn is dropped."""
        if self.points:
            self.points = []
            self.tools.canvas.update()

    def cursor(self, _position: QPointF) -> Cursor | None:
        return None

    def outline(self) -> QPolygonF | None:
        """The shape being drawn, in document coordinates."""
        if len(self.points) < 2:
            return None
        if self.shape == "rectangle":
            return QPolygonF(QRectF(self.points[0], self.points[-1]).normalized())
        return QPolygonF(self.points)


class SelectionTools(QObject):
    """The document's selection, the two selection tools on a canvas and the selection's uses.

    Changes go through the canvas's ``edits``; :meth:`set_document` gives a new document an
    empty selection. Filling the selection lays ``tool_state``'s colour and opacity.
    """

    message = Signal(str)
    mask_created = Signal(object)  # the mask Layer a selection became (new or updated)
    changed = Signal()  # the selection changed, or another one (another document) is shown

    def __init__(self, canvas: CanvasSurface, tool_state: ToolState,
                 parent: QObject | None = None) -> None:
        super().__init__(parent or canvas)
        self.canvas = canvas
        self.tool_state = tool_state
        self.selection = document_selection(canvas.document)
        self.rectangle = SelectionDrag(self, "rectangle")
        self.lasso = SelectionDrag(self, "lasso")
        canvas.paint_hooks.append(self._paint)
        canvas.installEventFilter(self)
        self.outline = AntsOutline()
        self._phase = 0
        self._ants = QTimer(self)
        self._ants.setInterval(ANTS_INTERVAL_MS)
        self._ants.timeout.connect(self._march)
        self.connections = ModelConnections()
        self.connections.drop_with(self)
        self._use(self.selection)
        self._bind(canvas.document)

    def canvas_tools(self) -> dict[str, CanvasTool]:
        """The rectangle and lasso tools by tool name, for the canvas's ``add_tool``."""
        return {"rect_select": self.rectangle, "lasso": self.lasso}

    # -- the selection of the document ----------------------------------------------------
    def set_document(self, document: Document) -> None:
        """Another document (New, Open): it starts with nothing selected."""
        self.canvas.end_stroke()
        self.connections.disconnect_all()
        self._use(document_selection(document))
        self._bind(document)

    def _bind(self, document: Document) -> None:
        # a canvas resize re-adds every layer: a selection of the old size no longer fits
        self.connections.connect(document.layer_added, self._follow_size)

    def _follow_size(self, _layer: Layer) -> None:
        document = self.canvas.document
        if self.selection.size != (document.width, document.height):
            self._use(document_selection(document))

    def _use(self, selection: Selection) -> None:
        if getattr(self, "_watched", None) is not None:
            self._watched.changed.disconnect(self._on_changed)
        self.selection = self._watched = selection
        selection.changed.connect(self._on_changed)
        self._on_changed()

    def _on_changed(self) -> None:
        self.outline.invalidate()
        if self.selection.is_empty():
            self._ants.stop()
        elif not self._ants.isActive():
            self._ants.start()
        self.canvas.update()
        self.changed.emit()

    # -- commands -------------------------------------------------------------------------
    def push(self, change: ChangeSelection) -> bool:
        """Make a selection change as one undo step; False when it changed nothing."""
        self.canvas.end_stroke()
        return self.canvas.edits.push(change)

    def select_all(self) -> None:
        self.push(select_all())

    def deselect(self) -> None:
        self.push(deselect())

    def invert(self) -> None:
        self.push(invert_selection())

    def to_inpaint_mask(self) -> Layer | None:
        """Make the selection the inpaint mask: white where selected, as one undo step. The
        mask layer inpainting uses is updated; without one, an "Inpaint mask" layer is added."""
        if not self._has_selection("make an inpaint mask"):
            return None
        document, edits = self.canvas.document, self.canvas.edits
        pixels = self.selection.inpaint_mask()
        label = "Selection → inpaint mask"
        layer = mask_layer(document)
        if layer is None:
            layer = Layer(MASK_NAME, "mask", pixels)
            edits.add_layer(layer, None, label)
        elif layer.locked:
            self.message.emit(f"“{layer.name}” is locked: unlock it in Layers to update it.")
            return None
        else:
            with edits.group(label):
                with edits.edit_pixels(layer, (0, 0, document.width, document.height), label):
                    layer.pixels[...] = pixels
                    document.notify_pixels_changed(layer, (0, 0, document.width,
                                                           document.height))
                if not layer.visible:
                    edits.push(SetLayerProperty(layer, "visible", True))
        self.message.emit(f"The selection is now “{layer.name}”: Generate with Start from → "
                          "Inpaint repaints only there. Undo (Ctrl+Z) takes it back.")
        self.mask_created.emit(layer)
        return layer

    def clear_selected(self) -> bool:
        """Clear the selected area of the active layer to transparency (one undo step)."""
        return self._change_selected("clear", "Clear selected area")

    def fill_selected(self) -> bool:
        """Fill the selected area of the active layer with the brush colour (one undo step)."""
        return self._change_selected("fill", "Fill selection")

    def _change_selected(self, how: str, verb: str) -> bool:
        if not self._has_selection(verb.lower()):
            return False
        layer = paint_target(self.canvas)  # says why not (locked, hidden, not paintable)
        if layer is None:
            return False
        self.canvas.end_stroke()
        x, y, w, h = rect = self.selection.bounds()
        chosen = self.selection.clip(rect)
        patch = layer.pixels[y:y + h, x:x + w]
        if how == "clear" and not patch[..., 3][chosen].any() and layer.kind != "condition":
            self.message.emit(f"Nothing to clear: “{layer.name}” is empty there.")
            return False
        edits = self.canvas.edits
        stroke = edits.begin_stroke(layer, f"{verb} on {layer.name}")
        stroke.before_paint(rect)
        if how == "clear":
            patch[chosen] = (0, 0, 0, 255) if layer.kind == "condition" else (0, 0, 0, 0)
        else:
            lay_colour(patch, chosen, fill_colour(layer, self.tool_state),
                       self.tool_state.options.opacity)
        self.canvas.document.notify_pixels_changed(layer, rect)
        return edits.finish_stroke(stroke)

    def _has_selection(self, what: str) -> bool:
        if self.selection.is_empty():
            self.message.emit(f"Select an area first to {what}: rectangle (M) or lasso (L), "
                              "or Select all (Ctrl+A).")
            return False
        return True

    # -- keys: Delete clears the selected area while the canvas has the focus ---------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) and isinstance(
                event, QKeyEvent) and self._claims(event):
            if kind == QEvent.Type.ShortcutOverride:
                event.accept()  # the key comes here instead of the window's Delete layer
                return True
            self.clear_selected()
            return True
        return False

    def _claims(self, event: QKeyEvent) -> bool:
        return (event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
                and not event.modifiers() and not self.selection.is_empty())

    # -- drawing ----------------------------------------------------------------------------
    def _paint(self, painter: QPainter, _visible: QRectF, _source: QRectF) -> None:
        drawing = next((drag for drag in (self.rectangle, self.lasso) if drag.active), None)
        if self.selection.is_empty() and drawing is None:
            return
        transform = self.canvas.widget_transform()  # document → widget
        if not self.selection.is_empty():
            inverse, _invertible = transform.inverted()
            shown = inverse.mapRect(QRectF(self.canvas.rect())).intersected(
                QRectF(0, 0, *self.selection.size))
            self.outline.paint(painter, self.selection, transform, self.canvas.scale(), shown,
                               self._phase)
        if drawing is not None and (shape := drawing.outline()) is not None:
            painter.save()
            painter.setTransform(transform)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            path = QPainterPath()
            path.addPolygon(shape)
            path.closeSubpath()
            _ants(painter, path, self._phase)
            painter.restore()

    def _march(self) -> None:
        self._phase = (self._phase + 1) % PERIOD
        bounds = self.selection.bounds()
        area = self.canvas.widget_transform().mapRect(QRectF(*bounds))
        self.canvas.update(area.toAlignedRect().adjusted(-2, -2, 2, 2))


def _ants(painter: QPainter, path: QPainterPath, phase: float) -> None:
    """A one-pixel black-and-white dashed line, whatever the zoom (cosmetic pens)."""
    under = QPen(QColor(255, 255, 255), 0)
    under.setCosmetic(True)
    painter.setPen(under)
    painter.drawPath(path)
    over = QPen(QColor(0, 0, 0), 0)
    over.setCosmetic(True)
    over.setDashPattern(DASH)
    over.setDashOffset(phase)
    painter.setPen(over)
    painter.drawPath(path)
