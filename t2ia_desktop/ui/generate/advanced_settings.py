"""The Generate panel's collapsible "Advanced" section: SDXL's second prompts, the refiner and
micro-conditioning.

Every value left alone gives the request's default, so a picture made without touching this
section is the one made before it existed. Sizes show as width × height and crop corners as
left, top; the request keeps diffusers' order, (height, width) and (top, left). SD1.5 models
have none of this: the section then says why and disables itself.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from t2ia_desktop.core.generation.request import DEMO_MODEL
from t2ia_desktop.core.generation.sdxl_extras import (
    CROP_FIELDS,
    DEFAULT_SDXL_REFINER,
    DEMO_REFINER,
    MAX_CONDITIONING_SIZE,
)
from t2ia_desktop.core.generation.settings import GenerationSettings
from t2ia_desktop.ui.common.binding import Binding, Bindings
from t2ia_desktop.ui.common.widgets import ValueSlider

SD15_REASON = ("SDXL only: SD1.5 models have one text encoder, no refiner and no size "
               "conditioning. Choose an SDXL model to use these.")

PAIR_ROWS: tuple[tuple[str, str, str], ...] = (
    ("original_size", "Original size",
     ("original_size: the size the picture pretends to have been before scaling. SDXL learned "
     "that small originals look blurry: a large one (e.g. 1024 × 1024) asks for crisp detail, a "
     "small one softens. Off: the picture's own size.")),
    ("target_size", "Target size",
     "target_size: the size the picture is composed for. Off: the picture's own size."),
    ("crops_coords_top_left", "Crop top-left",
     ("crops_coords_top_left: SDXL learned that cropped training pictures cut subjects off. "
     "(0, 0) centres the subject; larger values make it look cropped from that corner. "
     "Off: (0, 0).")),
    ("negative_original_size", "Negative original size",
     ("negative_original_size: an original size to steer away from, e.g. 512 × 512 to avoid "
     "the look of small, upscaled pictures. Off: the same as Original size.")),
    ("negative_target_size", "Negative target size",
     "negative_target_size: a target size to steer away from. Off: the same as Target size."),
    ("negative_crops_coords_top_left", "Negative crop top-left",
     ("negative_crops_coords_top_left: a crop corner to steer away from. Off: the same as "
     "Crop top-left.")),
)


class PairEditor(QWidget):
    """A micro-conditioning pair: a check box (off = the pipeline's default) and two numbers,
    shown width/left first."""

    changed = Signal()

    def __init__(self, name: str, tooltip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        is_crop = name in CROP_FIELDS
        self.check = QCheckBox()
        self.check.setToolTip(f"{tooltip}\nTick to set it.")
        self.first, self.second = QSpinBox(), QSpinBox()
        low = 0 if is_crop else 1
        for spin, word in ((self.first, "left" if is_crop else "width"),
                           (self.second, "top" if is_crop else "height")):
            spin.setRange(low, MAX_CONDITIONING_SIZE)
            spin.setSingleStep(8 if is_crop else 64)
            spin.setValue(0 if is_crop else 1024)
            spin.setEnabled(False)
            spin.setToolTip(f"{tooltip}\n({word} in pixels)")
            spin.valueChanged.connect(self.changed)
        self.check.toggled.connect(self.first.setEnabled)
        self.check.toggled.connect(self.second.setEnabled)
        self.check.toggled.connect(self.changed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.check)
        layout.addWidget(self.first, 1)
        layout.addWidget(QLabel("," if is_crop else "×"))
        layout.addWidget(self.second, 1)
        self.setToolTip(tooltip)

    def value(self) -> tuple[int, int] | None:
        """In diffusers' order: (height, width) or (top, left); None when off."""
        if not self.check.isChecked():
            return None
        return self.second.value(), self.first.value()

    def set_value(self, value: tuple[int, int] | None) -> None:
        if value is not None:
            self.second.setValue(value[0])
            self.first.setValue(value[1])
        self.check.setChecked(value is not None)


class AdvancedSettings(QWidget):
    """SDXL's extras, bound to their fields of ``settings``."""

    def __init__(self, settings: GenerationSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.toggle = QToolButton()
        self.toggle.setText("Advanced")
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setAutoRaise(True)
        self.toggle.setToolTip("Show SDXL's second prompts, the refiner and micro-conditioning")
        self.toggle.toggled.connect(self.set_expanded)

        self.reason = QLabel(SD15_REASON)
        self.reason.setWordWrap(True)
        self.prompt_2_edit = self._text_edit(
            "Same as the prompt",
            "Prompt 2 (prompt_2): what SDXL's second text encoder (OpenCLIP bigG) reads. "
            "Empty: the prompt. Some artists put the subject in Prompt and the style here.")
        self.negative_2_edit = self._text_edit(
            "Same as the negative prompt",
            "Negative prompt 2 (negative_prompt_2): what the second text encoder steers away "
            "from. Empty: the negative prompt.")

        self.refiner_combo = QComboBox()
        self.refiner_combo.setToolTip(
            "Refiner: a second model that paints the last steps (an ensemble of experts) for "
            "finer detail. It shares the base's second text encoder and VAE. Condition layers "
            "(adapters) guide only the base part, before the switch. With the canvas or a mask "
            "the base repaints up to the switch and the refiner finishes; at a Strength below "
            "the refiner's share the refiner alone repaints.")
        self.switch_slider = ValueSlider(0.05, 0.95, 0.05, 0.8)
        self.switch_slider.setToolTip(
            "Refiner switch (denoising_end / denoising_start): the share of the steps the base "
            "model runs before the refiner takes over. 0.8: the refiner paints the last 20 %.")
        self.aesthetic_spin = self._score_spin(
            6.0, "Aesthetic score (refiner only): the score the refiner aims for, 0–10. "
                 "The refiner was trained on it; 6 is its default.")
        self.negative_aesthetic_spin = self._score_spin(
            2.5, "Negative aesthetic score (refiner only): the score it steers away from; "
                 "2.5 is its default.")
        self.pairs = {name: PairEditor(name, tooltip) for name, _, tooltip in PAIR_ROWS}

        self.body = QWidget()
        form = QFormLayout(self.body)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(self.reason)
        rows: list[tuple[str, QWidget]] = [
            ("Prompt 2", self.prompt_2_edit), ("Negative prompt 2", self.negative_2_edit),
            ("Refiner", self.refiner_combo), ("Refiner switch", self.switch_slider),
            ("Aesthetic score", self.aesthetic_spin),
            ("Negative aesthetic", self.negative_aesthetic_spin),
        ]
        rows += [(label, self.pairs[name]) for name, label, _ in PAIR_ROWS]
        for text, field in rows:
            label = QLabel(text)
            label.setBuddy(field)
            label.setToolTip(field.toolTip())
            form.addRow(label, field)
        self.body.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.toggle)
        layout.addWidget(self.body)

        self.bindings = Bindings()
        self._show_model()
        for widget, name in ((self.prompt_2_edit, "prompt_2"),
                             (self.negative_2_edit, "negative_prompt_2"),
                             (self.switch_slider, "refiner_switch"),
                             (self.aesthetic_spin, "aesthetic_score"),
                             (self.negative_aesthetic_spin, "negative_aesthetic_score"),
                             (self.toggle, "advanced_open")):
            self.bindings.bind(widget, settings, name)
        self.bindings.add(Binding(self.refiner_combo, settings, "refiner",
                                  self.refiner_combo.currentData, self._show_refiner,
                                  self.refiner_combo.currentIndexChanged))
        for name, editor in self.pairs.items():
            self.bindings.add(Binding(editor, settings, name, editor.value, editor.set_value,
                                      editor.changed))
        settings.events.model.connect(self._show_model)
        settings.events.family.connect(self._show_model)
        settings.events.refiner.connect(self._on_refiner_changed)
        self._on_refiner_changed()

    def unbind(self) -> None:
        self.bindings.unbind_all()
        self.settings.events.model.disconnect(self._show_model)
        self.settings.events.family.disconnect(self._show_model)
        self.settings.events.refiner.disconnect(self._on_refiner_changed)

    def _text_edit(self, placeholder: str, tooltip: str) -> QPlainTextEdit:
        edit = QPlainTextEdit()
        edit.setPlaceholderText(placeholder)
        edit.setToolTip(tooltip)
        edit.setTabChangesFocus(True)
        edit.setFixedHeight(edit.fontMetrics().lineSpacing() * 2 + 14)
        return edit

    @staticmethod
    def _score_spin(value: float, tooltip: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(0.0, 10.0)
        spin.setSingleStep(0.5)
        spin.setDecimals(1)
        spin.setValue(value)
        spin.setToolTip(tooltip)
        return spin

    # -- state ------------------------------------------------------------------------------------
    def set_expanded(self, expanded: bool) -> None:
        if self.toggle.isChecked() != expanded:
            self.toggle.setChecked(expanded)
            return
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.body.setVisible(expanded)

    def _show_model(self, *_args: object) -> None:
        """Offer the refiners that fit the model; for SD1.5 disable the section and say why."""
        model, family = self.settings.model, self.settings.family
        choices: list[tuple[str, str | None]] = [("Off", None)]
        if model == DEMO_MODEL:
            choices.append(("demo refiner (random weights)", DEMO_REFINER))
        elif family == "sdxl":
            choices.append(("SDXL refiner 1.0", DEFAULT_SDXL_REFINER))
        self.refiner_combo.blockSignals(True)
        self.refiner_combo.clear()
        for label, ref in choices:
            self.refiner_combo.addItem(label, ref)
        self.refiner_combo.blockSignals(False)
        sdxl = family == "sdxl"
        self.reason.setVisible(not sdxl)
        for widget in self._fields():
            widget.setEnabled(sdxl)
        if self.settings.refiner_usable(self.settings.refiner):
            self._show_refiner(self.settings.refiner)
        else:
            self.settings.refiner = None  # e.g. the demo refiner under another model
        self._on_refiner_changed()

    def _show_refiner(self, refiner: str | None) -> None:
        """Show ``refiner``, adding a choice for one restored from a picture or project."""
        index = self.refiner_combo.findData(refiner)
        if index < 0 and refiner is not None:
            label = "SDXL refiner 1.0" if refiner == DEFAULT_SDXL_REFINER else refiner
            self.refiner_combo.addItem(label, refiner)
            index = self.refiner_combo.findData(refiner)
        self.refiner_combo.setCurrentIndex(max(0, index))

    def _fields(self) -> list[QWidget]:
        return [self.prompt_2_edit, self.negative_2_edit, self.refiner_combo,
                self.switch_slider, self.aesthetic_spin, self.negative_aesthetic_spin,
                *self.pairs.values()]

    def _on_refiner_changed(self, *_args: object) -> None:
        on = self.settings.family == "sdxl" and self.settings.refiner is not None
        for widget in (self.switch_slider, self.aesthetic_spin, self.negative_aesthetic_spin):
            widget.setEnabled(on)
