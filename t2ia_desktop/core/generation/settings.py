"""The Generate inputs as one evented model: what the panel shows, a project keeps, a picture
gives back and ``t2ia-desktop generate`` reads — and the one place a request is built from.

Each field has a change signal (``settings.events.<field>``, psygnal); widgets bind to them both
ways and hold no generation logic. :meth:`GenerationSettings.to_dict` and
:meth:`~GenerationSettings.update_from_dict` are the versioned JSON form (projects, autosave);
:meth:`~GenerationSettings.request` builds the :class:`GenerationRequest` for given controls and
size, :meth:`~GenerationSettings.build_request` the one for a document.

Sketch strength is not here: it is the sketch layer's conditioning scale, an undoable change of
the document that its Layers row shows too.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, ClassVar

from psygnal import Signal, evented

from t2ia_desktop.core.conditions.guides import ADAPTER, guide_that_runs
from t2ia_desktop.core.conditions.registry import ConditionRegistry
from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.document.generation_area import crop_request
from t2ia_desktop.core.generation.request import DEMO_MODEL, ControlSpec, GenerationRequest
from t2ia_desktop.core.generation.sampling import (
    DEFAULT_SCHEDULER,
    LORA_WEIGHT_RANGE,
    NORMAL_SPEED,
    SCHEDULER_CHOICES,
    SPEED_BY_ID,
)
from t2ia_desktop.core.generation.sdxl_extras import DEMO_REFINER, PAIR_FIELDS, pair_or_none
from t2ia_desktop.core.generation.source import MODES, source_fields
from t2ia_desktop.core.image_history.query import SETTINGS_FROM_REQUEST

SETTINGS_VERSION = 1
"""The version :meth:`GenerationSettings.to_dict` writes; older dicts (no version) read as 1."""
MAX_SEED = 2**32 - 1
"""The largest seed: A1111's (and ComfyUI's common) range, which the panel's seed box shows."""
MAX_BATCH = 100
"""The most jobs one Generate queues (Batch)."""
STEPS_RANGE = (1, 150)
GUIDANCE_RANGE = (0.0, 20.0)
REFINER_SWITCH_RANGE = (0.05, 0.95)
AESTHETIC_RANGE = (0.0, 10.0)

ModelEntry = tuple[str, str, str]
"""(label shown to the artist, model reference for the engine, family: "sdxl" or "sd15")."""
LoraEntry = tuple[str, float, bool]
"""A style LoRA row: (path to a .safetensors file, weight, switched on)."""

SCHEDULER_IDS = frozenset(choice.id for choice in SCHEDULER_CHOICES)
NUMBERS: dict[str, tuple[type, tuple[float, float]]] = {
    "steps": (int, STEPS_RANGE),
    "guidance_scale": (float, GUIDANCE_RANGE),
    "seed": (int, (0, MAX_SEED)),
    "adapter_conditioning_factor": (float, (0.0, 1.0)),
    "strength": (float, (0.0, 1.0)),
    "batch": (int, (1, MAX_BATCH)),
    "refiner_switch": (float, REFINER_SWITCH_RANGE),
    "aesthetic_score": (float, AESTHETIC_RANGE),
    "negative_aesthetic_score": (float, AESTHETIC_RANGE),
}
"""Numeric settings: the kind each must be and the range it must lie in."""
TEXTS = ("prompt", "negative_prompt", "prompt_2", "negative_prompt_2")
FLAGS = ("new_seed_each_time", "advanced_open")
NOT_SAVED = frozenset({"models"})


@dataclass
class LeftOut:
    """What a request could not take as the document asked: the labels of the conditions left
    out (the family has nothing to guide them with) and of those a T2I-Adapter guides instead
    of a ControlNet the family lacks (e.g. a sketch layer set to ControlNet, on SDXL)."""

    skipped: list[str] = field(default_factory=list)
    adapter_instead: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.skipped or self.adapter_instead)


def controls_for_family(
    controls: tuple[ControlSpec, ...], registry: ConditionRegistry, family: str
) -> tuple[tuple[ControlSpec, ...], LeftOut]:
    """The controls the family can guide, and what was left out or changed.

    A control whose guide the family does not offer falls back to the condition's T2I-Adapter
    when the family has one (the layer keeps its choice: switching back to a family with that
    ControlNet uses it again); a control with neither is left out.
    """
    kept: list[ControlSpec] = []
    left_out = LeftOut()
    for control in controls:
        kind = registry.get(control.condition) if control.condition in registry else None
        offered = kind.guides_for(family) if kind is not None else ()
        label = kind.label if kind is not None else control.condition
        runs = guide_that_runs(control.guide, offered)
        if runs == control.guide:
            kept.append(control)
        elif runs == ADAPTER:
            kept.append(replace(control, guide=ADAPTER, controlnet=None))
            if label not in left_out.adapter_instead:
                left_out.adapter_instead.append(label)
        elif label not in left_out.skipped:
            left_out.skipped.append(label)
    return tuple(kept), left_out


