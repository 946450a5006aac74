"""The Scheduler and Speed boxes of the Generate panel.

Choosing a speed preset (LCM-LoRA, SDXL-Lightning, Hyper-SD) fills in the scheduler, steps and
guidance its authors recommend (:meth:`GenerationSettings.set_speed`); the artist may still
change them afterwards. Presets the model's family has no LoRA for are greyed out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QComboBox

from t2ia_desktop.core.generation.sampling import (
    NORMAL_SPEED,
    SCHEDULER_CHOICES,
    SPEED_PRESETS,
)
from t2ia_desktop.core.generation.settings import GenerationSettings
from t2ia_desktop.ui.common.binding import Bindings
from t2ia_desktop.ui.common.widgets import add_item_with_tooltip


def _choices_combo(choices: Sequence[Any], tooltip: str) -> QComboBox:
    """A combo box listing ``choices`` (each with a ``label``, an ``id`` as its data and a
    ``tooltip``), with ``tooltip`` for the box itself."""
    combo = QComboBox()
    for choice in choices:
        add_item_with_tooltip(combo, choice.label, choice.id, choice.tooltip)
    combo.setToolTip(tooltip)
    return combo


class SamplingControls(QObject):
    """The Scheduler and Speed combo boxes, bound to ``settings``."""

    def __init__(self, settings: GenerationSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
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
        self.bindings = Bindings()
        self.bindings.bind(self.scheduler_combo, settings, "scheduler")
        self.bindings.bind(self.speed_combo, settings, "speed", write=settings.set_speed)
        settings.events.family.connect(self._show_family)
        self._show_family(settings.family)

    def unbind(self) -> None:
        self.bindings.unbind_all()
        self.settings.events.family.disconnect(self._show_family)

    def _show_family(self, family: str) -> None:
        """Grey out presets without a LoRA for ``family``."""
        model = self.speed_combo.model()
        assert isinstance(model, QStandardItemModel)
        for index, preset in enumerate(SPEED_PRESETS):
            usable = preset.id == NORMAL_SPEED or preset.file_for(family) is not None
            item = model.item(index)
            item.setEnabled(usable)
            item.setToolTip(preset.tooltip if usable
                            else f"{preset.tooltip} (no LoRA for {family.upper()} models)")
