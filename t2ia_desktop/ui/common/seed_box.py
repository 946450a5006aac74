"""A spin box for seeds up to 2³²−1 (A1111's range): QSpinBox holds only 32-bit signed ints."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QAbstractSpinBox, QWidget


class SeedBox(QAbstractSpinBox):
    """QSpinBox's API for whole numbers of any size: value, setValue, setRange, minimum,
    maximum and ``valueChanged`` (emitted with a Python int)."""

    valueChanged = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._minimum, self._maximum, self._value = 0, 2**32 - 1, 0
        self.lineEdit().setText("0")
        self.editingFinished.connect(self._commit_text)
        self.lineEdit().textEdited.connect(self._commit_text)

    def value(self) -> int:
        return self._value

    def setValue(self, value: int) -> None:
        value = min(self._maximum, max(self._minimum, int(value)))
        if self.lineEdit().text() != str(value):
            self.lineEdit().setText(str(value))
        if value != self._value:
            self._value = value
            self.valueChanged.emit(value)

    def setRange(self, minimum: int, maximum: int) -> None:
        self._minimum, self._maximum = int(minimum), max(int(minimum), int(maximum))
        self.setValue(self._value)

    def minimum(self) -> int:
        return self._minimum

    def maximum(self) -> int:
        return self._maximum

    def stepBy(self, steps: int) -> None:
        self.setValue(self._value + steps)

    def stepEnabled(self) -> QAbstractSpinBox.StepEnabledFlag:
        flags = QAbstractSpinBox.StepEnabledFlag.StepNone
        if self._value > self._minimum:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
        if self._value < self._maximum:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
        return flags

    def validate(self, text: str, position: int) -> object:
        if text == "":
            return QValidator.State.Intermediate, text, position
        if not text.isdigit():
            return QValidator.State.Invalid, text, position
        if int(text) > self._maximum:
            return QValidator.State.Invalid, text, position
        return QValidator.State.Acceptable, text, position

    def fixup(self, text: str) -> str:
        return str(self._value)

    def _commit_text(self, *_args: object) -> None:
        text = self.lineEdit().text().strip()
        if text.isdigit():
            self.setValue(int(text))
        elif not self.lineEdit().hasFocus():
            self.lineEdit().setText(str(self._value))
