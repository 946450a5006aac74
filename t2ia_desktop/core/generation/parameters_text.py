"""Generation settings read back from a picture: our request JSON, or an A1111 ``parameters`` text.

A1111 (and tools that copy it: Forge, ComfyUI exporters, ours) writes::

    the prompt, possibly over several lines
    Negative prompt: what to avoid, possibly over several lines
    Steps: 30, Sampler: Euler a, CFG scale: 7, Seed: 1234, Size: 1024x1024, Model: ...

Only the header of the file is read (text chunks come before the pixels), so a huge or broken
picture never gets decoded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from PIL import Image

from t2ia_desktop.core.conditions.a1111_units import UNIT, ControlUnit, parse_unit
from t2ia_desktop.core.conditions.guides import ADAPTER, GUIDES
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.request import SCHEDULERS, GenerationRequest
from t2ia_desktop.core.image_history.query import SETTINGS_FROM_REQUEST

SAMPLERS = {
    "euler a": "euler-a", "euler_a": "euler-a", "euler ancestral": "euler-a",
    "euler": "euler",
    "dpm++ 2m": "dpmpp-2m", "dpm++ 2m karras": "dpmpp-2m", "dpmpp_2m": "dpmpp-2m",
    "unipc": "unipc", "ddim": "ddim", "lcm": "lcm",
}
"""A1111 sampler names (lower case) → our scheduler ids; ours are accepted as they are."""

NOT_RESTORED = {
    "width": "size (the canvas sets it)", "height": "size (the canvas sets it)",
    "controls": "control images (the condition layers make them)",
    "init_image_sha256": "the init image (Start from sets it)",
    "mask_image_sha256": "the mask (Start from sets it)",
}
"""Request fields a picture carries that the Generate panel does not take, and why."""

_PARAM = re.compile(r'\s*([A-Za-z][\w \-/+.]*?)\s*:\s*("(?:\\.|[^\\"])*"|[^,]*)(?:,|$)')
_SIZE = re.compile(r"(\d+)\s*x\s*(\d+)")


@dataclass
class ImageSettings:
    """What a picture tells: Generate panel settings (request field names) and notes for the
    artist on what was left out."""

    settings: dict[str, Any]
    source: str  # "t2ia" (our request JSON) or "parameters" (A1111 text)
    notes: list[str] = field(default_factory=list)
    controls: list[ControlUnit] = field(default_factory=list)
    """The picture's controls (condition, guide, weight, range), in order; their images are
    not in the picture: the document's condition layers make them."""


def parse_parameters(text: str) -> ImageSettings:
    """Settings from an A1111 ``parameters`` text; raise BadInput when it has none."""
    # 1. The prompt, the negative prompt (when there is one) and the settings line
    prompt, negative_prompt, params_line = _split_parameters_text(text)
    settings: dict[str, Any] = {"prompt": prompt}
    if negative_prompt is not None:
        settings["negative_prompt"] = negative_prompt
    # 2. Each "Name: value" of the settings line that the Generate panel takes
    notes: list[str] = []
    ignored: list[str] = []
    controls: list[ControlUnit] = []
    for key, raw in _PARAM.findall(params_line):
        name, value = key.strip(), _unquoted(raw.strip())
        if UNIT.fullmatch(name):
            note = _read_unit(name, value, controls)
            if note:
                notes.append(note)
            continue
        reader = _SETTING_READERS.get(name)
        if reader is None:
            ignored.append(name)
            continue
        try:
            note = reader(value, settings)
        except ValueError:
            note = f"{name} “{value[:40]}” is not a number"
        if note:
            notes.append(note)
    # 3. A text with nothing in it is refused; what was left out is said
    if not settings["prompt"] and len(settings) == 1:
        raise BadInput("its parameters text holds no prompt or settings")
    if ignored:
        notes.append("ignored " + ", ".join(ignored[:8]) + (" …" if len(ignored) > 8 else ""))
    return ImageSettings(settings, "parameters", notes, controls)


def _read_unit(name: str, value: str, controls: list[ControlUnit]) -> str | None:
    """One sd-webui-controlnet entry into ``controls``; a note when it cannot be."""
    try:
        unit = parse_unit(value)
    except ValueError:
        return f"{name} has a weight or range that is not a number"
    if unit is None:
        return f"{name} ({value[:40]}) is not a condition here"
    controls.append(unit)
    return None


def _split_parameters_text(text: str) -> tuple[str, str | None, str]:
    """The prompt, the negative prompt (None without a ``Negative prompt:`` line) and the
    settings line (empty when the last line is not one)."""
    lines = text.strip().splitlines()
    params_line = ""
    if lines and _looks_like_params(lines[-1]):
        params_line = lines.pop()
    prompt_lines: list[str] = []
    negative_lines: list[str] | None = None
    for line in lines:
        if line.startswith("Negative prompt:"):
            negative_lines = negative_lines if negative_lines is not None else []
            line = line[len("Negative prompt:"):].lstrip()
        (negative_lines if negative_lines is not None else prompt_lines).append(line)
    negative = None if negative_lines is None else "\n".join(negative_lines).strip()
    return "\n".join(prompt_lines).strip(), negative, params_line


