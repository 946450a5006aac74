"""The *Guide* choice of a condition layer (the Condition dock's, and the Generate panel's for
the sketch layer): what each guide is for a family, or why the family has none, and what
happens to a layer whose guide the family lacks."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QWidget

from t2ia_desktop.core.conditions.guides import (
    ADAPTER,
    CONTROLNET,
    GUIDES,
    UNION,
    guide_label,
    guide_that_runs,
)
from t2ia_desktop.core.conditions.registry import ConditionType
from t2ia_desktop.core.errors import BadInput

_WHAT = {
    ADAPTER: "runs once per image: fast and light",
    CONTROLNET: "runs at every step: heavier, often holds structure better",
    UNION: "one ControlNet for several conditions, loaded once for all its layers",
}


def guide_tip(kind: ConditionType, guide: str, family: str) -> str:
    """The model that ``guide`` loads for ``kind`` on ``family`` and what it costs, or why
    there is none (the registry's refusal, naming what does work)."""
    try:
        model = kind.guide_model(family, guide)
    except BadInput as error:
        reason = str(error)
        return reason[:1].upper() + reason[1:] + "."
    return f"{guide_label(guide)} ({model}): {_WHAT[guide]}."


def family_note(kind: ConditionType, guide: str, family: str) -> str:
    """What Generate does with a layer set to ``guide`` on ``family`` ("" when it runs as
    set): the adapter instead, or the layer left out."""
    offered = kind.guides_for(family)
    runs = guide_that_runs(guide, offered)
    if runs == guide:
        return ""
    if runs == ADAPTER:
        return (f"No {guide_label(guide)} for {family.upper()} models: its T2I-Adapter "
                "guides it instead.")
    if offered:
        choices = " or ".join(guide_label(g) for g in offered)
        return (f"No {guide_label(guide)} for {family.upper()} models: choose {choices} as "
                "its guide, or it is left out when generating.")
    works = ", ".join(f.upper() for f in ("sdxl", "sd15") if kind.guides_for(f))
    return (f"No adapter for {family.upper()} models (it works with {works}): it is left out "
            "when generating.")


class GuideCombo(QComboBox):
    """T2I-Adapter / ControlNet / ControlNet Union; :meth:`show_guide` greys out what the family
    lacks (the reason in the entry's tooltip) and shows the layer's choice even then.
    ``guide_chosen`` is emitted for the artist's choices only."""

    guide_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        for guide in GUIDES:
            self.addItem(guide_label(guide), guide)
        self.activated.connect(self._on_activated)

    def show_guide(self, kind: ConditionType | None, guide: str, family: str) -> None:
        model = self.model()
        for row, offered in enumerate(GUIDES):
            item = model.item(row)
            item.setEnabled(kind is not None and offered in kind.guides_for(family))
            item.setToolTip(guide_tip(kind, offered, family) if kind else "Unknown condition")
        self.blockSignals(True)
        self.setCurrentIndex(max(self.findData(guide), 0))
        self.blockSignals(False)
        self.setToolTip(
            "What reads this control image while generating: the T2I-Adapter runs once "
            "(fast, light), a ControlNet at every step (heavier, may hold structure "
            "better).\n" + self.itemData(self.currentIndex(), Qt.ItemDataRole.ToolTipRole))

    def _on_activated(self, index: int) -> None:
        guide = self.itemData(index)
        if guide is not None:
            self.guide_chosen.emit(guide)
