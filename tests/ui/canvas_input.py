"""Input events for canvas tests that QTest cannot make: tablet pens, wheels, pinches, keys."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import (
    QInputDevice,
    QKeyEvent,
    QMouseEvent,
    QNativeGestureEvent,
    QPointingDevice,
    QTabletEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QApplication, QWidget

_PEN: QPointingDevice | None = None


def pen() -> QPointingDevice:
    """A stylus, as a graphics tablet reports itself."""
    global _PEN
    if _PEN is None:
        _PEN = QPointingDevice(
            "test pen", 4242, QInputDevice.DeviceType.Stylus, QPointingDevice.PointerType.Pen,
            QInputDevice.Capability.Position | QInputDevice.Capability.Pressure, 1, 2)
    return _PEN


def tablet(widget: QWidget, kind: QEvent.Type, point: QPoint, pressure: float) -> bool:
    """Send a pen event; returns whether the widget accepted it."""
    held = kind != QEvent.Type.TabletRelease
    event = QTabletEvent(
        kind, pen(), QPointF(point), QPointF(widget.mapToGlobal(point)), pressure, 0.0, 0.0,
        0.0, 0.0, 0.0, Qt.KeyboardModifier.NoModifier, Qt.MouseButton.LeftButton,
        Qt.MouseButton.LeftButton if held else Qt.MouseButton.NoButton)
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def pen_stroke(widget: QWidget, points: list[tuple[QPoint, float]]) -> None:
    """Press, move and lift a pen through (point, pressure) pairs."""
    tablet(widget, QEvent.Type.TabletPress, *points[0])
    for point, pressure in points[1:]:
        tablet(widget, QEvent.Type.TabletMove, point, pressure)
    tablet(widget, QEvent.Type.TabletRelease, *points[-1])


def wheel(widget: QWidget, point: QPoint, notches_y: float, notches_x: float = 0.0,
          modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    angle = QPoint(round(notches_x * 120), round(notches_y * 120))
    event = QWheelEvent(QPointF(point), QPointF(widget.mapToGlobal(point)), QPoint(0, 0), angle,
                        Qt.MouseButton.NoButton, modifiers, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def pinch(widget: QWidget, point: QPoint, value: float,
          kind: Qt.NativeGestureType = Qt.NativeGestureType.ZoomNativeGesture) -> None:
    """A touchpad pinch (``value`` is the change of scale, +0.25 = 25 % larger) or rotation."""
    event = QNativeGestureEvent(kind, QPointingDevice.primaryPointingDevice(), 2, QPointF(point),
                                QPointF(point), QPointF(widget.mapToGlobal(point)), value,
                                QPointF(0, 0))
    QApplication.sendEvent(widget, event)


def key(widget: QWidget, which: Qt.Key, press: bool) -> None:
    kind = QEvent.Type.KeyPress if press else QEvent.Type.KeyRelease
    QApplication.sendEvent(widget, QKeyEvent(kind, which, Qt.KeyboardModifier.NoModifier))


def button_drag(widget: QWidget, button: Qt.MouseButton, points: list[QPoint]) -> None:
    """Press ``button`` at the first point, move through the others holding it, release."""
    none = Qt.KeyboardModifier.NoModifier

    def send(kind: QEvent.Type, point: QPoint, changed: Qt.MouseButton,
             held: Qt.MouseButton) -> None:
        QApplication.sendEvent(widget, QMouseEvent(kind, QPointF(point),
                                                   QPointF(widget.mapToGlobal(point)),
                                                   changed, held, none))

    send(QEvent.Type.MouseButtonPress, points[0], button, button)
    for point in points[1:]:
        send(QEvent.Type.MouseMove, point, Qt.MouseButton.NoButton, button)
    send(QEvent.Type.MouseButtonRelease, points[-1], button, Qt.MouseButton.NoButton)
