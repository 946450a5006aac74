"""Style LoRAs in the Generate panel: .safetensors files, each with a weight and a switch."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.sampling import LORA_WEIGHT_RANGE, check_lora_file
from t2ia_desktop.ui.common.widgets import ValueSlider


class LoraRow(QWidget):
    """One LoRA: on/off, its file name, its weight and a remove button."""

    changed = Signal()
    remove_requested = Signal(object)

    def __init__(self, path: str, weight: float = 1.0, enabled: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self.enabled_check = QCheckBox(Path(path).stem)
        self.enabled_check.setChecked(enabled)
        self.enabled_check.setToolTip(f"{path}\nUse this LoRA (untick to try without it)")
        self.weight_slider = ValueSlider(*LORA_WEIGHT_RANGE, 0.05, weight)
        self.weight_slider.setToolTip(
            "LoRA weight: how strongly its style shows. 1 is full strength, 0 none; negative "
            "weights push away from it."
        )
        self.remove_button = QToolButton()
        self.remove_button.setText("✕")
        self.remove_button.setToolTip("Remove this LoRA from the list (the file stays)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.enabled_check, 2)
        layout.addWidget(self.weight_slider, 3)
        layout.addWidget(self.remove_button)
        self.enabled_check.toggled.connect(self.changed)
        self.weight_slider.valueChanged.connect(self.changed)
        self.remove_button.clicked.connect(lambda: self.remove_requested.emit(self))


class LoraList(QWidget):
    """The artist's style LoRAs; :meth:`loras` gives the enabled ones for a request."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[LoraRow] = []
        self.add_button = QPushButton("Add LoRA…")
        self.add_button.setToolTip(
            "Add style LoRAs (.safetensors files) to paint with; each gets a weight"
        )
        self.add_button.clicked.connect(self.choose_files)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()
        self._rows_layout = QVBoxLayout()
        self._rows_layout.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._rows_layout)
        layout.addWidget(self.message)
        layout.addWidget(self.add_button)

    def choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Add LoRAs", "", "LoRA files (*.safetensors);;All files (*)"
        )
        for path in paths:
            self.add_file(path)

    def add_file(self, path: str, weight: float = 1.0, enabled: bool = True) -> bool:
        """Add ``path``; a file that cannot be a LoRA is refused with a message shown."""
        try:
            check_lora_file(path)
        except BadInput as error:
            self.show_message(str(error))
            return False
        if any(row.path == path for row in self.rows):
            self.show_message(f"{Path(path).name} is already in the list")
            return False
        row = LoraRow(path, weight, enabled, self)
        row.changed.connect(self.changed)
        row.remove_requested.connect(self.remove_row)
        self.rows.append(row)
        self._rows_layout.addWidget(row)
        self.message.hide()
        self.changed.emit()
        return True

    def remove_row(self, row: LoraRow) -> None:
        self.rows.remove(row)
        row.setParent(None)
        row.deleteLater()
        self.changed.emit()

    def clear(self) -> None:
        for row in list(self.rows):
            self.remove_row(row)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setToolTip(text)
        self.message.show()

    def loras(self) -> tuple[tuple[str, float], ...]:
        """The enabled LoRAs as (path, weight), for the request."""
        return tuple((row.path, row.weight_slider.value()) for row in self.rows
                     if row.enabled_check.isChecked())

    def entries(self) -> list[list]:
        """Every row as [path, weight, enabled] (JSON), for a project's settings."""
        return [[row.path, row.weight_slider.value(), row.enabled_check.isChecked()]
                for row in self.rows]

    def set_entries(self, entries: list) -> list[str]:
        """Replace the rows with ``entries`` (from :meth:`entries` or a result's ``loras``);
        returns the files that could not be added (moved or deleted)."""
        self.clear()
        missing = []
        for entry in entries:
            if not isinstance(entry, list | tuple) or len(entry) not in (2, 3):
                continue
            path, weight = str(entry[0]), entry[1]
            enabled = bool(entry[2]) if len(entry) == 3 else True
            if not isinstance(weight, int | float) or not (
                    LORA_WEIGHT_RANGE[0] <= weight <= LORA_WEIGHT_RANGE[1]):
                weight = 1.0
            if not self.add_file(path, float(weight), enabled):
                missing.append(path)
        if missing:
            self.show_message("LoRA files not found (add them again): "
                              + ", ".join(Path(p).name for p in missing))
        return missing
