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

from t2ia_desktop.core.errors import BadInput

DEMO_MODEL = "demo"
"""Model reference for the tiny random-weight pipeline the app writes itself (works offline)."""

DEFAULT_SDXL_MODEL = "stabilityai/stable-diffusion-xl-base-1.0"
DEFAULT_SDXL_VAE = "madebyollin/sdxl-vae-fp16-fix"

SCHEDULERS: dict[str, str] = {
    "euler-a": "EulerAncestralDiscreteScheduler",
    "euler": "EulerDiscreteScheduler",
    "dpmpp-2m": "DPMSolverMultistepScheduler",
    "unipc": "UniPCMultistepScheduler",
    "ddim": "DDIMScheduler",
}
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
    ``image`` is the control image itself (detectors have already run).
    """

    condition: str
    image: Image.Image = field(compare=False, repr=False)
    adapter: str | None = None
    conditioning_scale: float = 1.0

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
    adapter_conditioning_factor: float = 1.0
    controls: tuple[ControlSpec, ...] = ()

    def validate(self) -> GenerationRequest:
        """Raise :class:`BadInput` with an artist-readable reason; return self when fine."""
        if self.family not in ("sdxl", "sd15"):
            raise BadInput(f"family must be sdxl or sd15, not {self.family!r}")
        if not self.model:
            raise BadInput("no model chosen")
        if not 1 <= self.steps <= 500:
            raise BadInput(f"steps must be between 1 and 500, not {self.steps}")
        if not 0 <= self.seed < 2**63:
            raise BadInput(f"seed must be between 0 and 2^63-1, not {self.seed}")
        if not 0.0 <= self.guidance_scale <= 50.0:
            raise BadInput(f"guidance must be between 0 and 50, not {self.guidance_scale:g}")
        for name, value in (("width", self.width), ("height", self.height)):
            if not 64 <= value <= 4096 or value % SIZE_MULTIPLE:
                raise BadInput(
                    f"{name} must be a multiple of {SIZE_MULTIPLE} from 64 to 4096, not {value}"
                )
        if self.scheduler not in SCHEDULERS:
            raise BadInput(
                f"unknown scheduler {self.scheduler!r} (choose from {', '.join(SCHEDULERS)})"
            )
        if not 0.0 <= self.adapter_conditioning_factor <= 1.0:
            raise BadInput(
                "step fraction (adapter_conditioning_factor) must be between 0 and 1, "
                f"not {self.adapter_conditioning_factor:g}"
            )
        for control in self.controls:
            if not 0.0 <= control.conditioning_scale <= 2.0:
                raise BadInput(
                    f"conditioning scale of {control.condition} must be between 0 and 2, "
                    f"not {control.conditioning_scale:g}"
                )
        return self

    def with_changes(self, **changes: Any) -> GenerationRequest:
        return replace(self, **changes)

    def to_metadata(self) -> dict[str, Any]:
        """A JSON-ready description of the request; control images appear as hashes."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "controls"}
        data["controls"] = [
            {
                "condition": c.condition,
                "adapter": c.adapter,
                "conditioning_scale": c.conditioning_scale,
                "image_sha256": c.image_hash(),
            }
            for c in self.controls
        ]
        return data

    def summary(self) -> str:
        conditions = ", ".join(c.condition for c in self.controls) or "no controls"
        return f"{self.prompt[:60] or '(no prompt)'} — {conditions}, seed {self.seed}"
