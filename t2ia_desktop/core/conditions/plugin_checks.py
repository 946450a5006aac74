"""Checking what a condition plugin gives: its conditions, and its errors told in one line."""

from __future__ import annotations

import re
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any

from t2ia_desktop.core.conditions.registry import (
    FAMILIES,
    ConditionType,
    ParamSpec,
    builtin_conditions,
)
from t2ia_desktop.core.errors import BadInput

BUILTIN_DETECTORS = frozenset(str(c.detector) for c in builtin_conditions())


def describe_error(error: BaseException, folder: Path | None) -> str:
    """One line for the artist: the error, and where in the plugin's own code it happened."""
    if isinstance(error, BadInput):
        return str(error)
    text = f"{type(error).__name__}: {error}".strip().rstrip(":")
    frames = traceback.extract_tb(error.__traceback__)
    if isinstance(error, SyntaxError) and error.filename:
        return f"{text} ({error.filename}, line {error.lineno})"
    own = [f for f in frames if folder is None or _inside(f.filename, folder)]
    if own:
        text += f" ({own[-1].filename}, line {own[-1].lineno})"
    return text


def _inside(filename: str, folder: Path) -> bool:
    try:
        Path(filename).resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


# -- checking what a plugin registers ---------------------------------------------------------

def conditions_of(value: Any) -> list[ConditionType]:
    """The conditions a plugin's entry object stands for: a :class:`ConditionType`, a list of
    them, or a function returning either (called with no arguments)."""
    if callable(value) and not isinstance(value, ConditionType):
        value = value()
    items = [value] if isinstance(value, ConditionType) else value
    try:
        found = list(items)
    except TypeError:
        raise BadInput(f"the entry gave a {type(value).__name__}, not a ConditionType or a "
                       "list of them") from None
    if not found:
        raise BadInput("the entry gave no conditions")
    for item in found:
        if not isinstance(item, ConditionType):
            raise BadInput(f"the entry gave a {type(item).__name__} among its conditions; "
                           "each must be a ConditionType")
    return found


def prepare_condition(condition: ConditionType, folder: Path | None, source: str) -> ConditionType:
    """Check a plugin's condition and resolve its local adapter folders against ``folder``."""
    where = f"condition {condition.id!r}"
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", condition.id or ""):
        raise BadInput(f"{where}: an id must be lower-case letters, digits, '-', '_' or '.'")
    if not condition.label:
        raise BadInput(f"{where} has no label")
    if not condition.adapters:
        raise BadInput(f"{where} names no adapter; give one per family, such as "
                       "{'sdxl': 'TencentARC/t2i-adapter-sketch-sdxl-1.0'}")
    adapters = {}
    for family, adapter in condition.adapters.items():
        if family not in FAMILIES:
            raise BadInput(f"{where}: family {family!r} is not one of {', '.join(FAMILIES)}")
        local = folder / adapter if folder is not None else None
        adapters[family] = str(local.resolve()) if local is not None and local.is_dir() \
            else adapter
    if not callable(condition.detector) and condition.detector not in BUILTIN_DETECTORS:
        raise BadInput(f"{where}: its detector must be a function (image, params) -> image or "
                       f"a built-in detector's name ({', '.join(sorted(BUILTIN_DETECTORS))})")
    for spec in condition.params:
        if not isinstance(spec, ParamSpec):
            raise BadInput(f"{where}: its params must be ParamSpecs, not {type(spec).__name__}")
        try:
            spec.check(spec.default)
        except BadInput as error:
            raise BadInput(f"{where}: the default of {spec.name} does not fit: {error}") from None
    return replace(condition, adapters=adapters, source=source)
