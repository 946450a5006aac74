"""The Transform tool (Ctrl+T, V): move and scale the active layer's content on the canvas.

A frame shows around the layer's content (its non-transparent pixels). Dragging anywhere but a
corner moves the content; dragging a corner handle scales it with the opposite corner fixed
(Shift keeps the aspect ratio). The layer shows the result live while the artist drags;
Enter applies (one undo step holding only the changed rectangle), Esc puts the layer back.
Switching tools, undoing or saving applies it first. The frame and handles are drawn and hit
in widget space through the view transform, so the tool works under zoom and rotation.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QKeyEvent, QPainter, QPen, QPolygonF, QTransform

from t2ia_desktop.core.commands import PixelEdit, Rect, clip_rect
from t2ia_desktop.core.document import Layer
from t2ia_desktop.core.fill import bounds

if TYPE_CHECKING:
    from t2ia_desktop.ui.canvas import CanvasView

TRANSFORMABLE_KINDS = ("sketch", "paint", "photo", "result", "mask")
"""Layers whose content can move (a condition layer follows its source: move that instead)."""
HANDLE_REACH = 9.0
"""Widget pixels around a corner that grab its handle."""
HANDLE_SIZE = 7.0
FRAME = QColor(40, 130, 255)


def _union(*rects: Rect) -> Rect:
    rects = tuple(r for r in rects if r[2] > 0 and r[3] > 0)
    if not rects:
        return 0, 0, 0, 0
    left = min(r[0] for r in rects)
    top = min(r[1] for r in rects)
    right = max(r[0] + r[2] for r in rects)
    bottom = max(r[1] + r[3] for r in rects)
    return left, top, right - left, bottom - top


class TransformSession:
    """One layer's content being moved and scaled: the original pixels and the target frame."""

    def __init__(self, layer: Layer) -> None:
        self.layer = layer
        self.original = layer.pixels.copy()
        self.source: Rect = bounds(layer.pixels[..., 3] > 0)
        x, y, w, h = self.source
        self.content = self.original[y:y + h, x:x + w].copy()
        self.target = QRectF(x, y, w, h)
        self.drawn: Rect = self.source  # where the content is on the layer now

    def placement(self) -> Rect:
        """The target frame on the pixel grid (at least one pixel)."""
        t = self.target
        return (round(t.left()), round(t.top()), max(1, round(t.width())),
                max(1, round(t.height())))

    def render(self, resample: Image.Resampling) -> Rect:
        """Put the content at its target on the layer; returns the rectangle that changed."""
        layer, size = self.layer, self.layer.size
        x, y, w, h = placed = self.placement()
        if (w, h) == (self.source[2], self.source[3]):
            image = self.content
        else:
            image = np.asarray(Image.fromarray(self.content, "RGBA").resize((w, h), resample))
        region = clip_rect(_union(self.source, self.drawn, placed), size)
        rx, ry, rw, rh = region
        pixels = layer.pixels
        pixels[ry:ry + rh, rx:rx + rw] = self.original[ry:ry + rh, rx:rx + rw]
        sx, sy, sw, sh = self.source
        pixels[sy:sy + sh, sx:sx + sw] = 0  # the content is lifted off...
        cx, cy, cw, ch = clip_rect(placed, size)  # ... and laid down at its target
        if cw and ch:
            pixels[cy:cy + ch, cx:cx + cw] = image[cy - y:cy - y + ch, cx - x:cx - x + cw]
        self.drawn = placed
        return region

    def restore(self) -> Rect:
        """The layer as it was before the transform; returns the rectangle put back."""
        x, y, w, h = region = clip_rect(_union(self.source, self.drawn), self.layer.size)
        self.layer.pixels[y:y + h, x:x + w] = self.original[y:y + h, x:x + w]
        self.drawn = self.source
        return region

    def edit(self, label: str) -> PixelEdit:
        """The applied transform as an undo step over the rectangle it changed."""
        x, y, w, h = region = clip_rect(_union(self.source, self.drawn), self.layer.size)
        return PixelEdit.capture(self.layer, region, self.original[y:y + h, x:x + w], label)


