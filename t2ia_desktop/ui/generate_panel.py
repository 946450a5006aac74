"""The generate panel: prompts, model, sketch strength and sampling settings, and Generate."""

from __future__ import annotations

import random

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from t2ia_desktop.core.document import Document, sketch_control_image
from t2ia_desktop.core.request import ControlSpec, GenerationRequest
from t2ia_desktop.ui.widgets import ValueSlider

MAX_SEED = 2**31 - 1
"""The largest seed the spin box can show (Qt spin boxes hold 32-bit ints)."""

ModelEntry = tuple[str, str, str]
"""(label shown to the artist, model reference for the engine, family: "sdxl" or "sd15")."""


class GeneratePanel(QWidget):
    """Everything one generation needs besides the canvas; builds the request from it."""

    generate_requested = Signal()

    def __init__(self, models: list[ModelEntry], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if not models:
            raise ValueError("the generate panel needs at least one model")
        self.models = list(models)

        self.prompt_edit = QPlainTextEdit()
        self.prompt_edit.setPlaceholderText("What to paint, e.g. a lighthouse on a cliff at dusk")
        self.prompt_edit.setToolTip("Prompt: describe the picture you want.")
        self.prompt_edit.setTabChangesFocus(True)
        self.prompt_edit.setFixedHeight(self._lines_height(self.prompt_edit, 4))

        self.negative_edit = QPlainTextEdit()
        self.negative_edit.setPlaceholderText("What to avoid, e.g. blurry, text, watermark")
        self.negative_edit.setToolTip("Negative prompt: what the picture should not contain.")
        self.negative_edit.setTabChangesFocus(True)
        self.negative_edit.setFixedHeight(self._lines_height(self.negative_edit, 2))

        self.model_combo = QComboBox()
        for label, ref, family in self.models:
            self.model_combo.addItem(label, (ref, family))
            self.model_combo.setItemData(
                self.model_combo.count() - 1,
                f"{ref} ({family.upper()})",
                Qt.ItemDataRole.ToolTipRole,
            )
        self.model_combo.setToolTip("Model: the checkpoint that paints the picture.")

        self.conditioning_scale_slider = ValueSlider(0.0, 2.0, 0.05, 1.0)
        self.conditioning_scale_slider.setToolTip(
            "Conditioning scale: how strongly the sketch steers the picture. "
            "0 ignores it, 1 is the adapter's normal strength, 2 follows it rigidly."
        )
        self.step_fraction_slider = ValueSlider(0.0, 1.0, 0.05, 1.0)
        self.step_fraction_slider.setToolTip(
            "Step fraction (adapter_conditioning_factor): share of denoising steps during which "
            "the adapter guides. Lower it to keep the composition but free the details."
        )

        self.steps_spin = QSpinBox()
        self.steps_spin.setRange(1, 150)
        self.steps_spin.setValue(30)
        self.steps_spin.setToolTip("Steps: denoising steps; more is slower and often finer.")

        self.guidance_spin = QDoubleSpinBox()
        self.guidance_spin.setRange(0.0, 20.0)
        self.guidance_spin.setSingleStep(0.5)
        self.guidance_spin.setDecimals(1)
        self.guidance_spin.setValue(7.5)
        self.guidance_spin.setToolTip(
            "Guidance (CFG scale): how closely the picture follows the prompt. 5–9 is usual."
        )

        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, MAX_SEED)
        self.seed_spin.setValue(random.randint(0, MAX_SEED))
        self.seed_spin.setToolTip("Seed: the same seed and settings give the same picture.")
        self.dice_button = QToolButton()
        self.dice_button.setText("Random")
        self.dice_button.setToolTip("Pick a random seed now")
        self.dice_button.clicked.connect(self.randomize_seed)
        self.new_seed_check = QCheckBox("new each time")
        self.new_seed_check.setToolTip("Pick a new random seed for every Generate")

        self.generate_button = QPushButton("Generate")
        self.generate_button.setToolTip("Queue a picture with these settings (Ctrl+Return)")
        self.generate_button.setMinimumHeight(36)
        self.generate_button.setDefault(True)
        font = self.generate_button.font()
        font.setBold(True)
        self.generate_button.setFont(font)
        self.generate_button.clicked.connect(self.generate_requested)

        self._build_layout()

    def _build_layout(self) -> None:
        seed_row = QHBoxLayout()
        seed_row.setContentsMargins(0, 0, 0, 0)
        seed_row.addWidget(self.seed_spin, 1)
        seed_row.addWidget(self.dice_button)
        seed_row.addWidget(self.new_seed_check)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        rows = (
            ("Model", self.model_combo, self.model_combo),
            ("Conditioning scale", self.conditioning_scale_slider, self.conditioning_scale_slider),
            ("Step fraction", self.step_fraction_slider, self.step_fraction_slider),
            ("Steps", self.steps_spin, self.steps_spin),
            ("Guidance", self.guidance_spin, self.guidance_spin),
            ("Seed", self.seed_spin, seed_row),
        )
        for text, buddy, field in rows:
            form.addRow(self._label(text, buddy), field)

        layout = QVBoxLayout(self)
        layout.addWidget(self._label("Prompt", self.prompt_edit))
        layout.addWidget(self.prompt_edit)
        layout.addWidget(self._label("Negative prompt", self.negative_edit))
        layout.addWidget(self.negative_edit)
        layout.addLayout(form)
        layout.addWidget(self.generate_button)
        layout.addStretch(1)

    @staticmethod
    def _label(text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(buddy)
        label.setToolTip(buddy.toolTip())
        return label

    @staticmethod
    def _lines_height(edit: QPlainTextEdit, lines: int) -> int:
        margins = edit.contentsMargins()
        frame = 2 * edit.frameWidth() + margins.top() + margins.bottom()
        return edit.fontMetrics().lineSpacing() * lines + 2 * 4 + frame

    # -- values -------------------------------------------------------------------------------
    def selected_model(self) -> ModelEntry:
        index = max(0, self.model_combo.currentIndex())
        return self.models[index]

    def randomize_seed(self) -> None:
        self.seed_spin.setValue(random.randint(0, MAX_SEED))

    def build_request(self, document: Document) -> GenerationRequest:
        """The request for the current settings, with the sketch as control when drawn on."""
        if self.new_seed_check.isChecked():
            self.randomize_seed()
        _label, model, family = self.selected_model()
        sketch = document.sketch_layer()
        controls: tuple[ControlSpec, ...] = ()
        if sketch is not None and not sketch.is_blank():
            controls = (
                ControlSpec(
                    "sketch",
                    sketch_control_image(sketch),
                    adapter=None,
                    conditioning_scale=self.conditioning_scale_slider.value(),
                ),
            )
        return GenerationRequest(
            model=model,
            family=family,
            prompt=self.prompt_edit.toPlainText().strip(),
            negative_prompt=self.negative_edit.toPlainText().strip(),
            seed=self.seed_spin.value(),
            steps=self.steps_spin.value(),
            guidance_scale=round(self.guidance_spin.value(), 2),
            width=document.width,
            height=document.height,
            scheduler="euler-a",
            adapter_conditioning_factor=self.step_fraction_slider.value(),
            controls=controls,
        )
