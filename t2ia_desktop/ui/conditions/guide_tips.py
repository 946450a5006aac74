"""Words for the condition dock's *Guide* choice: what each guide is for a family, or why the
family has none, and what happens to a layer whose guide the family lacks."""

from __future__ import annotations

from t2ia_desktop.core.conditions.guides import (
    ADAPTER,
    CONTROLNET,
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
