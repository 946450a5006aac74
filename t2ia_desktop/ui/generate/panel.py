"""The generate panel: prompts, model, sketch strength and sampling settings, and Generate.

Every input is a field of :class:`GenerationSettings`, which builds the request; this panel only
shows and edits them. "Sketch strength" is the sketch layer's conditioning scale, the same number
as in its Layers row.
"""

from __future__ import annotations

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

from t2ia_desktop.core.conditions.guides import ADAPTER, guide_label, guide_that_runs
from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.core.generation.settings import (
    MAX_BATCH,
    MAX_SEED,
    GenerationSettings,
    ModelEntry,
)
from t2ia_desktop.session.session import Session
from t2ia_desktop.ui.common.binding import Binding, Bindings
from t2ia_desktop.ui.common.guide_combo import GuideCombo
from t2ia_desktop.ui.common.seed_box import SeedBox
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

SUMMARY_DELAY_MS = 120
"""Strokes change whether a layer is blank; the controls summary follows them this lazily."""


class GeneratePanel(QWidget):
    """The Generate inputs, bound to a :class:`GenerationSettings` both ways; the sketch
    strength slider is the document's sketch layer's conditioning scale."""

    generate_requested = Signal()

    def __init__(
        self,
        settings: GenerationSettings,
        session: Session,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        if session.registry is None:
            raise ValueError("the Generate panel needs a session with a condition registry")
        self.settings = settings
        self.document = document = session.document
        self.edits = session.edits
        self.registry = registry = session.registry

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
        self.model_combo.setToolTip("Model: the checkpoint that paints the picture.")
        self._show_models(settings.models)

        self.conditioning_scale_slider = conditioning_scale_slider(
            "Sketch strength: the sketch layer's conditioning scale, how strongly your strokes "
            "steer the picture. 0 ignores them, 1 is the adapter's normal strength, 2 follows "
            "them rigidly. Other condition layers have their own, in Layers."
        )
        self.sketch_strength_slider = self.conditioning_scale_slider
        self.sketch_guide_combo = GuideCombo()
        self.sketch_guide_combo.setObjectName("sketch_guide_combo")
        self.sketch_guide_combo.guide_chosen.connect(self._on_sketch_guide)
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

        self.seed_spin = SeedBox()  # seeds up to 2³²−1, beyond QSpinBox's range
        self.seed_spin.setRange(0, MAX_SEED)
        self.seed_spin.setToolTip("Seed: the same seed and settings give the same picture.")
        self.dice_button = QToolButton()
        self.dice_button.setText("Random")
        self.dice_button.setToolTip("Pick a random seed now")
        self.dice_button.clicked.connect(settings.roll_seed)
        self.new_seed_check = QCheckBox("new each time")
        self.new_seed_check.setToolTip("Pick a new random seed for every Generate (on by "
                                       "default); untick it, or type a seed, to keep one")
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

        self.source = SourceModeControls(settings, self)  # text / canvas / mask (inpaint)
        self.advanced = AdvancedSettings(settings, self)  # prompt 2, refiner, micro-cond.
        self.lora_list = LoraList(settings, self)  # style LoRAs with weights
        self.sampling = SamplingControls(settings, self)  # scheduler and speed presets
        self.vram_label = VramLabel(settings, registry, lambda: self.document, parent=self)
        self._build_layout()
        self.connections = ModelConnections()
        self.connections.drop_with(self)
        self._summary_timer = QTimer(self)
        self._summary_timer.setSingleShot(True)
        self._summary_timer.setInterval(SUMMARY_DELAY_MS)
        self._summary_timer.timeout.connect(self.update_summary)
        self.conditioning_scale_slider.valueChanged.connect(self._on_sketch_strength)
        self.conditioning_scale_slider.slider.sliderReleased.connect(self.edits.seal)
        self.bindings = Bindings()
        for widget, name in ((self.prompt_edit, "prompt"), (self.negative_edit, "negative_prompt"),
                             (self.step_fraction_slider, "adapter_conditioning_factor"),
                             (self.steps_spin, "steps"), (self.guidance_spin, "guidance_scale"),
                             (self.new_seed_check, "new_seed_each_time"),
                             (self.batch_spin, "batch")):
            self.bindings.bind(widget, settings, name)
        self.bindings.bind(self.seed_spin, settings, "seed", write=self._seed_by_hand)
        self.bindings.add(Binding(self.model_combo, settings, "model", self._combo_model,
                                  self._show_model, self.model_combo.currentIndexChanged,
                                  write=settings.choose_model))
        settings.events.models.connect(self._show_models)
        settings.events.family.connect(self.update_summary)
        self._bind_document(document)
        session.document_changed.connect(self.set_document)
        self.update_summary()

    def unbind(self) -> None:
        """Stop following the settings and the document (the window closes)."""
        self.connections.disconnect_all()
        self.bindings.unbind_all()
        self.settings.events.models.disconnect(self._show_models)
        self.settings.events.family.disconnect(self.update_summary)
        for part in (self.source, self.advanced, self.lora_list, self.sampling, self.vram_label):
            part.unbind()

    def _combo_model(self) -> str | None:
        data = self.model_combo.currentData()
        return data[0] if data else None

    def _show_model(self, model: str) -> None:
        index = next((i for i in range(self.model_combo.count())
                      if self.model_combo.itemData(i)[0] == model), -1)
        if index >= 0:
            self.model_combo.setCurrentIndex(index)

    def _show_models(self, models: tuple[ModelEntry, ...]) -> None:
        """Offer ``models`` (Models → Manage models… changed the list)."""
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        for label, ref, family in models:
            add_item_with_tooltip(self.model_combo, label, (ref, family),
                                  f"{ref} ({family.upper()})")
        self.model_combo.blockSignals(False)
        self._show_model(self.settings.model)

    def _bind_document(self, document: Document) -> None:
        """Keep Sketch strength and the sketch layer's conditioning scale the same number."""
        self._show_sketch_strength(document.sketch_layer())
        for signal in (document.layer_added, document.layer_removed, document.layer_changed):
            self.connections.connect(signal, self._on_layer_changed)
        self.connections.connect(document.pixels_changed, self._on_pixels_changed)

    def _seed_by_hand(self, seed: int) -> None:
        """A seed the artist chose is the one Generate keeps (the fixed seed)."""
        self.settings.new_seed_each_time = False
        self.settings.seed = seed

    def set_document(self, document: Document) -> None:
        """Build requests for another document (a new or opened one); the settings stay."""
        self.connections.disconnect_all()
        self.document = document
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
        sketch = self.document.sketch_layer()
        if (sketch is not None and sketch.condition is not None
                and sketch.condition.conditioning_scale != value):
            self.edits.set_condition(sketch, "conditioning_scale", value)

    def _on_sketch_guide(self, guide: str) -> None:
        sketch = self.document.sketch_layer()
        if sketch is not None and sketch.condition is not None:
            self.edits.set_condition(sketch, "guide", guide)

    def _show_sketch_guide(self) -> None:
        sketch = self.document.sketch_layer()
        kind = self.registry.get("sketch") if "sketch" in self.registry else None
        self.sketch_guide_combo.setVisible(sketch is not None and sketch.condition is not None)
        if sketch is not None and sketch.condition is not None:
            self.sketch_guide_combo.show_guide(kind, sketch.condition.guide, self.settings.family)

    def _on_layer_changed(self, layer: Layer) -> None:
        if layer.kind == "sketch":
            self._show_sketch_strength(layer)
        self.update_summary()

    def _on_pixels_changed(self, layer: Layer, _rect: tuple[int, int, int, int]) -> None:
        if layer.condition is not None and not self._summary_timer.isActive():
            self._summary_timer.start()

    def update_summary(self, *_args: object) -> None:
        """Say which controls Generate will send, and which it leaves out."""
        self.source.update_for(self.document)
        self._show_sketch_guide()
        family = self.settings.family
        sent, left_out = [], []
        for layer in self.document.condition_layers():
            settings = layer.condition
            if not settings.enabled or layer.is_blank():
                continue
            known = settings.condition in self.registry
            label = self.registry.get(settings.condition).label if known else settings.condition
            runs = (guide_that_runs(settings.guide, self.registry.get(settings.condition)
                                    .guides_for(family)) if known else None)
            if runs is not None:
                guide = "" if runs == ADAPTER else f" ({guide_label(runs)})"
                sent.append(f"{label}{guide} {settings.conditioning_scale:.2f}")
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

        sketch_row = QHBoxLayout()
        sketch_row.setContentsMargins(0, 0, 0, 0)
        sketch_row.addWidget(self.conditioning_scale_slider, 1)
        sketch_row.addWidget(self.sketch_guide_combo)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        rows = (
            ("Model", self.model_combo, self.model_combo),
            ("Start from", self.source.mode_combo, self.source.mode_combo),
            ("Strength", self.source.strength_slider, self.source.strength_slider),
            ("Sketch strength", self.conditioning_scale_slider, sketch_row),
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
        # The button under the prompts: on a laptop screen it shows without scrolling.
        generate_row = QHBoxLayout()
        generate_row.addWidget(self.generate_button, 1)
        generate_row.addWidget(self.vram_label)
        layout.addLayout(generate_row)
        layout.addWidget(self.controls_label)
        layout.addLayout(form)
        layout.addWidget(self.advanced)
        layout.addStretch(1)

    @staticmethod
    def _lines_height(edit: QPlainTextEdit, lines: int) -> int:
        margins = edit.contentsMargins()
        frame = 2 * edit.frameWidth() + margins.top() + margins.bottom()
        return edit.fontMetrics().lineSpacing() * lines + 2 * 4 + frame
