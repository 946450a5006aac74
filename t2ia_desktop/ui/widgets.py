"""Small widgets and helpers shared by the panels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget


class ModelConnections:
    """Connections from a model's psygnal signals to a view, kept so the view can drop them.

    A view calls :meth:`disconnect_all` when it closes; :meth:`drop_with` also ties that to the
    Qt object's destruction so a deleted widget is never called back.
    """

    def __init__(self) -> None:
        self._pairs: list[tuple[Any, Callable[..., Any]]] = []

    def connect(self, signal: Any, callback: Callable[..., Any]) -> None:
        signal.connect(callback)
        self._pairs.append((signal, callback))

    def disconnect_all(self) -> None:
        pairs, self._pairs = self._pairs, []
        for signal, callback in pairs:
            signal.disconnect(callback)

    def drop_with(self, widget: QWidget) -> None:
        # The slot must not reference the widget itself, or it would keep it alive.
        widget.destroyed.connect(lambda *_: self.disconnect_all())

    def __len__(self) -> int:
        return len(self._pairs)


class ValueSlider(QWidget):
    """A horizontal slider over floats in fixed steps, with its value read out beside it."""

    valueChanged = Signal(float)

    def __init__(
        self,
        minimum: float,
        maximum: float,
        step: float,
        value: float,
        *,
        decimals: int = 2,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._minimum = minimum
        self._step = step
        self._decimals = decimals
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, round((maximum - minimum) / step))
        self.slider.setSingleStep(1)
        self.slider.setPageStep(max(1, round(0.1 * (maximum - minimum) / step)))
        self.readout = QLabel()
        self.readout.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        width = self.readout.fontMetrics().horizontalAdvance(f"{maximum:.{decimals}f}") + 6
        self.readout.setFixedWidth(width)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.readout)
        self.slider.valueChanged.connect(self._on_slider)
        self.setValue(value)
        self._on_slider(self.slider.value())

    def value(self) -> float:
        return round(self._minimum + self.slider.value() * self._step, 6)

    def setValue(self, value: float) -> None:
        self.slider.setValue(round((value - self._minimum) / self._step))

    def setToolTip(self, text: str) -> None:
        super().setToolTip(text)
        self.slider.setToolTip(text)
        self.readout.setToolTip(text)

    def _on_slider(self, _position: int) -> None:
        value = self.value()
        self.readout.setText(f"{value:.{self._decimals}f}")
        self.valueChanged.emit(value)
