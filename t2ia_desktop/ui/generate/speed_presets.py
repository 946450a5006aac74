"""The Scheduler and Speed boxes of the Generate panel.

Choosing a speed preset (LCM-LoRA, SDXL-Lightning, Hyper-SD) fills in the scheduler, steps and
guidance its authors recommend; the artist may still change them afterwards. Presets the
model's family has no LoRA for are greyed out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QSpinBox

from t2ia_desktop.core.generation.sampling import (
    DEFAULT_SCHEDULER,
    NORMAL_SPEED,
    SCHEDULER_CHOICES,
    SPEED_BY_ID,
    SPEED_PRESETS,
)
from t2ia_desktop.ui.common.widgets import add_item_with_tooltip
from t2ia_desktop.ui.generate.lora_list import LoraList


def _choices_combo(choices: Sequence[Any], tooltip: str) -> QComboBox:
    """A combo box listing ``choices`` (each with a ``label``, an ``id`` as its data and a
    ``tooltip``), with ``tooltip`` for the box itself."""
    combo = QComboBox()
    for choice in choices:
        add_item_with_tooltip(combo, choice.label, choice.id, choice.tooltip)
    combo.setToolTip(tooltip)
    return combo


class SamplingControls(QObject):
    """Owns the Scheduler and Speed combo boxes and fills steps/guidance from presets."""

    changed = Signal()

    def __init__(self, steps_spin: QSpinBox, guidance_spin: QDoubleSpinBox,
                 lora_list: LoraList | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.steps_spin = steps_spin
        self.guidance_spin = guidance_spin
        self.lora_list = lora_list or LoraList()
        self.lora_list.changed.connect(self.changed)
        self.scheduler_combo = _choices_combo(
            SCHEDULER_CHOICES,
            "Scheduler (sampler): how each step removes noise. Euler a is the default; few-step "
            "LoRAs need their own (LCM, TCD, trailing).",
        )
        self.speed_combo = _choices_combo(
            SPEED_PRESETS,
            "Speed: a few-step LoRA (LCM-LoRA, SDXL-Lightning, Hyper-SD) that paints in 2–8 "
            "steps. Choosing one sets the scheduler, steps and guidance its authors recommend. "
            "Its weights come from the Hugging Face cache (downloaded once when online).",
        )
        self.set_scheduler(DEFAULT_SCHEDULER)
        self._before_preset: tuple[str, int, float] | None = None  # restored on "Normal"
        self.speed_combo.currentIndexChanged.connect(self._on_speed)
        self.scheduler_combo.currentIndexChanged.connect(self.changed)

    def scheduler(self) -> str:
        return self.scheduler_combo.currentData()

    def speed(self) -> str:
        return self.speed_combo.currentData()

    def set_scheduler(self, scheduler: str) -> bool:
        index = self.scheduler_combo.findData(scheduler)
        if index >= 0:
            self.scheduler_combo.setCurrentIndex(index)
        return index >= 0

    def set_speed(self, speed: str, *, fill: bool = True) -> bool:
        """Choose a preset; ``fill=False`` keeps steps, guidance and scheduler as they are
        (restoring saved settings, which carry their own)."""
        index = self.speed_combo.findData(speed)
        if index < 0 or not self._enabled(index):
            return False
        if not fill:
            self.speed_combo.blockSignals(True)
        self.speed_combo.setCurrentIndex(index)
        if not fill:
            self.speed_combo.blockSignals(False)
            self.changed.emit()
        return True

    def set_family(self, family: str) -> None:
        """Grey out presets without a LoRA for ``family``; fall back to Normal if needed."""
        model = self.speed_combo.model()
        assert isinstance(model, QStandardItemModel)
        for index, preset in enumerate(SPEED_PRESETS):
            usable = preset.id == NORMAL_SPEED or preset.file_for(family) is not None
            item = model.item(index)
            item.setEnabled(usable)
            item.setToolTip(preset.tooltip if usable
                            else f"{preset.tooltip} (no LoRA for {family.upper()} models)")
        if not self._enabled(self.speed_combo.currentIndex()):
            self.set_speed(NORMAL_SPEED)  # and back to the artist's own settings

    def _enabled(self, index: int) -> bool:
        model = self.speed_combo.model()
        assert isinstance(model, QStandardItemModel)
        return model.item(index).isEnabled()

    def _on_speed(self, _index: int) -> None:
        preset = SPEED_BY_ID[self.speed()]
        if preset.id == NORMAL_SPEED:
            if self._before_preset is not None:  # back to what the artist had
                scheduler, steps, guidance = self._before_preset
                self._before_preset = None
                self.set_scheduler(scheduler)
                self.steps_spin.setValue(steps)
                self.guidance_spin.setValue(guidance)
        else:
            if self._before_preset is None:
                self._before_preset = (self.scheduler(), self.steps_spin.value(),
                                       self.guidance_spin.value())
            self.set_scheduler(preset.scheduler or DEFAULT_SCHEDULER)
            if preset.steps is not None:
                self.steps_spin.setValue(preset.steps)
            if preset.guidance_scale is not None:
                self.guidance_spin.setValue(preset.guidance_scale)
        self.changed.emit()

    # -- requests and saved settings -------------------------------------------------------
    def request_fields(self) -> dict[str, Any]:
        return {"scheduler": self.scheduler(), "speed": self.speed(),
                "loras": self.lora_list.loras()}

    def settings(self) -> dict[str, Any]:
        return {"scheduler": self.scheduler(), "speed": self.speed(),
                "loras": self.lora_list.entries()}

    def apply_settings(self, settings: dict[str, Any], ignored: list[str]) -> None:
        """Show saved ``settings`` (a project's or a result's); names it cannot use go to
        ``ignored``. The saved scheduler wins over the speed preset's."""
        speed = settings.get("speed")
        if speed is not None and not (isinstance(speed, str) and self.set_speed(speed,
                                                                                fill=False)):
            ignored.append("speed")
        scheduler = settings.get("scheduler")
        if scheduler is not None and not (isinstance(scheduler, str)
                                          and self.set_scheduler(scheduler)):
            ignored.append("scheduler")
        loras = settings.get("loras")
        if loras is not None and (not isinstance(loras, list | tuple)
                                  or self.lora_list.set_entries(list(loras))):
            ignored.append("loras")
