"""SDXL extras of a request: the refiner (ensemble of experts) and micro-conditioning.

The field names are diffusers' own, and so is the order of each pair: sizes are
``(height, width)`` and crop coordinates ``(top, left)``. ``None`` means the pipeline's default,
so a request that leaves them alone gives exactly the image it gave before they existed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from t2ia_desktop.core.errors import BadInput

if TYPE_CHECKING:
    from t2ia_desktop.core.generation.request import GenerationRequest

DEMO_REFINER = "demo-refiner"
"""Refiner reference for the tiny random-weight refiner the app writes itself (offline)."""

DEFAULT_SDXL_REFINER = "stabilityai/stable-diffusion-xl-refiner-1.0"

SIZE_FIELDS = ("original_size", "target_size", "negative_original_size", "negative_target_size")
CROP_FIELDS = ("crops_coords_top_left", "negative_crops_coords_top_left")
PAIR_FIELDS = SIZE_FIELDS + CROP_FIELDS
"""Micro-conditioning fields: each ``None`` or a pair of ints."""

MAX_CONDITIONING_SIZE = 8192

SDXL_SETTINGS = ("prompt_2", "negative_prompt_2", "refiner", "refiner_switch", *PAIR_FIELDS,
                 "aesthetic_score", "negative_aesthetic_score")
"""The request fields the Generate panel's Advanced section shows (and a project keeps)."""

WORDS = {
    "original_size": "original size", "target_size": "target size",
    "crops_coords_top_left": "crop top-left",
    "negative_original_size": "negative original size",
    "negative_target_size": "negative target size",
    "negative_crops_coords_top_left": "negative crop top-left",
    "aesthetic_score": "aesthetic score", "negative_aesthetic_score": "negative aesthetic score",
    "refiner": "refiner", "refiner_switch": "refiner switch",
    "prompt_2": "prompt 2", "negative_prompt_2": "negative prompt 2",
}
"""How the Advanced section names each field, for messages."""


def pair_or_none(value: Any) -> tuple[int, int] | None:
    """A JSON value (a list of two ints, or null) as a request's pair; raise ValueError else."""
    if value is None:
        return None
    if (isinstance(value, list | tuple) and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        return int(value[0]), int(value[1])
    raise ValueError(f"{value!r} is not a pair of whole numbers")


def validate_sdxl_extras(request: GenerationRequest) -> None:
    """Raise :class:`BadInput` with what to change when the extras do not fit the request."""
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
