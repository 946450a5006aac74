"""The Generate panel's collapsible "Advanced" section: SDXL's second prompts, the refiner and
micro-conditioning.

Every value left alone gives the request's default, so a picture made without touching this
section is the one made before it existed. Sizes show as width × height and crop corners as
left, top; the request keeps diffusers' order, (height, width) and (top, left). SD1.5 models
have none of this: the section then says why and disables itself.
"""

from __future__ import annotations

import math
from typing import Any

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
    PAIR_FIELDS,
    pair_or_none,
)
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
    """SDXL's extras; :meth:`request_fields` gives what they add to a request."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.family = "sdxl"
        self.model = ""
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
        self.refiner_combo.currentIndexChanged.connect(self._on_refiner_changed)
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

        for signal in (self.prompt_2_edit.textChanged, self.negative_2_edit.textChanged,
                       self.refiner_combo.currentIndexChanged, self.switch_slider.valueChanged,
                       self.aesthetic_spin.valueChanged,
                       self.negative_aesthetic_spin.valueChanged):
            signal.connect(self.changed)
        for editor in self.pairs.values():
            editor.changed.connect(self.changed)
        self.set_model(DEMO_MODEL, "sdxl")

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

    def set_model(self, model: str, family: str) -> None:
        """Offer the refiners that fit ``model``; for SD1.5 disable the section and say why."""
        self.model, self.family = model, family
        chosen = self.refiner()
        choices: list[tuple[str, str | None]] = [("Off", None)]
        if model == DEMO_MODEL:
            choices.append(("demo refiner (random weights)", DEMO_REFINER))
        elif family == "sdxl":
            choices.append(("SDXL refiner 1.0", DEFAULT_SDXL_REFINER))
        if chosen is not None and all(ref != chosen for _, ref in choices) and \
                (chosen != DEMO_REFINER or model == DEMO_MODEL) and family == "sdxl":
            choices.append((chosen, chosen))  # a refiner restored from a picture or project
        self.refiner_combo.blockSignals(True)
        self.refiner_combo.clear()
        for label, ref in choices:
            self.refiner_combo.addItem(label, ref)
        index = self.refiner_combo.findData(chosen) if chosen is not None else 0
        self.refiner_combo.setCurrentIndex(max(0, index))
        self.refiner_combo.blockSignals(False)
        sdxl = family == "sdxl"
        self.reason.setVisible(not sdxl)
        for widget in self._fields():
            widget.setEnabled(sdxl)
        self._on_refiner_changed()
        self.changed.emit()

    def _fields(self) -> list[QWidget]:
        return [self.prompt_2_edit, self.negative_2_edit, self.refiner_combo,
                self.switch_slider, self.aesthetic_spin, self.negative_aesthetic_spin,
                *self.pairs.values()]

    def _on_refiner_changed(self, _index: int = 0) -> None:
        on = self.family == "sdxl" and self.refiner() is not None
        for widget in (self.switch_slider, self.aesthetic_spin, self.negative_aesthetic_spin):
            widget.setEnabled(on)

    def refiner(self) -> str | None:
        return self.refiner_combo.currentData()

    # -- values -----------------------------------------------------------------------------------
    def request_fields(self) -> dict[str, Any]:
        """What the section adds to a request; SD1.5 gets the defaults."""
        if self.family != "sdxl":
            return {}
        return {
            "prompt_2": self.prompt_2_edit.toPlainText().strip() or None,
            "negative_prompt_2": self.negative_2_edit.toPlainText().strip() or None,
            "refiner": self.refiner(),
            "refiner_switch": self.switch_slider.value(),
            "aesthetic_score": round(self.aesthetic_spin.value(), 2),
            "negative_aesthetic_score": round(self.negative_aesthetic_spin.value(), 2),
            **{name: editor.value() for name, editor in self.pairs.items()},
        }

    def settings(self) -> dict[str, Any]:
        """The section's values as JSON values (pairs as lists), for projects."""
        values = {
            "prompt_2": self.prompt_2_edit.toPlainText(),
            "negative_prompt_2": self.negative_2_edit.toPlainText(),
            "refiner": self.refiner(),
            "refiner_switch": self.switch_slider.value(),
            "aesthetic_score": round(self.aesthetic_spin.value(), 2),
            "negative_aesthetic_score": round(self.negative_aesthetic_spin.value(), 2),
            "advanced_open": self.toggle.isChecked(),
        }
        for name, editor in self.pairs.items():
            pair = editor.value()
            values[name] = None if pair is None else list(pair)
        return values

    def apply_settings(self, settings: dict[str, Any], ignored: list[str]) -> None:
        """Show ``settings``; append the names of values it cannot use to ``ignored``."""
        for name, edit in (("prompt_2", self.prompt_2_edit),
                           ("negative_prompt_2", self.negative_2_edit)):
            if name in settings:
                value = settings[name]
                if value is None or isinstance(value, str):
                    edit.setPlainText(value or "")
                else:
                    ignored.append(name)
        if "refiner" in settings:
            self._apply_refiner(settings["refiner"], ignored)
        for name, spin, low, high in (
                ("refiner_switch", self.switch_slider, 0.05, 0.95),
                ("aesthetic_score", self.aesthetic_spin, 0.0, 10.0),
                ("negative_aesthetic_score", self.negative_aesthetic_spin, 0.0, 10.0)):
            if name not in settings:
                continue
            value = settings[name]
            if (isinstance(value, bool) or not isinstance(value, int | float)
                    or not math.isfinite(value) or not low <= value <= high):
                ignored.append(name)
            else:
                spin.setValue(float(value))
        for name in PAIR_FIELDS:
            if name not in settings:
                continue
            try:
                self.pairs[name].set_value(pair_or_none(settings[name]))
            except ValueError:
                ignored.append(name)
        opened = settings.get("advanced_open")
        if isinstance(opened, bool):
            self.set_expanded(opened)

    def _apply_refiner(self, value: Any, ignored: list[str]) -> None:
        if value is None:
            self.refiner_combo.setCurrentIndex(0)
            return
        if not isinstance(value, str) or not value or self.family != "sdxl" or (
                value == DEMO_REFINER and self.model != DEMO_MODEL):
            ignored.append("refiner")
            return
        if self.refiner_combo.findData(value) < 0:
            label = "SDXL refiner 1.0" if value == DEFAULT_SDXL_REFINER else value
            self.refiner_combo.addItem(label, value)
        self.refiner_combo.setCurrentIndex(self.refiner_combo.findData(value))