def _unquoted(value: str) -> str:
    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
        return value[1:-1]
    return value


def _read_sampler(value: str, settings: dict[str, Any]) -> str | None:
    scheduler = _scheduler(value)
    if scheduler is None:
        return f"sampler “{value}” is not offered here"
    settings["scheduler"] = scheduler
    return None


def _read_size(value: str, settings: dict[str, Any]) -> None:
    size = _SIZE.fullmatch(value)
    if size is None:
        raise ValueError(value)
    settings["width"], settings["height"] = int(size[1]), int(size[2])


def _setter(name: str, parse: Callable[[str], Any]) -> Callable[[str, dict[str, Any]], None]:
    def read(value: str, settings: dict[str, Any]) -> None:
        settings[name] = parse(value)
    return read


_SETTING_READERS: dict[str, Callable[[str, dict[str, Any]], str | None]] = {
    "Steps": _setter("steps", int),
    "CFG scale": _setter("guidance_scale", float),
    "Seed": _setter("seed", int),
    "Sampler": _read_sampler,
    "Size": _read_size,
    "Model": _setter("model", str),
}
"""A1111 setting names → a reader that puts the value into the settings (raising ValueError
for a bad number) and may return a note for the artist."""


def from_request_json(text: str) -> ImageSettings:
    """Settings from our ``t2ia`` request JSON; raise BadInput when it is not one."""
    try:
        metadata = json.loads(text)
    except ValueError:
        raise BadInput("its t2ia settings are not valid JSON") from None
    if not isinstance(metadata, dict):
        raise BadInput("its t2ia settings are not a JSON object")
    settings = {name: metadata[name] for name in SETTINGS_FROM_REQUEST if name in metadata}
    if "scheduler" in metadata:
        settings["scheduler"] = metadata["scheduler"]
    known = {f.name for f in fields(GenerationRequest)} | set(NOT_RESTORED)
    unknown = sorted(name for name in metadata if name not in known)
    notes = []
    left_out = sorted({NOT_RESTORED[name] for name in metadata
                       if name in NOT_RESTORED and metadata[name] not in (None, [], "")})
    if left_out:
        notes.append("not restored: " + ", ".join(left_out))
    if unknown:
        notes.append("ignored unknown fields (from another version?): "
                     + ", ".join(unknown[:8]) + (" …" if len(unknown) > 8 else ""))
    return ImageSettings(settings, "t2ia", notes, _controls(metadata.get("controls")))


def _controls(entries: Any) -> list[ControlUnit]:
    """The controls of our request JSON (those of the wrong shape are passed over)."""
    controls = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("condition"), str):
            continue
        guide = entry.get("guide", ADAPTER)
        numbers = [entry.get(name, default) for name, default in
                   (("conditioning_scale", 1.0), ("start", 0.0), ("end", 1.0))]
        if guide not in GUIDES or not all(isinstance(n, int | float) and not isinstance(n, bool)
                                          for n in numbers):
            continue
        controls.append(ControlUnit(entry["condition"], guide, *map(float, numbers)))
    return controls


def read_image_settings(path: str | Path) -> ImageSettings:
    """The settings embedded in a picture: our JSON first, else its A1111 text.

    Raises BadInput with what to do when the file cannot be read or carries no settings.
    """
    path = Path(path)
    try:
        with Image.open(path) as image:
            info = dict(image.info)  # the header's text chunks; the pixels stay undecoded
    except FileNotFoundError:
        raise BadInput(f"{path} does not exist") from None
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise BadInput(f"cannot read {path.name}: {getattr(error, 'strerror', None) or error}. "
                       "Choose a PNG saved by t2ia desktop or by A1111") from None
    ours, theirs = info.get("t2ia"), info.get("parameters")
    if isinstance(ours, str):
        try:
            return from_request_json(ours)
        except BadInput:
            if not isinstance(theirs, str):
                raise BadInput(f"{path.name}: its t2ia settings are damaged") from None
    if isinstance(theirs, str):
        try:
            return parse_parameters(theirs)
        except BadInput as error:
            raise BadInput(f"{path.name}: {error}") from None
    raise BadInput(f"{path.name} carries no generation settings (no t2ia or parameters text). "
                   "Pictures saved by t2ia desktop or A1111 have them; many editors and web "
                   "sites strip them")


def _looks_like_params(line: str) -> bool:
    return line.startswith("Steps:") or bool(
        re.match(r"^\s*(Steps|Sampler|CFG scale|Seed|Size)\s*:", line)
        and len(_PARAM.findall(line)) >= 2)


def _scheduler(name: str) -> str | None:
    if name in SCHEDULERS:
        return name
    found = SAMPLERS.get(name.strip().lower())
    return found if found in SCHEDULERS else None
