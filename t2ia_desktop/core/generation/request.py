"""The immutable request that holds everything one generation needs.

The engine reads nothing but a :class:`GenerationRequest`; reproducibility and metadata come
from it for free.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, fields, replace
from typing import Any

from PIL import Image

from t2ia_desktop.core.conditions.guides import ADAPTER, GUIDES, guide_label
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.sampling import NORMAL_SPEED, SCHEDULER_CHOICES, validate_sampling
from t2ia_desktop.core.generation.sdxl_extras import (
    CROP_FIELDS,
    MAX_CONDITIONING_SIZE,
    PAIR_FIELDS,
    WORDS,
)

DEMO_MODEL = "demo"
"""Model reference for the tiny random-weight pipeline the app writes itself (works offline)."""

DEFAULT_SDXL_MODEL = "stabilityai/stable-diffusion-xl-base-1.0"
DEFAULT_SDXL_VAE = "madebyollin/sdxl-vae-fp16-fix"

SCHEDULERS: dict[str, str] = {c.id: c.class_name for c in SCHEDULER_CHOICES}
"""Scheduler names artists pick from, and the diffusers class built from the model's config."""

SIZE_MULTIPLE = 8

_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")


def is_hub_id(reference: str) -> bool:
    """Whether ``reference`` has the shape of a hub repository id, ``owner/name``."""
    return _HUB_ID.fullmatch(reference) is not None


@dataclass(frozen=True)
class ControlSpec:
    """One control: a control image, the adapter that reads it, and its strength.

    ``adapter`` is a hub id or a local folder; ``None`` means the model's own adapter for the
    condition (``MODEL/adapters/<condition>``), else the registry's hub id for the family.
    ``image`` is the control image itself (detectors have already run). ``start`` and ``end``
    are the step range during which it guides, as fractions of the steps that run (``[0, 1]``:
    all of them), on top of the request's ``adapter_conditioning_factor``.
    ``guide`` says what reads the image (core/conditions/guides.py): ``"adapter"`` (the
    T2I-Adapter at ``adapter``), ``"controlnet"`` or ``"union"`` (the ControlNet at
    ``controlnet``; ``None``: the registry's for the family). A ControlNet's range follows
    diffusers' ``control_guidance_start/end``; the adapter factor does not apply to it.
    """

    condition: str
    image: Image.Image = field(compare=False, repr=False)
    adapter: str | None = None
    conditioning_scale: float = 1.0
    start: float = 0.0
    end: float = 1.0
    guide: str = ADAPTER
    controlnet: str | None = None

    def image_hash(self) -> str:
        return hashlib.sha256(self.image.tobytes()).hexdigest()[:16]


@dataclass(frozen=True)
class GenerationRequest:
    """Everything one generation needs, frozen so a queued job never changes under the worker."""

    model: str
    prompt: str
    family: str = "sdxl"
    negative_prompt: str = ""
    prompt_2: str | None = None
    negative_prompt_2: str | None = None
    seed: int = 0
    steps: int = 30
    guidance_scale: float = 7.5
    width: int = 1024
    height: int = 1024
    scheduler: str = "euler-a"
    speed: str = NORMAL_SPEED
    """Few-step LoRA preset (core/sampling.py ``SPEED_PRESETS``); "normal": none."""
    loras: tuple[tuple[str, float], ...] = ()
    """Style LoRAs: (path to a .safetensors file, weight) each, applied together."""
    adapter_conditioning_factor: float = 1.0
    controls: tuple[ControlSpec, ...] = ()
    init_image: Image.Image | None = field(default=None, compare=False, repr=False)
    """img2img / inpainting: the picture to start from (scaled to width x height)."""
    strength: float = 0.75
    """How much of ``init_image`` is repainted: 0 keeps it, 1 ignores it."""
    mask_image: Image.Image | None = field(default=None, compare=False, repr=False)
    """Inpainting: white where to repaint, black where ``init_image`` is kept; its size."""
    refiner: str | None = None
    """SDXL refiner model (hub id, folder or :data:`DEMO_REFINER`); ``None``: no refiner."""
    refiner_switch: float = 0.8
    """Fraction of the steps the base runs (``denoising_end``); the refiner runs the rest."""
    original_size: tuple[int, int] | None = None
    """SDXL micro-conditioning, in diffusers' order (height, width); ``None``: its default."""
    target_size: tuple[int, int] | None = None
    crops_coords_top_left: tuple[int, int] | None = None
    """(top, left); ``None``: (0, 0), the pipelines' default."""
    negative_original_size: tuple[int, int] | None = None
    negative_target_size: tuple[int, int] | None = None
    negative_crops_coords_top_left: tuple[int, int] | None = None
    aesthetic_score: float = 6.0
    """Refiner only: the aesthetic score it is conditioned on (its pipeline's default 6)."""
    negative_aesthetic_score: float = 2.5

    @property
    def mode(self) -> str:
        """``"txt2img"``, ``"img2img"`` or ``"inpaint"``."""
        if self.init_image is None:
            return "txt2img"
        return "img2img" if self.mask_image is None else "inpaint"

    def validate(self) -> GenerationRequest:
        """Raise :class:`BadInput` with an artist-readable reason; return self when fine."""
        _check_model_and_numbers(self)
        validate_sampling(self)  # scheduler, speed preset, style LoRAs
        _check_controls(self)
        if not 0.0 <= self.strength <= 1.0:
            raise BadInput(f"strength must be between 0 and 1, not {self.strength:g}")
        _check_sdxl_extras(self)
        _check_mask(self)
        return self

    def with_changes(self, **changes: Any) -> GenerationRequest:
        return replace(self, **changes)

    def to_metadata(self) -> dict[str, Any]:
        """A JSON-ready description of the request; control images appear as hashes."""
        images = ("controls", "init_image", "mask_image")
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in images}
        data["loras"] = [[path, weight] for path, weight in self.loras]  # JSON lists
        data["controls"] = [
            {
                "condition": c.condition,
                "adapter": c.adapter,
                "guide": c.guide,
                "controlnet": c.controlnet,
                "conditioning_scale": c.conditioning_scale,
                "start": c.start,
                "end": c.end,
                "image_sha256": c.image_hash(),
            }
            for c in self.controls
        ]
        for name in images[1:]:
            image = getattr(self, name)
            if image is not None:
                data[f"{name}_sha256"] = hashlib.sha256(image.tobytes()).hexdigest()[:16]
        return data

    def summary(self) -> str:
        conditions = ", ".join(c.condition if c.guide == ADAPTER
                               else f"{c.condition} ({guide_label(c.guide)})"
                               for c in self.controls) or "no controls"
        return f"{self.prompt[:60] or '(no prompt)'} — {conditions}, seed {self.seed}"


