"""Nothing changes under a scrolling wheel: in a scrolling panel, a slider, spin box or combo box
takes the mouse wheel only once it has the keyboard focus (a click or Tab gives it); until then
the wheel scrolls the panel, as in Krita and Blender."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QScrollBar,
    QWidget,
)

VALUE_WIDGETS = (QAbstractSpinBox, QAbstractSlider, QComboBox)


def value_widget(widget: QObject | None) -> QWidget | None:
    """The slider, spin box or combo box ``widget`` is (or is part of, as a spin box's line
    edit is); scroll bars are not values."""
    for _ in range(3):
        if widget is None or isinstance(widget, QScrollBar):
            return None
        if isinstance(widget, VALUE_WIDGETS):
            return widget
        widget = widget.parent()
    return None


def scroll_area_of(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea) and parent.property("wheel_scrolls_panel"):
            return parent
        parent = parent.parentWidget()
    return None


def scroll_panel_with_wheel(area: QAbstractScrollArea) -> None:
    """Mark ``area`` as a panel whose value widgets leave the wheel to it when unfocused."""
    area.setProperty("wheel_scrolls_panel", True)


class WheelGuard(QObject):
    """Installed on the application by the window: a wheel over an unfocused value widget in a
    marked scroll area scrolls the area instead; the widget's focus policy stops a wheel from
    focusing it."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)  # Qt removes it when this object goes

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.Wheel:
            return False
        widget = value_widget(watched)
        if widget is None or widget.hasFocus():
            return False
        area = scroll_area_of(widget)
        if area is None:
            return False
        if widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
            widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        QApplication.sendEvent(area.verticalScrollBar(), event)
        return True  # the value stays as it is
