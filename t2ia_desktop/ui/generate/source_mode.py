"""The Generate panel's "what to start from" choice: text, the canvas, or the canvas with a mask."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QComboBox, QWidget

from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.generation.settings import GenerationSettings
from t2ia_desktop.core.generation.source import MODE_LABELS, MODES, NO_MASK_TIP, mask_layer
from t2ia_desktop.ui.common.binding import Bindings
from t2ia_desktop.ui.common.widgets import ValueSlider, add_item_with_tooltip

MODE_TIPS = {
    "txt2img": "Paint a new picture from the prompt and the controls",
    "img2img": "Repaint the visible canvas (mask layers left out); Strength says how much",
    "inpaint": "Repaint only where the mask layer is painted white; the rest stays as it is",
}
STRENGTH_TIP = ("Strength: how much of the canvas is repainted. 0 keeps it as it is, 1 paints "
                "anew; about 0.5–0.75 keeps the composition and colours.")


class SourceModeControls(QObject):
    """A mode combo and a Strength slider for a form, bound to ``settings.mode`` and
    ``settings.strength``."""

    def __init__(self, settings: GenerationSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.mode_combo = QComboBox(parent)
        for mode in MODES:
            add_item_with_tooltip(self.mode_combo, MODE_LABELS[mode], mode, MODE_TIPS[mode])
        self.mode_combo.setToolTip("Start from: the prompt alone, the canvas, or the canvas "
                                   "with a mask layer")
        self.strength_slider = ValueSlider(0.0, 1.0, 0.05, 0.75, parent=parent)
        self.strength_slider.setToolTip(STRENGTH_TIP)
        self.bindings = Bindings()
        self.bindings.bind(self.mode_combo, settings, "mode")
        self.bindings.bind(self.strength_slider, settings, "strength")
        settings.events.mode.connect(self._on_mode)
        self._on_mode(settings.mode)

    def unbind(self) -> None:
        self.bindings.unbind_all()
        self.settings.events.mode.disconnect(self._on_mode)

    def update_for(self, document: Document | None) -> None:
        """Enable Inpaint only when the document has a mask layer."""
        has_mask = document is not None and mask_layer(document) is not None
        model = self.mode_combo.model()
        assert isinstance(model, QStandardItemModel)  # what a QComboBox holds by default
        item = model.item(MODES.index("inpaint"))
        item.setEnabled(has_mask)
        item.setToolTip(MODE_TIPS["inpaint"] if has_mask else NO_MASK_TIP)
        if not has_mask and self.settings.mode == "inpaint":
            self.settings.mode = "img2img"

    def _on_mode(self, mode: str) -> None:
        self.strength_slider.setEnabled(mode != "txt2img")
