"""Generation settings read back from a picture: our request JSON, an A1111 ``parameters`` text,
or what ComfyUI, InvokeAI, NovelAI and Fooocus write (see core/pictures/generators.py).

A1111 (and tools that copy it: Forge, ComfyUI exporters, ours) writes::

    the prompt, possibly over several lines
    Negative prompt: what to avoid, possibly over several lines
    Steps: 30, Sampler: Euler a, CFG scale: 7, Seed: 1234, Size: 1024x1024, Model: ...

A1111 puts ``Schedule type: Karras`` on the settings line (newer versions) or the schedule in
the sampler's name ("DPM++ 2M Karras"); ``<lora:name:weight>`` tags in the prompt are taken out
and named. The text is read wherever the file keeps it (a PNG's text chunks before or after the
pixels, a JPEG's or WebP's EXIF UserComment) without decoding the pixels.
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
from t2ia_desktop.core.pictures import generators
from t2ia_desktop.core.pictures.picture_text import picture_texts

SAMPLERS = {
    "euler a": "euler-a", "euler_a": "euler-a", "euler ancestral": "euler-a",
    "euler": "euler",
    "dpm++ 2m": "dpmpp-2m", "dpm++ 2m karras": "dpmpp-2m-karras", "dpmpp_2m": "dpmpp-2m",
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

SOURCE_WORDS = {"t2ia": "its t2ia settings", "parameters": "its A1111 parameters",
                "comfyui": "its ComfyUI graph", "invokeai": "its InvokeAI metadata",
                "novelai": "its NovelAI metadata", "fooocus": "its Fooocus parameters"}
"""How the message names where the settings came from."""
LORA_TAG = re.compile(r"<lora:([^:>]+)(?::([^:>]*))?(?::[^>]*)?>", re.IGNORECASE)
_PARAM = re.compile(r'\s*([A-Za-z][\w \-/+.]*?)\s*:\s*("(?:\\.|[^\\"])*"|[^,]*)(?:,|$)')
_SIZE = re.compile(r"(\d+)\s*x\s*(\d+)")


@dataclass
class ImageSettings:
    """What a picture tells: Generate panel settings (request field names) and notes for the
    artist on what was left out."""

    settings: dict[str, Any]
    source: str  # "t2ia" (our JSON), "parameters" (A1111 text) or a key of SOURCE_WORDS
    notes: list[str] = field(default_factory=list)
    lora_tags: list[tuple[str, float]] = field(default_factory=list)
    """(name, weight) of the ``<lora:name:weight>`` tags taken out of the prompt."""
    controls: list[ControlUnit] = field(default_factory=list)
    """The picture's controls (condition, guide, weight, range), in order; their images are
    not in the picture: the document's condition layers make them."""


LORA_SUFFIXES = (".safetensors", ".ckpt", ".pt")
_LORA_NOTE = "LoRA tags taken out of the prompt"


def resolve_loras(found: ImageSettings, folders: list[Path]) -> None:
    """Put the picture's LoRA tags into its settings as LoRA rows where a file of that name
    lies in one of ``folders`` (where the artist's LoRAs are); the note says which were found
    and which were not (no folders: the note asks to add them)."""
    if not found.lora_tags or not folders:
        return
    rows, missing = [], []
    for name, weight in found.lora_tags:
        path = next((folder / f"{name}{suffix}" for folder in folders for suffix in LORA_SUFFIXES
                     if (folder / f"{name}{suffix}").is_file()), None)
        if path is None:
            missing.append(f"{name} ({weight:g})")
        else:
            rows.append([str(path), weight, True])
    found.notes = [note for note in found.notes if not note.startswith(_LORA_NOTE)]
    if rows:
        found.settings["loras"] = rows
        found.notes.append("LoRAs from the prompt's tags put in the LoRA list: " + ", ".join(
            f"{Path(path).stem} ({weight:g})" for path, weight, _ in rows))
    if missing:
        found.notes.append(f"{_LORA_NOTE}, no such file beside your LoRAs: "
                           + ", ".join(missing))


def parse_parameters(text: str) -> ImageSettings:
    """Settings from an A1111 ``parameters`` text; raise BadInput when it has none."""
    # 1. The prompt, the negative prompt (when there is one) and the settings line
    prompt, negative_prompt, params_line = _split_parameters_text(text)
    notes: list[str] = []
    tags: list[tuple[str, float]] = []
    prompt = _without_lora_tags(prompt, notes, tags)
    settings: dict[str, Any] = {"prompt": prompt}
    if negative_prompt is not None:
        settings["negative_prompt"] = _without_lora_tags(negative_prompt, notes, tags)
    # 2. Each "Name: value" of the settings line that the Generate panel takes
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
    _apply_schedule(settings, notes)
    # 3. A text with nothing in it is refused; what was left out is said
    if not settings["prompt"] and len(settings) == 1:
        raise BadInput("its parameters text holds no prompt or settings")
    if ignored:
        notes.append("ignored " + ", ".join(ignored[:8]) + (" …" if len(ignored) > 8 else ""))
    return ImageSettings(settings, "parameters", notes, lora_tags=tags, controls=controls)


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


