"""A control layer's step range: from which to which share of the denoising steps it guides."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QLabel, QWidget

RANGE_TIP = (
    "Step range: the share of the denoising steps during which this control guides, from the "
    "first step (0) to the last (1). Early steps set the composition, late steps the details: "
    "0–0.5 lets the prompt finish the details, 0.3–1 keeps the start free. The global Step "
    "fraction in Generate still ends every control's range."
)


class StepRangeEditor(QWidget):
    """Two spin boxes, start and end in 0–1, kept so that start ≤ end."""

    range_edited = Signal(float, float)  # start, end: the artist changed one of them

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.start_spin = self._spin("First step of guidance (0: from the start)")
        self.end_spin = self._spin("Last step of guidance (1: to the end)")
        self.end_spin.setValue(1.0)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.start_spin)
        layout.addWidget(QLabel("to"))
        layout.addWidget(self.end_spin)
        layout.addStretch(1)
        self.setToolTip(RANGE_TIP)
        self._sync_limits()
        self.start_spin.valueChanged.connect(self._on_edited)
        self.end_spin.valueChanged.connect(self._on_edited)

    @staticmethod
    def _spin(tip: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(0.0, 1.0)
        spin.setSingleStep(0.05)
        spin.setDecimals(2)
        spin.setKeyboardTracking(False)  # one change per typed value, not per keystroke
        spin.setToolTip(f"{tip}. {RANGE_TIP}")
        return spin

    def value(self) -> tuple[float, float]:
        return self.start_spin.value(), self.end_spin.value()

    def set_range(self, start: float, end: float) -> None:
        """Show a layer's range without emitting :attr:`range_edited`."""
        for spin in (self.start_spin, self.end_spin):
            spin.blockSignals(True)
        self.start_spin.setMaximum(1.0)
        self.end_spin.setMinimum(0.0)
        self.start_spin.setValue(start)
        self.end_spin.setValue(end)
        self._sync_limits()
        for spin in (self.start_spin, self.end_spin):
            spin.blockSignals(False)

    def _sync_limits(self) -> None:
        self.start_spin.setMaximum(self.end_spin.value())
        self.end_spin.setMinimum(self.start_spin.value())

    def _on_edited(self) -> None:
        for spin in (self.start_spin, self.end_spin):
            spin.blockSignals(True)
        self._sync_limits()
        for spin in (self.start_spin, self.end_spin):
            spin.blockSignals(False)
        self.range_edited.emit(*self.value())