class TransformTool(QObject):
    """The canvas's "transform" tool: press/move/release in widget points, Enter, Esc."""

    def __init__(self, canvas: CanvasView, parent: QObject | None = None) -> None:
        super().__init__(parent or canvas)
        self.canvas = canvas
        self.session: TransformSession | None = None
        self._drag: str | None = None  # "move" or "scale"
        self._corner = 0
        self._press = QPointF()
        self._start = QRectF()
        self._keep_aspect = False
        canvas.tool_handlers["transform"] = self
        canvas.paint_hooks.append(self._paint)
        canvas.installEventFilter(self)

    # -- pointer ----------------------------------------------------------------------------
    def press(self, position: QPointF, modifiers: Qt.KeyboardModifier) -> bool:
        if self.session is not None and (self.session.layer is not self.canvas.document.active
                                         or self.session.layer not in
                                         self.canvas.document.layers):
            self.apply()
        if self.session is None and not self.begin():
            return False
        session = self.session
        corners = self._widget_corners(session.target)
        near = [index for index, corner in enumerate(corners)
                if math.hypot(corner.x() - position.x(), corner.y() - position.y())
                <= HANDLE_REACH]
        self._drag = "scale" if near else "move"
        self._corner = near[0] if near else 0
        self._press = self.canvas.to_document(position)
        self._start = QRectF(session.target)
        self._keep_aspect = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
        return True

    def move(self, position: QPointF) -> None:
        session = self.session
        if session is None or self._drag is None:
            return
        point = self.canvas.to_document(position)
        delta = point - self._press
        if self._drag == "move":
            session.target = self._start.translated(delta)
        else:
            shift = QGuiApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier
            session.target = self._scaled(delta, self._keep_aspect or bool(shift))
        self._show(session.render(Image.Resampling.BILINEAR))

    def release(self, position: QPointF) -> None:
        self.move(position)
        self._drag = None
        if self.session is not None:
            self._show(self.session.render(Image.Resampling.LANCZOS))
            self.canvas.message.emit("Enter applies the transform, Esc cancels it.")

    def end_stroke(self) -> None:
        """Another tool, an undo, a save: the transform in progress is applied."""
        self.apply()

    def _scaled(self, delta: QPointF, keep_aspect: bool) -> QRectF:
        corners = [self._start.topLeft(), self._start.topRight(), self._start.bottomRight(),
                   self._start.bottomLeft()]
        fixed = corners[(self._corner + 2) % 4]
        moved = corners[self._corner] + delta
        width, height = moved.x() - fixed.x(), moved.y() - fixed.y()
        if keep_aspect:
            start_w, start_h = self._start.width(), self._start.height()
            factor = max(abs(width) / start_w, abs(height) / start_h)
            width = math.copysign(start_w * factor, width or 1.0)
            height = math.copysign(start_h * factor, height or 1.0)
        width = math.copysign(max(1.0, abs(width)), width or 1.0)
        height = math.copysign(max(1.0, abs(height)), height or 1.0)
        return QRectF(fixed, QPointF(fixed.x() + width, fixed.y() + height)).normalized()

    # -- session --------------------------------------------------------------------------
    def begin(self) -> bool:
        """Start transforming the active layer's content; False (and why) when it cannot."""
        layer = self.canvas.document.active
        say = self.canvas.message.emit
        if layer is None:
            say("There is no layer to transform: select one in Layers.")
        elif layer.kind not in TRANSFORMABLE_KINDS:
            say(f"“{layer.name}” follows its source: move or scale the source layer instead.")
        elif layer.locked:
            say(f"“{layer.name}” is locked: unlock it in Layers to move or scale it.")
        elif not layer.visible:
            say(f"“{layer.name}” is hidden: show it in Layers to move or scale it.")
        elif layer.is_blank():
            say(f"“{layer.name}” is empty: there is nothing on it to move.")
        else:
            self.session = TransformSession(layer)
            self.canvas.update()
            return True
        return False

    def apply(self) -> bool:
        """Keep the transform as one undo step; False when there was none or it changed
        nothing."""
        session, self.session = self.session, None
        self._drag = None
        if session is None:
            return False
        self.canvas.update()
        if session.layer not in self.canvas.document.layers:
            return False
        self._show(session.render(Image.Resampling.LANCZOS))
        moved_only = session.placement()[2:] == session.source[2:]
        verb = "Move" if moved_only else "Transform"
        return self.canvas.edits.push(session.edit(f"{verb} {session.layer.name}"))

    def cancel(self) -> bool:
        """Put the layer back as it was before the transform."""
        session, self.session = self.session, None
        self._drag = None
        if session is None:
            return False
        if session.layer in self.canvas.document.layers:
            self._show(session.restore(), session.layer)
        self.canvas.update()
        return True

    def _show(self, rect: Rect, layer: Layer | None = None) -> None:
        layer = layer or (self.session.layer if self.session else None)
        if layer is not None and rect[2] and rect[3]:
            self.canvas.document.notify_pixels_changed(layer, rect)
        self.canvas.update()

    # -- keys -------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if (self.session is None or kind not in (QEvent.Type.ShortcutOverride,
                                                 QEvent.Type.KeyPress)
                or not isinstance(event, QKeyEvent)):
            return False
        keys = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape)
        if event.key() not in keys or event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        if kind == QEvent.Type.ShortcutOverride:
            event.accept()
            return True
        if event.key() == Qt.Key.Key_Escape:
            self.cancel()
            self.canvas.message.emit("Transform cancelled.")
        else:
            self.apply()
        return True

    # -- drawing ----------------------------------------------------------------------------
    def _widget_corners(self, rect: QRectF) -> list[QPointF]:
        transform = self.canvas.view.transform()
        return [transform.map(corner) for corner in (rect.topLeft(), rect.topRight(),
                                                     rect.bottomRight(), rect.bottomLeft())]

    def _paint(self, painter: QPainter, _visible: QRectF, _source: QRectF) -> None:
        if self.session is None:
            return
        corners = self._widget_corners(self.session.target)
        painter.save()
        painter.setTransform(QTransform())  # widget coordinates: crisp frame and handles
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(FRAME, 1.5, Qt.PenStyle.DashLine))
        painter.drawPolygon(QPolygonF(corners))
        painter.setPen(QPen(FRAME, 1.5))
        painter.setBrush(QColor(255, 255, 255))
        half = HANDLE_SIZE / 2
        for corner in corners:
            painter.drawRect(QRectF(corner.x() - half, corner.y() - half, HANDLE_SIZE,
                                    HANDLE_SIZE))
        painter.restore()
