"""The memory a run will need, shown next to Generate before it starts ("≈ 9.8 GB VRAM").

The figure comes from core/vram_estimate.py for the panel's settings under the memory plan the
engine would choose (core/memory_policy.py). The worker reports the device and the memory this
app may use on it after each job (``device_memory``); until the first job, the device is not
known (torch loads with it) and the figure assumes a GPU that fits everything. When the
estimate exceeds what is available, the label turns orange and its tooltip says what helps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QWidget

from t2ia_desktop.core.conditions.guides import ADAPTER, guide_that_runs
from t2ia_desktop.core.generation.checkpoints import memory_setting
from t2ia_desktop.core.generation.memory_policy import DeviceFacts, choose_memory_plan
from t2ia_desktop.core.generation.request import DEMO_MODEL
from t2ia_desktop.core.generation.vram_estimate import MemoryEstimate, estimate_for_plan
from t2ia_desktop.ui.common.widgets import ModelConnections

if TYPE_CHECKING:
    from t2ia_desktop.core.conditions.registry import ConditionRegistry
    from t2ia_desktop.core.document.document import Document
    from t2ia_desktop.core.generation.settings import GenerationSettings

REFRESH_DELAY_MS = 100
"""Slider drags and strokes change the inputs often; the figure follows this lazily."""

WARNING_STYLE = "color: #e07000; font-weight: bold;"
GB = 1024**3


class VramLabel(QLabel):
    """Estimated peak memory for the Generate panel's current settings."""

    def __init__(self, settings: GenerationSettings, registry: ConditionRegistry,
                 document: Callable[[], Document], memory: Callable[[], str] = memory_setting,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.registry = registry
        self.document = document
        """The document Generate paints now."""
        self.memory = memory
        self.facts: DeviceFacts | None = None
        """The device as the worker last reported it; ``None`` before the first job."""
        self.estimate: MemoryEstimate | None = None
        self.warning = False
        """Whether the estimate exceeds the memory the device has available."""
        self._document: Document | None = None
        self._connections = ModelConnections()
        self._connections.drop_with(self)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_DELAY_MS)
        self._timer.timeout.connect(self.refresh)
        settings.events.all.connect(self.schedule)
        self.refresh()

    def unbind(self) -> None:
        self.settings.events.all.disconnect(self.schedule)
        self._connections.disconnect_all()

    def set_device_facts(self, facts: DeviceFacts) -> None:
        """The worker's report: the device and the memory this app may use on it now."""
        self.facts = facts
        self.refresh()

    def schedule(self, *_args: object) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def guides(self) -> tuple[int, int]:
        """The adapters and the ControlNet models (each loaded once, a union model for all its
        layers) of the control layers Generate would send (enabled, painted, guided)."""
        document, family = self.document(), self.settings.family
        registry = self.registry
        adapters, controlnets = 0, set()
        for layer in document.condition_layers():
            settings = layer.condition
            if not settings.enabled or settings.condition not in registry or layer.is_blank():
                continue
            kind = registry.get(settings.condition)
            runs = guide_that_runs(settings.guide, kind.guides_for(family))
            if runs == ADAPTER:
                adapters += 1
            elif runs is not None:
                controlnets.add(kind.guide_model(family, runs))
        return adapters, len(controlnets)

    def adapters(self) -> int:
        """Control layers Generate would send with an adapter."""
        return self.guides()[0]

    def size(self) -> tuple[int, int]:
        """The size Generate paints: the document's generation area."""
        area = self.document().generation_area
        return area.width, area.height

    def refresh(self) -> None:
        self._follow_document()
        family = self.settings.family
        facts = self.facts or DeviceFacts("cuda")  # unknown yet: a GPU that fits everything
        plan = choose_memory_plan(facts, family, self.memory())
        refiner = family == "sdxl" and self.settings.refiner is not None
        width, height = self.size()
        adapters, controlnets = self.guides()
        self.estimate = estimate = estimate_for_plan(
            family, width, height, guidance_scale=self.settings.guidance_scale,
            adapters=adapters, controlnets=controlnets, refiner=refiner, plan=plan,
            device=facts.kind, demo=self.settings.model == DEMO_MODEL)
        available = facts.usable_memory() if self.facts is not None else None
        self.warning = estimate.exceeds(available)
        self.setText(estimate.text())
        self.setStyleSheet(WARNING_STYLE if self.warning else "")
        lines = [estimate.describe(), f"Memory plan: {plan.label()}."]
        if self.facts is None:
            lines.append("The device is known after the first job (this assumes a GPU).")
        elif available is not None:
            where = "RAM" if facts.kind == "cpu" else f"{facts.name or 'GPU'} memory"
            lines.append(f"Available: {available / GB:.1f} GB of {where}.")
        if self.warning:
            lines.insert(0, "More than the device has free: the run may stop out of memory. "
                            "Lower the size, use fewer control layers, choose Low VRAM in "
                            "Models → Memory, or close other apps.")
        self.setToolTip("\n".join(lines))

    def _follow_document(self) -> None:
        """Refresh when the generation area moves or resizes, for whichever document shows."""
        document = self.document()
        if document is self._document:
            return
        self._connections.disconnect_all()
        self._document = document
        self._connections.connect(document.generation_area_changed, self.schedule)
