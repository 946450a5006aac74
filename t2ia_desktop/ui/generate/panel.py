"""The generate panel: prompts, model, sketch strength and sampling settings, and Generate.

The request's controls are the document's: every enabled, non-blank condition layer (the sketch
layer included), each with its own conditioning scale. "Sketch strength" here is the sketch
layer's scale, the same number as in its Layers row. Conditions the chosen model's family has no
adapter for are left out, and :attr:`GeneratePanel.skipped` names them.
"""

from __future__ import annotations

import math
import random
from typing import Any

from PySide6.QtCore import QTimer, Signal
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

from t2ia_desktop.core.conditions.registry import ConditionRegistry, default_registry
from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.core.document.generation_area import crop_request
from t2ia_desktop.core.generation.request import ControlSpec, GenerationRequest
from t2ia_desktop.session.edits import DocumentEdits
from t2ia_desktop.ui.common.widgets import (
    ModelConnections,
    ValueSlider,
    add_item_with_tooltip,
    buddy_label,
    conditioning_scale_slider,
)
from t2ia_desktop.ui.generate.advanced_settings import AdvancedSettings
from t2ia_desktop.ui.generate.lora_list import LoraList
from t2ia_desktop.ui.generate.source_mode import SourceModeControls
from t2ia_desktop.ui.generate.speed_presets import SamplingControls
from t2ia_desktop.ui.generate.vram_label import VramLabel

MAX_SEED = 2**31 - 1
"""The largest seed the spin box can show (Qt spin boxes hold 32-bit ints)."""
MAX_BATCH = 100
"""The most jobs one Generate queues (Batch)."""

ModelEntry = tuple[str, str, str]
"""(label shown to the artist, model reference for the engine, family: "sdxl" or "sd15")."""

SUMMARY_DELAY_MS = 120
"""Strokes change whether a layer is blank; the controls summary follows them this lazily."""


def controls_for_family(
    controls: tuple[ControlSpec, ...], registry: ConditionRegistry, family: str
) -> tuple[tuple[ControlSpec, ...], list[str]]:
    """The controls the family has adapters for, and the labels of those left out."""
    kept: list[ControlSpec] = []
    skipped: list[str] = []
    for control in controls:
        if control.condition in registry and family in registry.get(control.condition).adapters:
            kept.append(control)
        else:
            label = (registry.get(control.condition).label if control.condition in registry
                     else control.condition)
            if label not in skipped:
                skipped.append(label)
    return tuple(kept), skipped


def skipped_note(skipped: list[str], family: str) -> str:
    if not skipped:
        return ""
    names = ", ".join(skipped)
    return f"Left out {names}: no adapter for {family.upper()} models."


