"""Two-way bindings between a widget and one field of an evented model (psygnal).

``bind(widget, model, "steps")`` shows the field in the widget and writes the widget's edits
back; a change of either side reaches the other once (the side being written is not echoed).
A binding keeps its connections and :meth:`Binding.unbind` drops them, so a widget that goes
away never hears its model again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QPlainTextEdit,
    QWidget,
)


class Binding:
    """One widget ↔ one model field."""

    def __init__(self, widget: QWidget, model: Any, name: str,
                 read: Callable[[], Any], show: Callable[[Any], None], changed: Any,
                 write: Callable[[Any], None] | None = None) -> None:
        self.widget, self.model, self.name = widget, model, name
        self._read, self._show = read, show
        self._write = write or (lambda value: setattr(model, name, value))
        self._busy = False
        self._signal = getattr(model.events, name)
        self._signal.connect(self._on_model)
        self._changed = changed
        changed.connect(self._on_widget)
        self._on_model(getattr(model, name))

    def _on_model(self, value: Any) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            if self._read() != value:
                self._show(value)
        finally:
            self._busy = False

    def _on_widget(self, *_args: Any) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            value = self._read()
            if getattr(self.model, self.name) != value:
                self._write(value)
        finally:
            self._busy = False
        # the model may have refused or adjusted the value: show what it holds
        self._on_model(getattr(self.model, self.name))

    def unbind(self) -> None:
        self._signal.disconnect(self._on_model)
        with contextlib.suppress(RuntimeError):  # the widget may be gone already
            self._changed.disconnect(self._on_widget)


def bind(widget: QWidget, model: Any, name: str, *,
         write: Callable[[Any], None] | None = None) -> Binding:
    """Bind a text box, spin box, value slider, check box or combo box (by item data) to
    ``model.<name>``; ``write`` replaces plain assignment (e.g. a method that also fills in
    other fields)."""
    if isinstance(widget, QPlainTextEdit):
        return Binding(widget, model, name, widget.toPlainText, widget.setPlainText,
                       widget.textChanged, write)
    if isinstance(widget, QComboBox):
        def show(value: Any) -> None:
            index = widget.findData(value)
            if index >= 0:
                widget.setCurrentIndex(index)

        return Binding(widget, model, name, widget.currentData, show,
                       widget.currentIndexChanged, write)
    if isinstance(widget, QAbstractButton):
        return Binding(widget, model, name, widget.isChecked, widget.setChecked,
                       widget.toggled, write)
    if isinstance(widget, QAbstractSpinBox) or hasattr(widget, "valueChanged"):
        return Binding(widget, model, name, widget.value, widget.setValue,
                       widget.valueChanged, write)
    raise TypeError(f"cannot bind a {type(widget).__name__}")


class Bindings:
    """The bindings of one view, dropped together when it closes."""

    def __init__(self) -> None:
        self._items: list[Binding] = []

    def bind(self, widget: QWidget, model: Any, name: str, **options: Any) -> Binding:
        binding = bind(widget, model, name, **options)
        self._items.append(binding)
        return binding

    def add(self, binding: Binding) -> Binding:
        self._items.append(binding)
        return binding

    def unbind_all(self) -> None:
        for binding in self._items:
            binding.unbind()
        self._items.clear()