def _check_model_and_numbers(request: GenerationRequest) -> None:
    if request.family not in ("sdxl", "sd15"):
        raise BadInput(f"family must be sdxl or sd15, not {request.family!r}")
    if not request.model:
        raise BadInput("no model chosen")
    if not 1 <= request.steps <= 500:
        raise BadInput(f"steps must be between 1 and 500, not {request.steps}")
    if not 0 <= request.seed < 2**63:
        raise BadInput(f"seed must be between 0 and 2^63-1, not {request.seed}")
    if not 0.0 <= request.guidance_scale <= 50.0:
        raise BadInput(f"guidance must be between 0 and 50, not {request.guidance_scale:g}")
    for name, value in (("width", request.width), ("height", request.height)):
        if not 64 <= value <= 4096 or value % SIZE_MULTIPLE:
            raise BadInput(
                f"{name} must be a multiple of {SIZE_MULTIPLE} from 64 to 4096, not {value}"
            )


def _check_controls(request: GenerationRequest) -> None:
    if not 0.0 <= request.adapter_conditioning_factor <= 1.0:
        raise BadInput(
            "step fraction (adapter_conditioning_factor) must be between 0 and 1, "
            f"not {request.adapter_conditioning_factor:g}"
        )
    for control in request.controls:
        if control.guide not in GUIDES:
            raise BadInput(f"guide of {control.condition} must be one of {', '.join(GUIDES)}, "
                           f"not {control.guide!r}")
        if not 0.0 <= control.conditioning_scale <= 2.0:
            raise BadInput(
                f"conditioning scale of {control.condition} must be between 0 and 2, "
                f"not {control.conditioning_scale:g}"
            )
        if not 0.0 <= control.start <= control.end <= 1.0:
            raise BadInput(
                f"step range of {control.condition} must satisfy 0 <= start <= end <= 1, "
                f"not {control.start:g}-{control.end:g}"
            )


def _check_sdxl_extras(request: GenerationRequest) -> None:
    """The refiner and micro-conditioning (core/generation/sdxl_extras.py) fit the request."""
    for name in PAIR_FIELDS:
        value = getattr(request, name)
        if value is None:
            continue
        low = 0 if name in CROP_FIELDS else 1
        if (not isinstance(value, tuple) or len(value) != 2
                or not all(isinstance(v, int) and low <= v <= MAX_CONDITIONING_SIZE
                           for v in value)):
            raise BadInput(f"{WORDS[name]} must be two whole numbers from {low} to "
                           f"{MAX_CONDITIONING_SIZE}, not {value!r}")
    for name in ("aesthetic_score", "negative_aesthetic_score"):
        value = getattr(request, name)
        if not 0.0 <= value <= 10.0:
            raise BadInput(f"{WORDS[name]} must be between 0 and 10, not {value:g}")
    if request.family != "sdxl":
        used = [WORDS[name] for name in (*PAIR_FIELDS, "prompt_2", "negative_prompt_2",
                                         "refiner")
                if getattr(request, name) not in (None, "")]
        if used:
            raise BadInput(f"{', '.join(used)} work only with SDXL models; clear them or "
                           "choose an SDXL model")
    if request.refiner is not None:
        if not request.refiner:
            raise BadInput("no refiner chosen; choose one or turn the refiner off")
        if not 0.0 < request.refiner_switch < 1.0:
            raise BadInput("refiner switch must be between 0 and 1 (exclusive), not "
                           f"{request.refiner_switch:g}")


def _check_mask(request: GenerationRequest) -> None:
    if request.mask_image is None:
        return
    if request.init_image is None:
        raise BadInput("a mask needs an init image to inpaint (give --init-image)")
    if request.mask_image.size != request.init_image.size:
        raise BadInput(
            f"the mask is {request.mask_image.size[0]}x{request.mask_image.size[1]} but the "
            f"init image is {request.init_image.size[0]}x{request.init_image.size[1]}; "
            "use a mask of the same size"
        )