class GeneratePanel(QWidget):
    """Everything one generation needs besides the canvas; builds the request from it."""

    generate_requested = Signal()
    family_changed = Signal(str)
    settings_changed = Signal()  # any setting that :meth:`settings` returns

    def __init__(
        self,
        models: list[ModelEntry],
        document: Document | None = None,
        registry: ConditionRegistry | None = None,
        parent: QWidget | None = None,
        *,
        edits: DocumentEdits | None = None,
    ) -> None:
        super().__init__(parent)
        if not models:
            raise ValueError("the generate panel needs at least one model")
        self.models = list(models)
        self.document = document
        self.edits = edits or (DocumentEdits(document) if document is not None else None)
        self._own_edits = edits is None
        self.registry = registry or default_registry()
        self.skipped: list[str] = []
        """Labels of the conditions the last request left out (no adapter for its family)."""
        self._family = self.models[0][2]

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
            add_item_with_tooltip(self.model_combo, label, (ref, family),
                                  f"{ref} ({family.upper()})")
        self.model_combo.setToolTip("Model: the checkpoint that paints the picture.")
        self.model_combo.currentIndexChanged.connect(self._on_model_changed)

        self.conditioning_scale_slider = conditioning_scale_slider(
            "Sketch strength: the sketch layer's conditioning scale, how strongly your strokes "
            "steer the picture. 0 ignores them, 1 is the adapter's normal strength, 2 follows "
            "them rigidly. Other condition layers have their own, in Layers."
        )
        self.sketch_strength_slider = self.conditioning_scale_slider
        self.controls_label = QLabel()
        self.controls_label.setWordWrap(True)
        self.controls_label.setToolTip(
            "The controls Generate sends: enabled condition layers with something on them"
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
        self.batch_spin = QSpinBox()
        self.batch_spin.setRange(1, MAX_BATCH)
        self.batch_spin.setValue(1)
        self.batch_spin.setToolTip("Batch: how many pictures one Generate queues, with seeds "
                                   "s, s+1, s+2, … from the seed above")

        self.generate_button = QPushButton("Generate")
        self.generate_button.setToolTip("Queue a picture with these settings (Ctrl+Return)")
        self.generate_button.setMinimumHeight(36)
        self.generate_button.setDefault(True)
        font = self.generate_button.font()
        font.setBold(True)
        self.generate_button.setFont(font)
        self.generate_button.clicked.connect(self.generate_requested)

        self.source = SourceModeControls(self)  # text / canvas (img2img) / mask (inpaint)
        self.source.changed.connect(self.settings_changed)
        self.advanced = AdvancedSettings(self)  # prompt 2, refiner, micro-conditioning
        self.advanced.set_model(*self.selected_model()[1:])
        self.advanced.changed.connect(self.settings_changed)
        self.lora_list = LoraList(self)  # style LoRAs with weights
        self.sampling = SamplingControls(self.steps_spin, self.guidance_spin, self.lora_list, self)
        self.sampling.set_family(self._family)  # scheduler, speed presets, LoRAs
        self.sampling.changed.connect(self.settings_changed)
        self.vram_label = VramLabel(self)  # estimated peak memory, beside Generate
        self._build_layout()
        self.connections = ModelConnections()
        self.connections.drop_with(self)
        self._summary_timer = QTimer(self)
        self._summary_timer.setSingleShot(True)
        self._summary_timer.setInterval(SUMMARY_DELAY_MS)
        self._summary_timer.timeout.connect(self.update_summary)
        self.conditioning_scale_slider.valueChanged.connect(self._on_sketch_strength)
        if self.edits is not None:
            self.conditioning_scale_slider.slider.sliderReleased.connect(self.edits.seal)
        if document is not None:
            self._bind_document(document)
        for signal in (self.prompt_edit.textChanged, self.negative_edit.textChanged,
                       self.model_combo.currentIndexChanged,
                       self.step_fraction_slider.valueChanged, self.steps_spin.valueChanged,
                       self.guidance_spin.valueChanged, self.seed_spin.valueChanged,
                       self.new_seed_check.toggled):
            signal.connect(self.settings_changed)
        self.update_summary()

    def _bind_document(self, document: Document) -> None:
        """Keep Sketch strength and the sketch layer's conditioning scale the same number."""
        self._show_sketch_strength(document.sketch_layer())
        for signal in (document.layer_added, document.layer_removed, document.layer_changed):
            self.connections.connect(signal, self._on_layer_changed)
        self.connections.connect(document.pixels_changed, self._on_pixels_changed)

    def set_document(self, document: Document) -> None:
        """Build requests for another document (a new or opened one); the settings stay."""
        self.connections.disconnect_all()
        self.document = document
        if self._own_edits:
            if self.edits is None:
                self.edits = DocumentEdits(document)
                self.conditioning_scale_slider.slider.sliderReleased.connect(self.edits.seal)
            else:
                self.edits.set_document(document)
        self._bind_document(document)
        self.update_summary()

    def _show_sketch_strength(self, sketch: Layer | None) -> None:
        if sketch is None or sketch.condition is None:
            return
        slider = self.conditioning_scale_slider
        if abs(slider.value() - sketch.condition.conditioning_scale) > 1e-9:
            slider.blockSignals(True)
            slider.setValue(sketch.condition.conditioning_scale)
            slider.blockSignals(False)

    def _on_sketch_strength(self, value: float) -> None:
        sketch = self.document.sketch_layer() if self.document else None
        if (sketch is not None and sketch.condition is not None and self.edits is not None
                and sketch.condition.conditioning_scale != value):
            self.edits.set_condition(sketch, "conditioning_scale", value)

    def _on_layer_changed(self, layer: Layer) -> None:
        if layer.kind == "sketch":
            self._show_sketch_strength(layer)
        self.update_summary()

    def _on_pixels_changed(self, layer: Layer, _rect: tuple[int, int, int, int]) -> None:
        if layer.condition is not None and not self._summary_timer.isActive():
            self._summary_timer.start()

    def _on_model_changed(self, _index: int) -> None:
        family = self.selected_model()[2]
        self.advanced.set_model(self.selected_model()[1], family)
        self.sampling.set_family(family)
        if family != self._family:
            self._family = family
            self.family_changed.emit(family)
        self.update_summary()

    def family(self) -> str:
        return self.selected_model()[2]

    def update_summary(self) -> None:
        """Say which controls Generate will send, and which it leaves out."""
        if self.document is None:
            self.controls_label.hide()
            return
        self.source.update_for(self.document)
        family = self.family()
        sent, left_out = [], []
        for layer in self.document.condition_layers():
            settings = layer.condition
            if not settings.enabled or layer.is_blank():
                continue
            known = settings.condition in self.registry
            label = self.registry.get(settings.condition).label if known else settings.condition
            if known and family in self.registry.get(settings.condition).adapters:
                sent.append(f"{label} {settings.conditioning_scale:.2f}")
            else:
                left_out.append(label)
        text = "Controls: " + (", ".join(reversed(sent)) if sent else "none (free painting)")
        if left_out:
            text += f" · left out (no {family.upper()} adapter): {', '.join(left_out)}"
        self.controls_label.setText(text)
        self.controls_label.show()
        self.vram_label.schedule()  # the number of adapters may have changed

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
            ("Start from", self.source.mode_combo, self.source.mode_combo),
            ("Strength", self.source.strength_slider, self.source.strength_slider),
            ("Sketch strength", self.conditioning_scale_slider, self.conditioning_scale_slider),
            ("Step fraction", self.step_fraction_slider, self.step_fraction_slider),
            ("Steps", self.steps_spin, self.steps_spin),
            ("Guidance", self.guidance_spin, self.guidance_spin),
            ("Scheduler", self.sampling.scheduler_combo, self.sampling.scheduler_combo),
            ("Speed", self.sampling.speed_combo, self.sampling.speed_combo),
            ("LoRAs", self.lora_list.add_button, self.lora_list),
            ("Seed", self.seed_spin, seed_row),
            ("Batch", self.batch_spin, self.batch_spin),
        )
        for text, buddy, field in rows:
            form.addRow(buddy_label(text, buddy), field)

        layout = QVBoxLayout(self)
        layout.addWidget(buddy_label("Prompt", self.prompt_edit))
        layout.addWidget(self.prompt_edit)
        layout.addWidget(buddy_label("Negative prompt", self.negative_edit))
        layout.addWidget(self.negative_edit)
        layout.addLayout(form)
        layout.addWidget(self.advanced)
        layout.addWidget(self.controls_label)
        generate_row = QHBoxLayout()
        generate_row.addWidget(self.generate_button, 1)
        generate_row.addWidget(self.vram_label)
        layout.addLayout(generate_row)
        layout.addStretch(1)

    @staticmethod
    def _lines_height(edit: QPlainTextEdit, lines: int) -> int:
        margins = edit.contentsMargins()
        frame = 2 * edit.frameWidth() + margins.top() + margins.bottom()
        return edit.fontMetrics().lineSpacing() * lines + 2 * 4 + frame

    # -- values -------------------------------------------------------------------------------
    def selected_model(self) -> ModelEntry:
        index = max(0, self.model_combo.currentIndex())
        return self.models[index]

    def set_models(self, models: list[ModelEntry]) -> None:
        """Offer ``models`` instead (Models → Manage models… changed the list); the chosen
        model stays chosen while it is still offered."""
        if not models:
            raise ValueError("the generate panel needs at least one model")
        current = self.selected_model()[1]
        self.model_combo.blockSignals(True)
        self.models = list(models)
        self.model_combo.clear()
        for label, ref, family in self.models:
            add_item_with_tooltip(self.model_combo, label, (ref, family),
                                  f"{ref} ({family.upper()})")
        index = next((i for i, entry in enumerate(self.models) if entry[1] == current), 0)
        self.model_combo.setCurrentIndex(index)
        self.model_combo.blockSignals(False)
        if self.models[index][1] != current:  # the status bar and the family follow
            self.model_combo.currentIndexChanged.emit(index)

    def randomize_seed(self) -> None:
        self.seed_spin.setValue(random.randint(0, MAX_SEED))

    def build_request(self, document: Document) -> GenerationRequest:
        """The request for the current settings; its controls are the document's condition
        layers that the model's family has adapters for (see :attr:`skipped`), its size and
        images those of the document's generation area."""
        if self.new_seed_check.isChecked():
            self.randomize_seed()
        _label, model, family = self.selected_model()
        controls, self.skipped = controls_for_family(document.controls(), self.registry, family)
        request = GenerationRequest(
            model=model,
            family=family,
            prompt=self.prompt_edit.toPlainText().strip(),
            negative_prompt=self.negative_edit.toPlainText().strip(),
            seed=self.seed_spin.value(),
            steps=self.steps_spin.value(),
            guidance_scale=round(self.guidance_spin.value(), 2),
            width=document.width,
            height=document.height,
            **self.sampling.request_fields(),
            adapter_conditioning_factor=self.step_fraction_slider.value(),
            controls=controls,
            **self.source.request_fields(document),
            **self.advanced.request_fields(),
        )
        return crop_request(request, document.generation_area, (document.width, document.height))

    # -- settings kept in a project ---------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        """The generation settings a project keeps (JSON values), so it reopens with them."""
        _label, model, family = self.selected_model()
        return {
            "prompt": self.prompt_edit.toPlainText(),
            "negative_prompt": self.negative_edit.toPlainText(),
            "model": model,
            "family": family,
            "steps": self.steps_spin.value(),
            "guidance_scale": round(self.guidance_spin.value(), 2),
            "seed": self.seed_spin.value(),
            "new_seed_each_time": self.new_seed_check.isChecked(),
            "adapter_conditioning_factor": self.step_fraction_slider.value(),
            **self.advanced.settings(),
            **self.sampling.settings(),
        }

    def apply_settings(self, settings: dict[str, Any]) -> list[str]:
        """Show ``settings`` (from a project file); returns the names of values it could not
        use (a model not in the list, a value of the wrong type or out of range)."""
        ignored: list[str] = []

        def get(name: str, kind: type | tuple[type, ...]) -> Any:
            if name not in settings:
                return None
            value = settings[name]
            if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
                ignored.append(name)
                return None
            if isinstance(value, float) and not math.isfinite(value):
                ignored.append(name)
                return None
            return value

        def in_range(name: str, value: float | None, low: float, high: float) -> bool:
            if value is None:
                return False
            if not low <= value <= high:
                ignored.append(name)
                return False
            return True

        for name, edit in (("prompt", self.prompt_edit), ("negative_prompt", self.negative_edit)):
            text = get(name, str)
            if text is not None:
                edit.setPlainText(text)
        model = get("model", str)
        if model is not None:
            index = next((i for i, entry in enumerate(self.models) if entry[1] == model), -1)
            if index < 0:
                ignored.append("model")
            else:
                self.model_combo.setCurrentIndex(index)
        steps = get("steps", int)
        if in_range("steps", steps, self.steps_spin.minimum(), self.steps_spin.maximum()):
            self.steps_spin.setValue(steps)
        guidance = get("guidance_scale", (int, float))
        if in_range("guidance_scale", guidance, self.guidance_spin.minimum(),
                    self.guidance_spin.maximum()):
            self.guidance_spin.setValue(float(guidance))
        seed = get("seed", int)
        if in_range("seed", seed, 0, MAX_SEED):
            self.seed_spin.setValue(seed)
        new_seed = get("new_seed_each_time", bool)
        if new_seed is not None:
            self.new_seed_check.setChecked(new_seed)
        factor = get("adapter_conditioning_factor", (int, float))
        if in_range("adapter_conditioning_factor", factor, 0.0, 1.0):
            self.step_fraction_slider.setValue(float(factor))
        self.advanced.apply_settings(settings, ignored)
        self.sampling.apply_settings(settings, ignored)
        return ignored
