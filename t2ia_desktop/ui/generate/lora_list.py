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
from t2ia_desktop.core.generation.settings import GenerationSettings
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
    """The artist's style LoRAs: a row per entry of ``settings.loras``."""

    def __init__(self, settings: GenerationSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
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
        settings.events.loras.connect(self._show)
        settings.lora_files_missing.connect(self._on_missing)
        self._show(settings.loras)

    def unbind(self) -> None:
        self.settings.events.loras.disconnect(self._show)
        self.settings.lora_files_missing.disconnect(self._on_missing)

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
        if any(entry[0] == path for entry in self.settings.loras):
            self.show_message(f"{Path(path).name} is already in the list")
            return False
        self.message.hide()
        self.settings.loras = (*self.settings.loras, (path, float(weight), enabled))
        return True

    def remove_row(self, row: LoraRow) -> None:
        self.settings.loras = tuple(entry for entry in self.settings.loras
                                    if entry[0] != row.path)

    def _entries(self) -> tuple[tuple[str, float, bool], ...]:
        return tuple((row.path, row.weight_slider.value(), row.enabled_check.isChecked())
                     for row in self.rows)

    def _on_row_changed(self) -> None:
        self.settings.loras = self._entries()

    def _show(self, entries: tuple[tuple[str, float, bool], ...]) -> None:
        if entries == self._entries():
            return  # the rows made this change
        for row in self.rows:
            row.setParent(None)
            row.deleteLater()
        self.rows = []
        for path, weight, enabled in entries:
            row = LoraRow(path, weight, enabled, self)
            row.changed.connect(self._on_row_changed)
            row.remove_requested.connect(self.remove_row)
            self.rows.append(row)
            self._rows_layout.addWidget(row)

    def _on_missing(self, paths: list[str]) -> None:
        self.show_message("LoRA files not found (add them again): "
                          + ", ".join(Path(p).name for p in paths))

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setToolTip(text)
        self.message.show()
