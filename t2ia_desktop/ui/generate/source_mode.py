"""The Generate panel's "what to start from" choice: text, the canvas, or the canvas with a mask."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QComboBox, QWidget

from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.generation.source import (
    MODE_LABELS,
    MODES,
    NO_MASK_TIP,
    mask_layer,
    source_fields,
)
from t2ia_desktop.ui.common.widgets import ValueSlider, add_item_with_tooltip

MODE_TIPS = {
    "txt2img": "Paint a new picture from the prompt and the controls",
    "img2img": "Repaint the visible canvas (mask layers left out); Strength says how much",
    "inpaint": "Repaint only where the mask layer is painted white; the rest stays as it is",
}
STRENGTH_TIP = ("Strength: how much of the canvas is repainted. 0 keeps it as it is, 1 paints "
                "anew; about 0.5–0.75 keeps the composition and colours.")


class SourceModeControls(QObject):
    """A mode combo and a Strength slider, for a form; builds the request's image fields."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode_combo = QComboBox(parent)
        for mode in MODES:
            add_item_with_tooltip(self.mode_combo, MODE_LABELS[mode], mode, MODE_TIPS[mode])
        self.mode_combo.setToolTip("Start from: the prompt alone, the canvas, or the canvas "
                                   "with a mask layer")
        self.strength_slider = ValueSlider(0.0, 1.0, 0.05, 0.75, parent=parent)
        self.strength_slider.setToolTip(STRENGTH_TIP)
        self.mode_combo.currentIndexChanged.connect(self._on_mode)
        self.mode_combo.currentIndexChanged.connect(self.changed)
        self.strength_slider.valueChanged.connect(self.changed)
        self._on_mode()

    def mode(self) -> str:
        return self.mode_combo.currentData()

    def set_mode(self, mode: str) -> None:
        self.mode_combo.setCurrentIndex(MODES.index(mode))

    def strength(self) -> float:
        return self.strength_slider.value()

    def update_for(self, document: Document | None) -> None:
        """Enable Inpaint only when the document has a mask layer."""
        has_mask = document is not None and mask_layer(document) is not None
        model = self.mode_combo.model()
        assert isinstance(model, QStandardItemModel)  # what a QComboBox holds by default
        item = model.item(MODES.index("inpaint"))
        item.setEnabled(has_mask)
        item.setToolTip(MODE_TIPS["inpaint"] if has_mask else NO_MASK_TIP)
        if not has_mask and self.mode() == "inpaint":
            self.set_mode("img2img")

    def request_fields(self, document: Document) -> dict:
        return source_fields(document, self.mode(), self.strength())

    def _on_mode(self) -> None:
        self.strength_slider.setEnabled(self.mode() != "txt2img")

