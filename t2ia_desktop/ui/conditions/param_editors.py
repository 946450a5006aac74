"""Controls built from a condition's parameter specs: one editor per :class:`ParamSpec` kind.

int and float get a slider with a spin box beside it (the slider for dragging, the box for an
exact number), bool a checkbox, choice a combo box, colour a swatch opening the colour picker.
Every editor emits ``changed(value)`` when the artist changes it, never when the program sets it
(``set_value``), and ``finished`` when a change is complete (a slider released, a spin box
left): continuous changes between two ``finished`` make one undo step.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QRegularExpression, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QColor, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QWidget,
)

from t2ia_desktop.core.conditions.registry import ParamSpec

SLIDER_STEPS = 200
"""Positions of a float slider over its range (the spin box gives finer values)."""
UNBOUNDED = 1_000_000


def spec_tooltip(spec: ParamSpec) -> str:
    label = spec.label or spec.name
    if spec.kind in ("int", "float") and spec.minimum is not None and spec.maximum is not None:
        label += f": {spec.minimum:g} to {spec.maximum:g}"
    elif spec.kind == "choice":
        label += f": {', '.join(spec.choices)}"
    return f"{label} (default {spec.default}; detector parameter {spec.name})"


class ParamEditor(QWidget):
    """Base of the editors. Each kind's editor adds ``value()`` and ``set_value(value)``;
    ``changed`` carries every new value, ``finished`` marks the end of an edit (one undo step).
    """

    changed = Signal(object)
    finished = Signal()

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def _tip(self, *widgets: QWidget) -> None:
        tip = spec_tooltip(self.spec)
        self.setToolTip(tip)
        for widget in widgets:
            widget.setToolTip(tip)

    def _emit_complete(self, value: object) -> None:
        """A change complete at once (a click, a pick): ``changed``, then ``finished``."""
        self.changed.emit(value)
        self.finished.emit()


class NumberEditor(ParamEditor):
    """Base of the int and float editors: a slider (when the spec has both bounds) for
    dragging, beside a spin box for an exact number. Subclasses set ``self.spin``, call
    :meth:`_add_slider_and_spin`, and keep the two in step in ``_on_slider`` and ``_on_spin``."""

    spin: QSpinBox | QDoubleSpinBox

    def _add_slider_and_spin(self, slider_low: int, slider_high: int, page_step: int) -> None:
        """Lay out the slider (over ``slider_low``..``slider_high``) and the spin box, wire them
        (dragging and typing change the value; a release or leaving the box finishes the edit)
        and show the spec's default."""
        self.slider: QSlider | None = None
        if self.spec.minimum is not None and self.spec.maximum is not None:
            self.slider = QSlider(Qt.Orientation.Horizontal)
            self.slider.setRange(slider_low, slider_high)
            self.slider.setPageStep(page_step)
            self._layout.addWidget(self.slider, 1)
            self.slider.valueChanged.connect(self._on_slider)
            self.slider.sliderReleased.connect(self.finished)
        self._layout.addWidget(self.spin)
        self.spin.valueChanged.connect(self._on_spin)
        self.spin.editingFinished.connect(self.finished)
        self._tip(*(w for w in (self.slider, self.spin) if w is not None))
        self.set_value(self.spec.default)


