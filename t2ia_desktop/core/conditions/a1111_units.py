"""Controls in A1111's ``parameters`` text, as the sd-webui-controlnet extension writes them.

Each control becomes one ``ControlNet N`` entry of the settings line (T2I-Adapters too: the
extension runs both and names the model), its fields joined with ", " and the whole quoted::

    ControlNet 0: "Module: canny, Model: control_v11p_sd15_canny, Weight: 1.0,
    Guidance Start: 0.0, Guidance End: 1.0, Control Mode: Balanced"

Reading one back gives the condition (from the module, or from the model's name when the module
is ``none``), the guide (from the model's name: T2I-Adapter, union or ControlNet), the weight
and the step range; a unit of a kind we have no condition for (IP-Adapter, reference…) gives
None. Model names are written without the hash A1111 appends (``[d14c016b]``): the app does not
hash the files it loads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from t2ia_desktop.core.conditions.guides import ADAPTER, CONTROLNET, UNION, UNION_CONTROLNETS
from t2ia_desktop.core.conditions.registry import builtin_conditions

MODULES: dict[str, str] = {
    "sketch": "scribble_pidinet",
    "lineart": "lineart_realistic",
    "canny": "canny",
    "depth-midas": "depth_midas",
    "depth-zoe": "depth_zoe",
    "openpose": "openpose",
    "color": "t2ia_color_grid",
}
"""The sd-webui-controlnet preprocessor ("module") that makes each condition's image."""

_MODULE_PREFIXES: tuple[tuple[str, str], ...] = (
    ("scribble", "sketch"), ("t2ia_sketch", "sketch"), ("pidinet", "sketch"),
    ("softedge", "sketch"), ("hed", "sketch"), ("lineart", "lineart"), ("canny", "canny"),
    ("depth_zoe", "depth-zoe"), ("depth_leres", "depth-midas"), ("depth", "depth-midas"),
    ("dw_openpose", "openpose"), ("openpose", "openpose"), ("t2ia_color", "color"),
)
"""Module names (by how they start) of A1111's preprocessors and the condition they make."""

_MODEL_WORDS: tuple[tuple[str, str], ...] = (
    ("canny", "canny"), ("lineart", "lineart"), ("zoe", "depth-zoe"), ("depth", "depth-midas"),
    ("openpose", "openpose"), ("keypose", "openpose"), ("scribble", "sketch"),
    ("sketch", "sketch"), ("softedge", "sketch"), ("color", "color"),
)
"""Words in a model's name that tell its condition when the module is ``none``."""

UNIT = re.compile(r"ControlNet \d+")
"""The names of the settings line's control entries."""


@dataclass(frozen=True)
class ControlUnit:
    """One control of a picture as A1111 tells it."""

    condition: str
    guide: str
    conditioning_scale: float = 1.0
    start: float = 0.0
    end: float = 1.0


def model_name(control: Any, family: str) -> str:
    """The short name of the model that guided ``control`` (a ControlSpec): its own adapter
    or ControlNet folder, else the registry's hub id, without the owner."""
    if control.guide == ADAPTER:
        reference = control.adapter or _builtin_model(control.condition, family, ADAPTER)
    elif control.guide == UNION:
        reference = control.controlnet or UNION_CONTROLNETS.get(family, "")
    else:
        reference = control.controlnet or _builtin_model(control.condition, family, CONTROLNET)
    name = re.split(r"[\\/]", reference.rstrip("/\\"))[-1] if reference else ""
    return name or control.condition


def unit_text(control: Any, family: str) -> str:
    """``control``'s entry value, quoted as A1111 quotes values holding commas."""
    fields = {
        "Module": MODULES.get(control.condition, "none"),
        "Model": model_name(control, family),
        "Weight": float(control.conditioning_scale),
        "Guidance Start": float(control.start),
        "Guidance End": float(control.end),
        "Control Mode": "Balanced",
    }
    text = ", ".join(f"{name}: {_plain(value)}" for name, value in fields.items())
    return f'"{text}"'


def units_text(controls: Any, family: str) -> str:
    """The ``ControlNet 0: "…", ControlNet 1: "…"`` part of a settings line ("" without)."""
    return ", ".join(f"ControlNet {number}: {unit_text(control, family)}"
                     for number, control in enumerate(controls))


def parse_unit(text: str) -> ControlUnit | None:
    """A unit's fields (``Module: canny, Model: …``) read back; None when it is not one of
    our conditions. Raises ValueError for a weight or range that is not a number."""
    fields: dict[str, str] = {}
    for item in text.split(","):
        name, _sep, value = item.partition(":")
        fields[name.strip().lower()] = value.strip()
    module = fields.get("module", "none").lower()
    model = fields.get("model", "").lower()
    condition = _condition_of_module(module) if module not in ("", "none") else None
    if condition is None:
        condition = next((c for word, c in _MODEL_WORDS if word in model), None)
    if condition is None:
        return None
    if "t2i" in model or "adapter" in model:
        guide = ADAPTER
    elif "union" in model or "promax" in model:
        guide = UNION
    else:
        guide = CONTROLNET
    return ControlUnit(condition, guide, float(fields.get("weight", 1.0)),
                       float(fields.get("guidance start", 0.0)),
                       float(fields.get("guidance end", 1.0)))


def _condition_of_module(module: str) -> str | None:
    return next((c for prefix, c in _MODULE_PREFIXES if module.startswith(prefix)), None)


def _builtin_model(condition: str, family: str, guide: str) -> str:
    kind = next((k for k in builtin_conditions() if k.id == condition), None)
    if kind is None:
        return ""
    table = kind.adapters if guide == ADAPTER else kind.controlnets
    return table.get(family, "")


def _plain(value: object) -> str:
    """A field value without the characters that would end it (A1111's parser splits at
    ", " and ": ")."""
    return str(value).replace(",", " ").replace(":", " ").replace('"', "'")
