"""File → New: a canvas size from the presets the models were trained at, or a custom one."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

PRESETS: tuple[tuple[int, int, str], ...] = (
    (1024, 1024, "SDXL square"),
    (1152, 896, "SDXL landscape"),
    (896, 1152, "SDXL portrait"),
    (1216, 832, "SDXL landscape"),
    (832, 1216, "SDXL portrait"),
    (1344, 768, "SDXL wide"),
    (768, 1344, "SDXL tall"),
    (512, 512, "SD 1.5 square"),
    (512, 768, "SD 1.5 portrait"),
)
"""Canvas sizes the SDXL and SD 1.5 models were trained at (width, height, what for)."""
MIN_SIDE = 64
MAX_SIDE = 4096
STEP = 8
"""Sizes are multiples of 8: the models' latents are an eighth of the picture."""
CUSTOM = "Custom"


def snap(value: int) -> int:
    """``value`` to the nearest multiple of 8 within the allowed sides."""
    return max(MIN_SIDE, min(MAX_SIDE, round(value / STEP) * STEP))


def preset_label(width: int, height: int, words: str) -> str:
    return f"{width} × {height}  ·  {words}"


class NewDocumentDialog(QDialog):
    """Asks for the new canvas's size; :meth:`size` is the answer once accepted."""

    def __init__(self, width: int = 1024, height: int = 1024,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New document")
        self.preset_combo = QComboBox()
        for preset_width, preset_height, words in PRESETS:
            self.preset_combo.addItem(preset_label(preset_width, preset_height, words),
                                      (preset_width, preset_height))
        self.preset_combo.addItem(CUSTOM, None)
        self.preset_combo.setToolTip(
            "Sizes the models were trained at: SDXL near one megapixel, SD 1.5 at 512")
        self.width_spin = self._side_spin("Width in pixels (a multiple of 8, 64 to 4096)")
        self.height_spin = self._side_spin("Height in pixels (a multiple of 8, 64 to 4096)")
        self.swap_button = QToolButton()
        self.swap_button.setText("⇄")
        self.swap_button.setToolTip("Swap width and height (portrait ↔ landscape)")
        self.swap_button.clicked.connect(self.swap)
        self.info_label = QLabel()
        self.info_label.setEnabled(False)
        self.info_label.setToolTip("The canvas's size in megapixels")
        sides = QHBoxLayout()
        sides.setContentsMargins(0, 0, 0, 0)
        sides.addWidget(self.width_spin, 1)
        sides.addWidget(QLabel("×"))
        sides.addWidget(self.height_spin, 1)
        sides.addWidget(self.swap_button)
        form = QFormLayout()
        form.addRow("Preset", self.preset_combo)
        form.addRow("Size", sides)
        form.addRow("", self.info_label)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setToolTip(
            "Start a new document of this size (the prompt and settings stay)")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setToolTip(
            "Keep the current document")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

        self._syncing = False
        self.preset_combo.currentIndexChanged.connect(self._on_preset)
        for spin in (self.width_spin, self.height_spin):
            spin.valueChanged.connect(self._on_side)
            spin.editingFinished.connect(lambda s=spin: s.setValue(snap(s.value())))
        self.set_size(width, height)

    def _side_spin(self, tip: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(MIN_SIDE, MAX_SIDE)
        spin.setSingleStep(STEP)
        spin.setSuffix(" px")
        spin.setToolTip(tip)
        spin.setAlignment(Qt.AlignmentFlag.AlignRight)
        return spin

    def set_size(self, width: int, height: int) -> None:
        """Show ``width`` × ``height`` (snapped), with its preset selected if it is one."""
        self._syncing = True
        try:
            self.width_spin.setValue(snap(width))
            self.height_spin.setValue(snap(height))
        finally:
            self._syncing = False
        self._on_side()

    def size(self) -> tuple[int, int]:  # type: ignore[override]
        """The chosen width and height, multiples of 8 from 64 to 4096."""
        return snap(self.width_spin.value()), snap(self.height_spin.value())

    def swap(self) -> None:
        width, height = self.size()
        self.set_size(height, width)

    def _on_preset(self, index: int) -> None:
        size = self.preset_combo.itemData(index)
        if size is not None and not self._syncing:
            self.set_size(*size)

    def _on_side(self) -> None:
        if self._syncing:
            return
        width, height = self.size()
        index = next((i for i, (w, h, _words) in enumerate(PRESETS) if (w, h) == (width, height)),
                     len(PRESETS))
        self._syncing = True
        try:
            self.preset_combo.setCurrentIndex(index)  # the last entry is Custom
        finally:
            self._syncing = False
        megapixels = width * height / 1e6
        self.info_label.setText(f"{megapixels:.2f} megapixels")


def ask_new_size(parent: QWidget, width: int, height: int) -> tuple[int, int] | None:
    """Show the dialog (modal); the size chosen, or None when cancelled."""
    dialog = NewDocumentDialog(width, height, parent)
    try:
        return dialog.size() if dialog.exec() == QDialog.DialogCode.Accepted else None
    finally:
        dialog.deleteLater()