class IntEditor(NumberEditor):
    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        low = int(spec.minimum) if spec.minimum is not None else -UNBOUNDED
        high = int(spec.maximum) if spec.maximum is not None else UNBOUNDED
        self.spin = QSpinBox()
        self.spin.setRange(low, high)
        self.spin.setKeyboardTracking(False)  # typing "150" is one change, not three
        self.spin.setAccelerated(True)
        self._add_slider_and_spin(low, high, max(1, (high - low) // 10))

    def value(self) -> int:
        return self.spin.value()

    def set_value(self, value: object) -> None:
        for widget in (self.slider, self.spin):
            if widget is not None:
                with QSignalBlocker(widget):
                    widget.setValue(int(value))  # type: ignore[arg-type]

    def _on_slider(self, value: int) -> None:
        with QSignalBlocker(self.spin):
            self.spin.setValue(value)
        self.changed.emit(value)

    def _on_spin(self, value: int) -> None:
        if self.slider is not None:
            with QSignalBlocker(self.slider):
                self.slider.setValue(value)
        self.changed.emit(value)


class FloatEditor(NumberEditor):
    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        low = float(spec.minimum) if spec.minimum is not None else -float(UNBOUNDED)
        high = float(spec.maximum) if spec.maximum is not None else float(UNBOUNDED)
        self._low, self._high = low, high
        self.spin = QDoubleSpinBox()
        self.spin.setRange(low, high)
        span = high - low
        self.spin.setDecimals(3 if span <= 2 else 2)
        self.spin.setSingleStep(span / 100 if span < UNBOUNDED else 0.1)
        self.spin.setKeyboardTracking(False)
        self.spin.setStepType(QAbstractSpinBox.StepType.DefaultStepType)
        self._add_slider_and_spin(0, SLIDER_STEPS, SLIDER_STEPS // 10)

    def value(self) -> float:
        return round(self.spin.value(), self.spin.decimals())

    def set_value(self, value: object) -> None:
        with QSignalBlocker(self.spin):
            self.spin.setValue(float(value))  # type: ignore[arg-type]
        self._move_slider(float(value))  # type: ignore[arg-type]

    def _move_slider(self, value: float) -> None:
        if self.slider is None:
            return
        with QSignalBlocker(self.slider):
            self.slider.setValue(
                round((value - self._low) / (self._high - self._low) * SLIDER_STEPS))

    def _on_slider(self, position: int) -> None:
        value = self._low + (self._high - self._low) * position / SLIDER_STEPS
        with QSignalBlocker(self.spin):
            self.spin.setValue(value)
        self.changed.emit(self.value())

    def _on_spin(self, value: float) -> None:
        self._move_slider(value)
        self.changed.emit(self.value())


class BoolEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.check = QCheckBox(spec.label or spec.name)
        self._layout.addWidget(self.check)
        self._tip(self.check)
        self.set_value(spec.default)
        self.check.toggled.connect(self._emit_complete)

    def value(self) -> bool:
        return self.check.isChecked()

    def set_value(self, value: object) -> None:
        with QSignalBlocker(self.check):
            self.check.setChecked(bool(value))


class ChoiceEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.combo = QComboBox()
        self.combo.addItems(list(spec.choices))
        self._layout.addWidget(self.combo, 1)
        self._tip(self.combo)
        self.set_value(spec.default)
        self.combo.currentTextChanged.connect(self._emit_complete)

    def value(self) -> str:
        return self.combo.currentText()

    def set_value(self, value: object) -> None:
        with QSignalBlocker(self.combo):
            self.combo.setCurrentText(str(value))


def ask_colour(initial: QColor, parent: QWidget, title: str) -> QColor:
    """The colour picker; an invalid colour means the artist cancelled."""
    return QColorDialog.getColor(initial, parent, title)


class ColourEditor(ParamEditor):
    """A swatch button opening the colour picker, and the colour as #rrggbb to type or paste."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.choose_colour: Callable[[QColor, QWidget, str], QColor] = ask_colour
        """Asks for a colour (the QColorDialog); tests replace it."""
        self.button = QPushButton()
        self.button.setFixedWidth(40)
        self.button.clicked.connect(self.pick)
        self.text = QLineEdit()
        self.text.setMaxLength(7)
        self.text.setValidator(QRegularExpressionValidator(
            QRegularExpression("#[0-9a-fA-F]{0,6}"), self.text))
        self.text.editingFinished.connect(self._on_text)
        self._layout.addWidget(self.button)
        self._layout.addWidget(self.text, 1)
        self._tip(self.button, self.text)
        self.button.setToolTip(f"Choose a colour… ({spec_tooltip(spec)})")
        self._value = ""
        self.set_value(spec.default)

    def value(self) -> str:
        return self._value

    def set_value(self, value: object) -> None:
        self._value = QColor(str(value)).name()
        with QSignalBlocker(self.text):
            self.text.setText(self._value)
        self.button.setStyleSheet(f"background-color: {self._value}; border: 1px solid #777;")

    def pick(self) -> None:
        colour = self.choose_colour(QColor(self._value), self, self.spec.label or self.spec.name)
        if colour.isValid():
            self._commit(colour.name())

    def _on_text(self) -> None:
        if QColor.isValidColorName(self.text.text()) and len(self.text.text()) == 7:
            self._commit(self.text.text().lower())
        else:
            self.set_value(self._value)  # half-typed: put the current colour back

    def _commit(self, value: str) -> None:
        if value == self._value:
            return
        self.set_value(value)
        self._emit_complete(self._value)


EDITORS: dict[str, type[ParamEditor]] = {
    "int": IntEditor, "float": FloatEditor, "bool": BoolEditor, "choice": ChoiceEditor,
    "colour": ColourEditor,
}


def make_editor(spec: ParamSpec, parent: QWidget | None = None) -> ParamEditor:
    """The editor for ``spec``'s kind."""
    try:
        return EDITORS[spec.kind](spec, parent)
    except KeyError:
        raise ValueError(f"no editor for parameter kind {spec.kind!r} ({spec.name})") from None
