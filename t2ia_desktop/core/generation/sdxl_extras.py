"""SDXL extras of a request: the refiner (ensemble of experts) and micro-conditioning.

The field names are diffusers' own, and so is the order of each pair: sizes are
``(height, width)`` and crop coordinates ``(top, left)``. ``None`` means the pipeline's default,
so a request that leaves them alone gives exactly the image it gave before they existed.
"""

from __future__ import annotations

from typing import Any

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
