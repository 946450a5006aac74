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


FAILURE_MARK = "⚠"
"""What marks a condition layer that cannot give a control image, wherever it is listed."""


def first_sentence(text: str, limit: int = 160) -> str:
    """The start of a long message, for a small space (the tooltip has all of it)."""
    for stop in (". ", "; ", ": "):
        if stop in text:
            text = text.split(stop, 1)[0] + ("." if stop == ". " else "…")
            break
    return text if len(text) <= limit else text[: limit - 1] + "…"


def failure_line(error: str, weights_missing: bool = False) -> str:
    """A condition layer's failure in one short line (its row; the tooltip and the Condition
    dock have the whole text)."""
    words = "Detector weights missing" if weights_missing else first_sentence(error, 80)
    return f"{FAILURE_MARK} {words}"
