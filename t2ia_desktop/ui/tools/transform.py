"""The Transform tool (Ctrl+T, V): move, scale, rotate and flip the active layer's content, or
only its selected pixels when there is a selection.

A frame shows around the content (its non-transparent pixels, within the selection if any).
Dragging inside the frame moves it; dragging a corner handle scales it with the opposite corner
fixed (Shift keeps the aspect ratio); dragging outside the frame rotates it about its centre
(Shift snaps to 15°). The cursor shows which. While the pointer is down the piece is previewed
by the painter (a cached image drawn through a transform, nothing resampled per move); on
release it is resampled once (bicubic, :mod:`t2ia_desktop.core.document.transform`) into the layer.
Enter applies (one undo step holding only the changed rectangle, and the moved selection),
Esc puts everything back. Switching tools, undoing or saving applies it first. The frame and
handles are drawn and hit in widget space through the view transform, so the tool works under
zoom and view rotation.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QKeyEvent,
    QPainter,
    QPen,
    QPolygonF,
    QTransform,
)

from t2ia_desktop.core.document.document import Layer
from t2ia_desktop.core.document.selection import document_selection
from t2ia_desktop.core.document.transform import MaskChange, transformed_mask
from t2ia_desktop.core.undo.commands import CommandGroup, Rect
from t2ia_desktop.session.tool_state import ToolState
from t2ia_desktop.ui.common.canvas_tool import CanvasSurface, Cursor, Pointer
from t2ia_desktop.ui.tools.transform_cursors import rotate_cursor
from t2ia_desktop.ui.tools.transform_session import TransformSession

TRANSFORMABLE_KINDS = ("sketch", "paint", "photo", "result", "mask")
"""Layers whose content can move (a condition layer follows its source: move that instead)."""
HANDLE_REACH = 9.0
"""Widget pixels around a corner that grab its handle."""
HANDLE_SIZE = 7.0
SNAP_DEGREES = 15.0
"""Shift while rotating snaps the angle to multiples of this."""
FRAME = QColor(40, 130, 255)


class TransformTool(QObject):
    """The canvas's "transform" tool (a :class:`~t2ia_desktop.ui.common.canvas_tool.CanvasTool`
    the window registers), Enter and Esc; flips and quarter turns for the menus and the tool
    options."""

    changed = Signal()  # a session began, ended, or its frame changed (angle for the options)
    stroking = False

    def __init__(self, canvas: CanvasSurface, tool_state: ToolState,
                 parent: QObject | None = None) -> None:
        super().__init__(parent or canvas)
        self.canvas = canvas
        self.tool_state = tool_state
        self.session: TransformSession | None = None
        self.resample = "bicubic"
        self._drag: str | None = None  # "move", "scale" or "rotate"
        self._corner = 0
        self._press = QPointF()
        self._start = QRectF()
        self._start_angle = 0.0
        self._keep_aspect = False
        canvas.paint_hooks.append(self._paint)
        canvas.installEventFilter(self)

    # -- pointer ----------------------------------------------------------------------------
    def press(self, pointer: Pointer) -> bool:
        if self.session is not None and (self.session.layer is not self.canvas.document.active
                                         or self.session.layer not in
                                         self.canvas.document.layers):
            self.apply()
        if self.session is None and not self.begin():
            return False
        session, position = self.session, pointer.position
        self._drag = self._hit(position)
        corners = self._widget_corners()
        self._corner = min(range(4), key=lambda i: _distance(corners[i], position))
        self._press = QPointF(pointer.point)
        self._start = QRectF(session.target)
        self._start_angle = session.angle
        self._keep_aspect = bool(pointer.modifiers & Qt.KeyboardModifier.ShiftModifier)
        self._show(session.lift_off())  # the preview draws the piece while the pointer is down
        return True

    def move(self, pointer: Pointer) -> None:
        session = self.session
        if session is None or self._drag is None:
            return
        point = pointer.point
        shift = bool(QGuiApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier)
        if self._drag == "move":
            session.target = self._start.translated(point - self._press)
        elif self._drag == "scale":
            session.target = self._scaled(point - self._press, self._keep_aspect or shift)
        else:
            centre = self._start.center()
            turned = math.degrees(math.atan2(point.y() - centre.y(), point.x() - centre.x())
                                  - math.atan2(self._press.y() - centre.y(),
                                               self._press.x() - centre.x()))
            angle = self._start_angle + turned
            if self._keep_aspect or shift:
                angle = round(angle / SNAP_DEGREES) * SNAP_DEGREES
            session.angle = _normal(angle)
        self.canvas.update()
        self.changed.emit()

    def release(self, pointer: Pointer) -> None:
        self.move(pointer)
        self._drag = None
        if self.session is not None:
            self._show(self.session.render(self.resample))
            self.canvas.message.emit("Enter applies the transform, Esc cancels it.")

    def finish(self) -> None:
        """Another tool, an undo, a save: the transform in progress is applied."""
        self.apply()

    def cursor(self, position: QPointF) -> Cursor | None:
        """What a press would do: move (inside), scale (a corner) or rotate (outside)."""
        if self.session is None or self._drag is not None:
            return None
        grab = self._hit(position)
        if grab == "move":
            return Qt.CursorShape.SizeAllCursor
        if grab == "scale":
            return Qt.CursorShape.SizeFDiagCursor
        return rotate_cursor()

    def _hit(self, position: QPointF) -> str:
        """What a press at ``position`` (widget) grabs: a corner, the inside, or outside."""
        corners = self._widget_corners()
        if any(_distance(corner, position) <= HANDLE_REACH for corner in corners):
            return "scale"
        if QPolygonF(corners).containsPoint(position, Qt.FillRule.OddEvenFill):
            return "move"
        return "rotate"

    def _scaled(self, delta: QPointF, keep_aspect: bool) -> QRectF:
        """The target after dragging corner ``_corner`` by ``delta``, in the frame's own
        (turned) axes, with the opposite corner fixed."""
        start = self._start
        local = QTransform().rotate(-self._start_angle).map(delta)
        w, h = start.width() / 2, start.height() / 2
        signs = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
        sx, sy = signs[self._corner]
        fixed = QPointF(-sx * w, -sy * h)
        moved = QPointF(sx * w, sy * h) + local
        width, height = moved.x() - fixed.x(), moved.y() - fixed.y()
        if keep_aspect:
            factor = max(abs(width) / start.width(), abs(height) / start.height())
            width = math.copysign(start.width() * factor, width or 1.0)
            height = math.copysign(start.height() * factor, height or 1.0)
        width = math.copysign(max(1.0, abs(width)), width or 1.0)
        height = math.copysign(max(1.0, abs(height)), height or 1.0)
        middle = QPointF(fixed.x() + width / 2, fixed.y() + height / 2)
        centre = start.center() + QTransform().rotate(self._start_angle).map(middle)
        size_w, size_h = abs(width), abs(height)
        return QRectF(centre.x() - size_w / 2, centre.y() - size_h / 2, size_w, size_h)

    # -- session --------------------------------------------------------------------------
    def begin(self) -> bool:
        """Start transforming the active layer's content (its selected part when there is a
        selection); False (and why) when it cannot."""
        layer = self.canvas.document.active
        say = self.canvas.message.emit
        mask = self._selected(layer)
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
        elif mask is not None and not layer.pixels[..., 3][mask].any():
            say(f"The selected area of “{layer.name}” is empty: select something on it, or "
                "deselect (Ctrl+D) to transform the whole layer.")
        else:
            self.session = TransformSession(layer, mask)
            self.canvas.update()
            self.changed.emit()
            return True
        return False

    def _selected(self, layer: Layer | None) -> np.ndarray | None:
        selection = document_selection(self.canvas.document)
        if layer is None or selection.is_empty() or selection.size != layer.size:
            return None
        return selection.mask

    def apply(self, label: str | None = None) -> bool:
        """Keep the transform as one undo step (with the selection moved along); False when
        there was none or it changed nothing."""
        session, self.session = self.session, None
        self._drag = None
        if session is None:
            return False
        self.canvas.update()
        self.changed.emit()
        if session.layer not in self.canvas.document.layers:
            return False
        self._show(session.render(self.resample), session.layer)
        if label is None:
            moved_only = (session.angle == 0 and not (session.flip_x or session.flip_y)
                          and (round(session.target.width()), round(session.target.height()))
                          == session.source[2:])
            label = f"{'Move' if moved_only else 'Transform'} {session.layer.name}"
        edit = session.edit(label)
        if session.mask is None or edit.is_noop():
            return self.canvas.edits.push(edit)
        moved = MaskChange.between(document_selection(self.canvas.document), session.mask,
                                   transformed_mask(session.mask, session.matrix()))
        return self.canvas.edits.push(CommandGroup(label, [edit, moved]))

    def cancel(self) -> bool:
        """Put the layer back as it was before the transform."""
        session, self.session = self.session, None
        self._drag = None
        if session is None:
            return False
        if session.layer in self.canvas.document.layers:
            self._show(session.restore(), session.layer)
        self.canvas.update()
        self.changed.emit()
        return True

    # -- flips, turns and a typed angle (menus and tool options) ------------------------------
    def flip(self, horizontal: bool) -> bool:
        """Mirror the content (or selection) left↔right or top↔bottom: in the transform in
        progress, else at once as one undo step."""
        word = "horizontally" if horizontal else "vertically"
        return self._change(f"Flip {word}", lambda s: _flip(s, horizontal))

    def turn(self, quarters: int) -> bool:
        """Rotate by ``quarters`` quarter turns clockwise (negative: anticlockwise)."""
        words = {1: "Rotate 90° clockwise", -1: "Rotate 90° anticlockwise", 2: "Rotate 180°"}
        label = words.get(quarters, f"Rotate {90 * quarters}°")
        return self._change(label, lambda session: _turn(session, quarters))

    def set_angle(self, degrees: float) -> bool:
        """The frame's rotation, typed in the tool options."""
        if self.session is None and not self.begin():
            return False
        if abs(self.session.angle - _normal(degrees)) < 1e-9:
            return True
        self.session.angle = _normal(degrees)
        self._show(self.session.render(self.resample))
        self.changed.emit()
        return True

    def _change(self, label: str, change) -> bool:
        in_progress = self.session is not None and self.tool_state.tool == "transform"
        if not in_progress:
            self.apply()
            if not self.begin():
                return False
        change(self.session)
        if in_progress:
            self._show(self.session.render(self.resample))
            self.changed.emit()
            return True
        return self.apply(f"{label} {self.session.layer.name}")

    def _show(self, rect: Rect, layer: Layer | None = None) -> None:
        layer = layer or (self.session.layer if self.session else None)
        if layer is not None and rect[2] and rect[3]:
            self.canvas.document.notify_pixels_changed(layer, rect)
        self.canvas.update()

    # -- keys -----------------------------------------------------------------------------
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
    def _widget_corners(self) -> list[QPointF]:
        transform = self.canvas.widget_transform()
        return [transform.map(corner) for corner in self.session.corners()]

    def _paint(self, painter: QPainter, _visible: QRectF, _source: QRectF) -> None:
        session = self.session
        if session is None:
            return
        painter.save()
        if self._drag is not None:  # live preview: the cached piece through the transform
            painter.setTransform(session.preview_transform() * self.canvas.widget_transform())
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.setOpacity(session.layer.opacity)
            painter.drawImage(0, 0, session.image)
            painter.setOpacity(1.0)
        corners = self._widget_corners()
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


def _distance(a: QPointF, b: QPointF) -> float:
    return math.hypot(a.x() - b.x(), a.y() - b.y())


def _normal(degrees: float) -> float:
    """An angle in (-180, 180]."""
    degrees = math.fmod(degrees, 360.0)
    if degrees > 180:
        degrees -= 360
    elif degrees <= -180:
        degrees += 360
    return degrees


def _turn(session: TransformSession, quarters: int) -> None:
    session.angle = _normal(session.angle + 90 * quarters)


def _flip(session: TransformSession, horizontal: bool) -> None:
    """Mirror on screen: across the frame's own axis, with the turn mirrored too."""
    session.angle = _normal(-session.angle)
    if horizontal:
        session.flip_x = not session.flip_x
    else:
        session.flip_y = not session.flip_y