def skipped_note(left_out: LeftOut | list[str], family: str) -> str:
    """What a status line says about the controls a request left out or guided otherwise."""
    if isinstance(left_out, list):
        left_out = LeftOut(skipped=left_out)
    notes = []
    if left_out.skipped:
        notes.append(f"Left out {', '.join(left_out.skipped)}: no adapter for "
                     f"{family.upper()} models.")
    if left_out.adapter_instead:
        notes.append(f"{', '.join(left_out.adapter_instead)}: no such ControlNet for "
                     f"{family.upper()} models, guided by the T2I-Adapter instead.")
    return " ".join(notes)


def _number(value: Any, kind: type, low: float, high: float) -> float | int | None:
    """``value`` when it is a finite number of ``kind`` within [low, high]; None otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if kind is int and not isinstance(value, int):
        return None
    if not math.isfinite(value) or not low <= value <= high:
        return None
    return kind(value)


@evented
@dataclass
class GenerationSettings:
    """Every Generate input; ``settings.events.<name>`` tells each change."""

    lora_files_missing: ClassVar[Signal] = Signal(list)
    """LoRA files a restore left out because they are gone (their paths)."""

    models: tuple[ModelEntry, ...] = ((("demo (random weights)", DEMO_MODEL, "sdxl")),)
    """The models offered (Models → Manage models… changes them); not saved."""
    model: str = DEMO_MODEL
    family: str = "sdxl"
    prompt: str = ""
    negative_prompt: str = ""
    mode: str = "txt2img"
    """What to start from: ``"txt2img"``, ``"img2img"`` (the canvas) or ``"inpaint"``."""
    strength: float = 0.75
    adapter_conditioning_factor: float = 1.0
    """Step fraction: the share of the steps during which the adapters guide."""
    steps: int = 30
    guidance_scale: float = 7.5
    scheduler: str = DEFAULT_SCHEDULER
    speed: str = NORMAL_SPEED
    loras: tuple[LoraEntry, ...] = ()
    seed: int = 0
    new_seed_each_time: bool = True
    """Generate picks a new seed each time (pressing it twice gives two pictures); off, the
    seed stays fixed (typing a seed turns it off)."""
    batch: int = 1
    prompt_2: str = ""
    negative_prompt_2: str = ""
    refiner: str | None = None
    refiner_switch: float = 0.8
    aesthetic_score: float = 6.0
    negative_aesthetic_score: float = 2.5
    original_size: tuple[int, int] | None = None
    target_size: tuple[int, int] | None = None
    crops_coords_top_left: tuple[int, int] | None = None
    negative_original_size: tuple[int, int] | None = None
    negative_target_size: tuple[int, int] | None = None
    negative_crops_coords_top_left: tuple[int, int] | None = None
    advanced_open: bool = False
    """Whether the panel's Advanced section is open (kept so a project reopens as it was)."""
    before_preset: tuple[str, int, float] | None = field(default=None, repr=False)
    """The scheduler, steps and guidance a speed preset replaced, given back at Normal."""

    @classmethod
    def for_models(cls, models: list[ModelEntry] | tuple[ModelEntry, ...],
                   **values: Any) -> GenerationSettings:
        """Settings offering ``models``, the first chosen, with a random seed (what a new
        window shows) unless ``values`` give one."""
        settings = cls(**{"seed": random.randint(0, MAX_SEED), **values})
        settings.set_models(models)
        settings.choose_model(values.get("model", settings.models[0][1]))
        return settings

    # -- models and speed presets -----------------------------------------------------------
    def set_models(self, models: list[ModelEntry] | tuple[ModelEntry, ...]) -> None:
        """Offer ``models``; the chosen model stays chosen while it is still offered."""
        if not models:
            raise ValueError("Generate needs at least one model")
        self.models = tuple(tuple(entry) for entry in models)  # type: ignore[misc]
        if self.entry(self.model) is None:
            self.choose_model(self.models[0][1])
        else:
            self.choose_model(self.model)

    def entry(self, model: str) -> ModelEntry | None:
        return next((entry for entry in self.models if entry[1] == model), None)

    def choose_model(self, model: str) -> bool:
        """Choose an offered model (its family follows); False when it is not offered."""
        entry = self.entry(model)
        if entry is None:
            return False
        self.family = entry[2]
        self.model = model
        if not self.speed_usable(self.speed):
            self.set_speed(NORMAL_SPEED)  # and back to the artist's own settings
        return True

    def speed_usable(self, speed: str) -> bool:
        preset = SPEED_BY_ID.get(speed)
        return preset is not None and (speed == NORMAL_SPEED
                                       or preset.file_for(self.family) is not None)

    def set_speed(self, speed: str, *, fill: bool = True) -> bool:
        """Choose a speed preset; ``fill`` sets its scheduler, steps and guidance (and Normal
        gives back what the artist had). False when the preset is unknown or has no LoRA for
        the family."""
        if not self.speed_usable(speed):
            return False
        preset = SPEED_BY_ID[speed]
        if fill and preset.id == NORMAL_SPEED and self.before_preset is not None:
            self.scheduler, self.steps, self.guidance_scale = self.before_preset
            self.before_preset = None
        elif fill and preset.id != NORMAL_SPEED:
            if self.before_preset is None:
                self.before_preset = (self.scheduler, self.steps, self.guidance_scale)
            self.scheduler = preset.scheduler or DEFAULT_SCHEDULER
            if preset.steps is not None:
                self.steps = preset.steps
            if preset.guidance_scale is not None:
                self.guidance_scale = preset.guidance_scale
        self.speed = speed
        return True

    def refiner_usable(self, refiner: str | None) -> bool:
        if refiner is None:
            return True
        return (isinstance(refiner, str) and bool(refiner) and self.family == "sdxl"
                and (refiner != DEMO_REFINER or self.model == DEMO_MODEL))

    def roll_seed(self) -> int:
        """A new random seed (the dice button)."""
        self.seed = random.randint(0, MAX_SEED)
        return self.seed

    def seed_for_next_run(self) -> int:
        """The seed Generate uses next: a new one with "new each time", else the same."""
        return self.roll_seed() if self.new_seed_each_time else self.seed

    # -- requests -----------------------------------------------------------------------------
    def request(self, width: int, height: int, controls: tuple[ControlSpec, ...] = (), *,
                sdxl_extras: bool | None = None, **images: Any) -> GenerationRequest:
        """The request these settings give for ``controls`` at ``width`` × ``height``;
        ``images`` are ``init_image`` / ``mask_image`` / ``strength`` (img2img, inpaint).
        The SDXL extras go in for SDXL models (``sdxl_extras=None``), or always (``True``: the
        command line, whose request then refuses extras an SD1.5 model cannot use)."""
        sdxl: dict[str, Any] = {}
        if sdxl_extras or (sdxl_extras is None and self.family == "sdxl"):
            sdxl = {
                "prompt_2": self.prompt_2.strip() or None,
                "negative_prompt_2": self.negative_prompt_2.strip() or None,
                "refiner": self.refiner,
                "refiner_switch": self.refiner_switch,
                "aesthetic_score": round(self.aesthetic_score, 2),
                "negative_aesthetic_score": round(self.negative_aesthetic_score, 2),
                **{name: getattr(self, name) for name in PAIR_FIELDS},
            }
        return GenerationRequest(
            model=self.model, family=self.family, prompt=self.prompt.strip(),
            negative_prompt=self.negative_prompt.strip(), seed=self.seed, steps=self.steps,
            guidance_scale=round(self.guidance_scale, 2), width=width, height=height,
            scheduler=self.scheduler, speed=self.speed,
            loras=tuple((path, weight) for path, weight, on in self.loras if on),
            adapter_conditioning_factor=self.adapter_conditioning_factor, controls=controls,
            **images, **sdxl,
        )

    def build_request(self, document: Document, registry: ConditionRegistry
                      ) -> tuple[GenerationRequest, LeftOut]:
        """The request for ``document``: its condition layers the family can guide (see
        :func:`controls_for_family`), the size and images of its generation area; and what was
        left out or guided by the adapter instead (:func:`skipped_note` words it)."""
        controls, skipped = controls_for_family(document.controls(), registry, self.family)
        request = self.request(document.width, document.height, controls,
                               **source_fields(document, self.mode, self.strength))
        size = (document.width, document.height)
        return crop_request(request, document.generation_area, size), skipped

    # -- JSON ---------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON values (pairs and LoRA rows as lists), versioned."""
        data: dict[str, Any] = {"version": SETTINGS_VERSION}
        for item in fields(self):
            if item.name in NOT_SAVED or item.name == "before_preset":
                continue
            value = getattr(self, item.name)
            if isinstance(value, tuple):
                value = [list(entry) if isinstance(entry, tuple) else entry for entry in value]
            data[item.name] = value
        return data

    def update_from_dict(self, data: dict[str, Any]) -> list[str]:
        """Take the values of ``data`` (a project's, a picture's or a request's); returns the
        names of those it could not use (a model not offered, a value of the wrong type or out
        of range, a LoRA file that is gone). Names it does not know are left alone."""
        if not isinstance(data, dict):
            return ["settings"]
        ignored: list[str] = []
        if "model" in data and not (isinstance(data["model"], str)
                                    and self.choose_model(data["model"])):
            ignored.append("model")
        self._update_values(data, ignored)
        if "seed" in data and "seed" not in ignored and "new_seed_each_time" not in data:
            self.new_seed_each_time = False  # a picture's seed, taken to make it again
        self._update_choices(data, ignored)
        self._update_pairs_and_loras(data, ignored)
        return ignored

    def update_from_request(self, metadata: dict[str, Any]) -> list[str]:
        """Take what a request tells (its :meth:`GenerationRequest.to_metadata`, as a result's
        PNG, the image history or the queue file keep it); returns the names not used."""
        return self.update_from_dict({name: metadata[name] for name in SETTINGS_FROM_REQUEST
                                      if name in metadata})

    def _update_values(self, data: dict[str, Any], ignored: list[str]) -> None:
        """Texts, numbers and switches."""
        for name in TEXTS:
            if name in data:
                value = data[name]
                if value is None and name.endswith("_2"):
                    value = ""
                self._take(name, value if isinstance(value, str) else None, ignored)
        for name, (kind, (low, high)) in NUMBERS.items():
            if name in data:
                self._take(name, _number(data[name], kind, low, high), ignored)
        for name in FLAGS:
            if name in data:
                self._take(name, data[name] if isinstance(data[name], bool) else None, ignored)

    def _update_pairs_and_loras(self, data: dict[str, Any], ignored: list[str]) -> None:
        for name in PAIR_FIELDS:
            if name in data:
                try:
                    setattr(self, name, pair_or_none(data[name]))
                except ValueError:
                    ignored.append(name)
        if "loras" in data:
            rows, missing = _lora_rows(data["loras"])
            self._take("loras", rows, ignored)
            if missing:
                ignored.append("loras")
                self.lora_files_missing.emit(missing)

    def _take(self, name: str, value: Any, ignored: list[str]) -> None:
        if value is None:
            ignored.append(name)
        else:
            setattr(self, name, value)

    def _update_choices(self, data: dict[str, Any], ignored: list[str]) -> None:
        """Mode, speed, scheduler and refiner: one of a set of choices each. The saved
        scheduler wins over the speed preset's."""
        if "mode" in data:
            self._take("mode", data["mode"] if data["mode"] in MODES else None, ignored)
        speed = data.get("speed")
        if speed is not None and not (isinstance(speed, str) and self.set_speed(speed,
                                                                                 fill=False)):
            ignored.append("speed")
        scheduler = data.get("scheduler")
        if scheduler is not None:
            self._take("scheduler", scheduler if scheduler in SCHEDULER_IDS else None, ignored)
        if "refiner" in data:
            refiner = data["refiner"]
            if self.refiner_usable(refiner):
                self.refiner = refiner
            else:
                ignored.append("refiner")


def _lora_rows(value: Any) -> tuple[tuple[LoraEntry, ...] | None, list[str]]:
    """LoRA rows from JSON ([path, weight] or [path, weight, on] each), and the files that
    are gone (left out); rows of the wrong shape are dropped; None when it is not a list."""
    if not isinstance(value, list | tuple):
        return None, []
    rows: list[LoraEntry] = []
    missing: list[str] = []
    for entry in value:
        if not isinstance(entry, list | tuple) or len(entry) not in (2, 3):
            continue
        path, weight = str(entry[0]), entry[1]
        on = bool(entry[2]) if len(entry) == 3 else True
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not (
                LORA_WEIGHT_RANGE[0] <= weight <= LORA_WEIGHT_RANGE[1]):
            weight = 1.0
        if Path(path).is_file():
            rows.append((path, float(weight), on))
        else:
            missing.append(path)
    return tuple(rows), missing
