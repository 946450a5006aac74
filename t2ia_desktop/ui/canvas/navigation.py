"""Moving around the canvas with painters' gestures: Space+drag or the middle button pans,
R+drag turns the view, Ctrl+wheel zooms around the cursor, the plain wheel scrolls (Shift+wheel
sideways), and touchpad pinches (native gestures or QPinchGesture) zoom and rotate.

:class:`Navigator` reads the canvas's input events first; whatever it does not use goes on to
the painting tools.
"""

from __future__ import annotations

import math
from typing import Protocol

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QKeyEvent, QNativeGestureEvent, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QGestureEvent,
    QLineEdit,
    QPinchGesture,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from t2ia_desktop.ui.canvas.view_transform import ZOOM_STEP, ViewTransform

WHEEL_NOTCH = 120  # angleDelta units of one mouse wheel click
SCROLL_PER_NOTCH = 60.0  # widget pixels the plain wheel scrolls per click


TYPING_WIDGETS = (QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox, QComboBox)
"""Widgets the pointer entering the canvas does not take the keyboard from."""


def take_keyboard_on_enter(canvas: QWidget) -> None:
    """The pointer on the canvas takes the keyboard (Space pans, R rotates), unless the artist
    is typing somewhere (a prompt, a number): as painting apps do."""
    if not isinstance(QApplication.focusWidget(), TYPING_WIDGETS) and canvas.isActiveWindow():
        canvas.setFocus(Qt.FocusReason.MouseFocusReason)


class Navigable(Protocol):
    """The canvas as navigation moves it."""

    view: ViewTransform

    def pan(self, dx: float, dy: float) -> None: ...

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None: ...

    def set_rotation(self, degrees: float, anchor: QPointF | None = None) -> None: ...

    def fit(self) -> None: ...

    def width(self) -> int: ...

    def height(self) -> int: ...

    def mapFromGlobal(self, position: QPoint | QPointF) -> QPoint: ...

    def setCursor(self, cursor: Qt.CursorShape) -> None: ...


class Navigator:
    """Pan, zoom and rotate gestures of one canvas."""

    def __init__(self, canvas: Navigable) -> None:
        self.canvas = canvas
        self.space_held = False
        self.rotate_held = False
        self._drag: str | None = None  # "pan" or "rotate" while a button is held
        self._last = QPointF()
        self._pinch_scale = 1.0

    @property
    def dragging(self) -> bool:
        return self._drag is not None

    # -- keys ---------------------------------------------------------------------------------
    def key_press(self, event: QKeyEvent) -> bool:
        if event.key() == Qt.Key.Key_Space and not event.modifiers():
            if not event.isAutoRepeat():
                self.space_held = True
                self.update_cursor()
            return True
        if event.key() == Qt.Key.Key_R and not event.modifiers():
            if not event.isAutoRepeat():
                self.rotate_held = True
                self.update_cursor()
            return True
        return False

    def key_release(self, event: QKeyEvent) -> bool:
        if event.isAutoRepeat() or event.key() not in (Qt.Key.Key_Space, Qt.Key.Key_R):
            return False
        if event.key() == Qt.Key.Key_Space:
            self.space_held = False
        else:
            self.rotate_held = False
        self.update_cursor()
        return True

    def release_keys(self) -> None:
        """The canvas lost the focus: a key released elsewhere must not leave a mode on."""
        self.space_held = self.rotate_held = False
        self.update_cursor()

    # -- drags --------------------------------------------------------------------------------
    def press(self, position: QPointF, button: Qt.MouseButton) -> bool:
        """Start a pan or rotate drag when the button and held keys ask for one."""
        if button == Qt.MouseButton.MiddleButton or (
                button == Qt.MouseButton.LeftButton and self.space_held):
            self._drag = "pan"
        elif button == Qt.MouseButton.LeftButton and self.rotate_held:
            self._drag = "rotate"
        else:
            return False
        self._last = QPointF(position)
        self.update_cursor()
        return True

    def move(self, position: QPointF) -> bool:
        if self._drag is None:
            return False
        canvas = self.canvas
        if self._drag == "pan":
            delta = position - self._last
            canvas.pan(delta.x(), delta.y())
        else:
            centre = QPointF(canvas.width() / 2, canvas.height() / 2)
            before = self._last - centre
            after = position - centre
            if math.hypot(before.x(), before.y()) > 2 and math.hypot(after.x(), after.y()) > 2:
                turn = math.degrees(math.atan2(after.y(), after.x())
                                    - math.atan2(before.y(), before.x()))
                canvas.set_rotation(canvas.view.rotation + turn)
        self._last = QPointF(position)
        return True

    def release(self) -> bool:
        if self._drag is None:
            return False
        self._drag = None
        self.update_cursor()
        return True

    def update_cursor(self) -> None:
        """The cursor for the navigation going on or ready (a hand while Space is held), the
        cross otherwise."""
        shape = Qt.CursorShape.CrossCursor
        if self._drag == "pan":
            shape = Qt.CursorShape.ClosedHandCursor
        elif self._drag == "rotate" or self.rotate_held:
            shape = Qt.CursorShape.SizeAllCursor
        elif self.space_held:
            shape = Qt.CursorShape.OpenHandCursor
        self.canvas.setCursor(shape)

    # -- wheel and gestures -------------------------------------------------------------------
    def wheel(self, event: QWheelEvent) -> None:
        canvas = self.canvas
        angle = event.angleDelta()
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            notches = (angle.y() or angle.x()) / WHEEL_NOTCH
            if notches:
                canvas.set_zoom(canvas.view.zoom * ZOOM_STEP ** notches, event.position())
            return
        pixels = event.pixelDelta()
        if not pixels.isNull():  # a touchpad scrolls by pixels
            dx, dy = float(pixels.x()), float(pixels.y())
        else:
            dx = angle.x() / WHEEL_NOTCH * SCROLL_PER_NOTCH
            dy = angle.y() / WHEEL_NOTCH * SCROLL_PER_NOTCH
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            dx, dy = dy, dx
        if dx or dy:
            canvas.pan(dx, dy)

    def gesture(self, event: QEvent) -> bool:
        """Touchpad and touch screen zoom/rotate; True when the event was used."""
        canvas = self.canvas
        if isinstance(event, QNativeGestureEvent):
            kind = event.gestureType()
            if kind == Qt.NativeGestureType.ZoomNativeGesture:
                canvas.set_zoom(canvas.view.zoom * (1 + event.value()), event.position())
                return True
            if kind == Qt.NativeGestureType.RotateNativeGesture:
                canvas.set_rotation(canvas.view.rotation - event.value(), event.position())
                return True
            if kind == Qt.NativeGestureType.SmartZoomNativeGesture:
                canvas.fit()
                return True
            return False
        if isinstance(event, QGestureEvent):
            pinch = event.gesture(Qt.GestureType.PinchGesture)
            if not isinstance(pinch, QPinchGesture):
                return False
            centre = canvas.mapFromGlobal(pinch.centerPoint())
            flags = pinch.changeFlags()
            if flags & QPinchGesture.ChangeFlag.ScaleFactorChanged:
                canvas.set_zoom(canvas.view.zoom * pinch.scaleFactor(), centre)
            if flags & QPinchGesture.ChangeFlag.RotationAngleChanged:
                turn = pinch.rotationAngle() - pinch.lastRotationAngle()
                canvas.set_rotation(canvas.view.rotation + turn, centre)
            event.accept(pinch)
            return True
        return False


def is_gesture(event: QEvent) -> bool:
    return event.type() in (QEvent.Type.NativeGesture, QEvent.Type.Gesture)

