"""A plugin's detector, run so that whatever it does is one error on its layer, naming it.

It runs through the plugin guard (core/conditions/plugin_guard.py) on a helper thread: what it
raises (``SystemExit`` and ``KeyboardInterrupt`` too) becomes a :class:`T2IAError` naming the
plugin; one that does not return within :data:`TIME_LIMIT_S` is left running (a thread cannot be
stopped) while the detector thread goes on with the other layers, and its next runs are refused
at once until it has returned. What it returns is checked: a picture, in mode "L" or "RGB", at
the size of the picture it was given.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from t2ia_desktop.core.conditions.plugin_guard import PluginCodeFailed, call_plugin
from t2ia_desktop.core.conditions.registry import ConditionType
from t2ia_desktop.core.errors import T2IAError

TIME_LIMIT_S = 60.0
"""How long a plugin's detector may take for one picture before its layer gets an error."""
CONTROL_MODES = ("L", "RGB")


def run_plugin_detector(condition: ConditionType, image: Image.Image,
                        params: dict[str, Any]) -> Image.Image:
    """``condition``'s detector on a copy of ``image``; its failures and a result of the wrong
    type, mode or size raise one :class:`T2IAError` that names the plugin."""
    assert callable(condition.detector)
    try:
        control = call_plugin(condition.detector, image.copy(), params,
                              owner=condition.source, time_limit=TIME_LIMIT_S,
                              key=("detect", condition.source, condition.id))
    except PluginCodeFailed as failure:
        if isinstance(failure.error, T2IAError):
            raise failure.error from None  # already an artist's message (missing weights…)
        raise T2IAError(_failure_message(condition, failure)) from failure.error
    check_control(condition, control, image.size)
    return control


def _failure_message(condition: ConditionType, failure: PluginCodeFailed) -> str:
    detector = f"The {condition.label} detector"
    where = f" — from {condition.source}"
    if failure.kind == "raised":
        return f"{detector} failed: {_summary(str(failure))}{where}"
    if failure.kind == "timeout":
        return (f"{detector} did not finish in {TIME_LIMIT_S:g} s and is left running (a "
                "detector cannot be stopped); the other layers go on. Re-detect once it has "
                f"ended, or turn its plugin off in Help → Plugins…{where}")
    if failure.kind == "busy":
        return (f"{detector} is still running: {failure} (a detector cannot be stopped). "
                f"Re-detect once it has ended, or turn its plugin off in Help → Plugins…{where}")
    return f"{detector} was {failure}{where}"


def check_control(condition: ConditionType, control: object, size: tuple[int, int]) -> None:
    """A detector's result must be a picture, in mode "L" or "RGB", at the picture's size."""
    detector = f"The {condition.label} detector"
    where = f" — from {condition.source}"
    if not isinstance(control, Image.Image):
        raise T2IAError(f"{detector} returned a {type(control).__name__}, not a picture{where}")
    if control.mode not in CONTROL_MODES:
        raise T2IAError(f"{detector} returned a picture in mode {control.mode!r}; it must "
                        f"return \"L\" (lines and edges) or \"RGB\" (maps){where}")
    if control.size != size:
        raise T2IAError(f"{detector} returned a {control.width}×{control.height} picture for "
                        f"a {size[0]}×{size[1]} one; it must return the control image at the "
                        f"picture's size{where}")


def _summary(text: str, limit: int = 200) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    text = " ".join(lines[:2])
    return text if len(text) <= limit else text[: limit - 1] + "…"