def _without_lora_tags(prompt: str, notes: list[str],
                       found: list[tuple[str, float]]) -> str:
    """``prompt`` without its ``<lora:name:weight>`` tags, which a note names (and ``found``
    gets, with their weights)."""
    tags = LORA_TAG.findall(prompt)
    if not tags:
        return prompt
    for name, weight in tags:
        try:
            found.append((name.strip(), float(weight) if weight.strip() else 1.0))
        except ValueError:
            found.append((name.strip(), 1.0))
    named = ", ".join(f"{name} ({weight or '1'})" for name, weight in tags)
    notes.append(f"{_LORA_NOTE}: {named} (add them in the LoRA list)")
    text = re.sub(r"[ \t]+([,.])", r"\1", LORA_TAG.sub("", prompt))
    return re.sub(r"[ \t]{2,}", " ", text).strip(" ,\n")


def _apply_schedule(settings: dict[str, Any], notes: list[str]) -> None:
    """A1111's "Schedule type: Karras" with the sampler read: the Karras variant when this app
    offers one, else a note."""
    schedule = settings.pop("_schedule", "")
    sampler = settings.get("scheduler")
    if schedule.lower() != "karras" or sampler is None or sampler.endswith("-karras"):
        return
    if f"{sampler}-karras" in SCHEDULERS:
        settings["scheduler"] = f"{sampler}-karras"
    else:
        notes.append(f"the Karras schedule is not offered with {sampler} here (its own is "
                     "used)")


def _read_schedule(value: str, settings: dict[str, Any]) -> None:
    settings["_schedule"] = value.strip()


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
    "Schedule type": _read_schedule,
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
    return ImageSettings(settings, "t2ia", notes, controls=_controls(metadata.get("controls")))


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
    """The settings embedded in a picture: our JSON first, else what A1111, ComfyUI, InvokeAI,
    NovelAI or Fooocus wrote.

    Raises BadInput with what to do when the file cannot be read or carries no settings.
    """
    path = Path(path)
    try:
        with Image.open(path) as image:  # the header only: the pixels stay undecoded
            texts = picture_texts(path, image)
    except FileNotFoundError:
        raise BadInput(f"{path} does not exist") from None
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise BadInput(f"cannot read {path.name}: {getattr(error, 'strerror', None) or error}. "
                       "Choose a PNG, JPEG or WebP saved by a generator") from None
    ours, theirs = texts.get("t2ia"), texts.get("parameters")
    if ours is not None:
        try:
            return from_request_json(ours)
        except BadInput:
            if theirs is None:
                raise BadInput(f"{path.name}: its t2ia settings are damaged") from None
    if theirs is not None and not theirs.lstrip().startswith("{"):
        try:
            return parse_parameters(theirs)
        except BadInput as error:
            raise BadInput(f"{path.name}: {error}") from None
    for key, source, read in _FOREIGN:
        text = texts.get(key)
        if text is None:
            continue
        if key == "Comment" and "novelai" not in texts.get("Software", "").lower():
            continue
        try:
            settings, notes = read(text)
        except (ValueError, TypeError, AttributeError, KeyError) as error:
            raise BadInput(f"{path.name} was made with {source}, but its settings could not "
                           f"be read ({str(error)[:120]})") from None
        return ImageSettings(settings, key_source(key), notes)
    raise BadInput(_no_settings(path.name, texts))


_FOREIGN = (("prompt", "ComfyUI", generators.comfyui),
            ("invokeai_metadata", "InvokeAI", generators.invokeai),
            ("Comment", "NovelAI", generators.novelai),
            ("parameters", "Fooocus", generators.fooocus))
"""Text keys other generators write, who wrote them and their reader."""


def key_source(key: str) -> str:
    return {"prompt": "comfyui", "invokeai_metadata": "invokeai", "Comment": "novelai",
            "parameters": "fooocus"}[key]


def _no_settings(name: str, texts: dict[str, str]) -> str:
    """The truth about a picture without settings this app reads: who made it, if it says."""
    if "sd-metadata" in texts or "Dream" in texts:
        return (f"{name} was made with an older InvokeAI (sd-metadata), whose settings this app "
                "does not read")
    if "workflow" in texts:
        return (f"{name} holds a ComfyUI workflow but no prompt graph; its settings cannot be "
                "read here")
    software = texts.get("Software", "").strip()
    keys = ", ".join(sorted(texts)[:6])
    made = f" (made with {software[:40]})" if software else ""
    if keys:
        return (f"{name}{made} carries no generation settings this app reads; its text fields "
                f"are: {keys}")
    return (f"{name}{made} carries no generation settings (it holds no text at all); pictures "
            "saved by t2ia desktop, A1111, ComfyUI, InvokeAI, NovelAI or Fooocus have them "
            "unless an editor or web site removed them")


def _looks_like_params(line: str) -> bool:
    return line.startswith("Steps:") or bool(
        re.match(r"^\s*(Steps|Sampler|CFG scale|Seed|Size)\s*:", line)
        and len(_PARAM.findall(line)) >= 2)


def _scheduler(name: str) -> str | None:
    if name in SCHEDULERS:
        return name
    found = SAMPLERS.get(name.strip().lower())
    return found if found in SCHEDULERS else None
