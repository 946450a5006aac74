"""Colours and words every panel uses alike: errors in red, notes and hand-edited control
images in orange, muted hints in the palette's mid tone."""

from __future__ import annotations

from t2ia_desktop.core.conditions.registry import ConditionRegistry

ERROR_STYLE = "color: #d03030;"
EDITED_STYLE = "color: #c87814; font-style: italic;"
NOTE_STYLE = "color: #c87814;"
MUTED_STYLE = "color: palette(mid);"
EDITED_TIP = ("You painted on this control image, so it no longer follows its source. "
              "Re-detect to follow the source again (your strokes on it are replaced).")


def condition_label(registry: ConditionRegistry | None, condition: str) -> str:
    if registry is not None and condition in registry:
        return registry.get(condition).label
    return condition
