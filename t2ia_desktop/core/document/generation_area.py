"""The generation area: the part of the canvas a generation covers and where its result lands.

A rectangle on the 8-pixel grid (the VAE works in blocks of 8), at least 64 pixels a side when
the canvas allows, always inside the canvas. A document without one of its own generates over
the whole canvas (:func:`whole_canvas`) and keeps doing so when the canvas is resized.

:func:`crop_request` turns a request built from the whole canvas into one for the area: its size,
and its control, init and mask images cut to the area. :func:`placed` puts a generated picture
back at the area's position on a transparent canvas-sized layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.request import GenerationRequest

AREA_STEP = 8
"""Position and size snap to multiples of this (the VAE's 8× downscale)."""
MIN_AREA_SIDE = 64
"""The smallest side a generation takes (GenerationRequest.validate)."""
MAX_AREA_SIDE = 4096


@dataclass(frozen=True)
class GenerationArea:
    """A rectangle of canvas pixels: top-left corner and size."""

    x: int
    y: int
    width: int
    height: int

    @property
    def origin(self) -> tuple[int, int]:
        return self.x, self.y

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    @property
    def rect(self) -> tuple[int, int, int, int]:
        return self.x, self.y, self.width, self.height

    @property
    def box(self) -> tuple[int, int, int, int]:
        """Left, top, right, bottom (PIL's crop box)."""
        return self.x, self.y, self.x + self.width, self.y + self.height

    def moved(self, dx: int, dy: int) -> GenerationArea:
        return GenerationArea(self.x + dx, self.y + dy, self.width, self.height)

    def label(self) -> str:
        """The size as the frame shows it: ``1024 × 768``."""
        return f"{self.width} × {self.height}"

    def to_json(self) -> dict[str, int]:
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height}


def snap(value: float) -> int:
    """The nearest multiple of :data:`AREA_STEP`."""
    return math.floor(value / AREA_STEP + 0.5) * AREA_STEP


def _floor(value: int) -> int:
    return value // AREA_STEP * AREA_STEP


def whole_canvas(width: int, height: int) -> GenerationArea:
    """The default area: the whole canvas (its size rounded down to the 8-pixel grid)."""
    return GenerationArea(0, 0, max(AREA_STEP, min(MAX_AREA_SIDE, _floor(width))),
                          max(AREA_STEP, min(MAX_AREA_SIDE, _floor(height))))


def fit_area(area: GenerationArea, width: int, height: int) -> GenerationArea:
    """``area`` snapped to the grid, no smaller than 64 (or the canvas), inside a
    ``width`` × ``height`` canvas: too large is shrunk, outside is moved in."""
    whole = whole_canvas(width, height)
    sides = []
    for side, most in ((area.width, whole.width), (area.height, whole.height)):
        sides.append(max(min(MIN_AREA_SIDE, most), min(most, snap(side))))
    w, h = sides
    x = max(0, min(_floor(width - w), snap(area.x)))
    y = max(0, min(_floor(height - h), snap(area.y)))
    return GenerationArea(x, y, w, h)


def centered(size: tuple[int, int], width: int, height: int) -> GenerationArea:
    """An area of ``size`` (fitted to the canvas) in the middle of the canvas."""
    w, h = fit_area(GenerationArea(0, 0, *size), width, height).size
    return fit_area(GenerationArea(snap((width - w) / 2), snap((height - h) / 2), w, h),
                    width, height)


def crop_request(request: GenerationRequest, area: GenerationArea,
                 canvas: tuple[int, int]) -> GenerationRequest:
    """``request`` (built from the whole ``canvas``) for ``area``: its width and height, and
    each control, init and mask image cut to the area. Unchanged when the area covers it all."""
    if area.origin == (0, 0) and area.size == canvas:
        return request

    def cut(image: Image.Image | None) -> Image.Image | None:
        if image is None:
            return None
        if image.size != canvas:  # not a canvas image: scale it first, as the engine would
            image = image.resize(canvas, Image.Resampling.LANCZOS)
        return image.crop(area.box)

    controls = tuple(replace(control, image=cut(control.image)) for control in request.controls)
    mask = cut(request.mask_image)
    if mask is not None and not np.asarray(mask).any():
        raise BadInput("the mask has nothing painted inside the generation area: paint white "
                       "inside the frame, or move the frame (Generation area tool, A) over it")
    return request.with_changes(width=area.width, height=area.height, controls=controls,
                                init_image=cut(request.init_image), mask_image=mask)


def placed(image: Image.Image, origin: tuple[int, int], width: int, height: int) -> np.ndarray:
    """``image`` as straight RGBA pixels of a ``width`` × ``height`` canvas, its top-left corner
    at ``origin``, transparent elsewhere (what lies outside the canvas is cut off)."""
    pixels = np.zeros((height, width, 4), np.uint8)
    picture = np.asarray(image.convert("RGBA"))
    x, y = origin
    left, top = max(0, x), max(0, y)
    right, bottom = min(width, x + picture.shape[1]), min(height, y + picture.shape[0])
    if left < right and top < bottom:
        pixels[top:bottom, left:right] = picture[top - y:bottom - y, left - x:right - x]
    return pixels


def area_from_json(data: object) -> GenerationArea | None:
    """An area stored as ``{"x", "y", "width", "height"}`` (or null); :class:`BadInput` when
    it is anything else."""
    if data is None:
        return None
    names = ("x", "y", "width", "height")
    if not isinstance(data, dict) or any(
            not isinstance(data.get(name), int) or isinstance(data.get(name), bool)
            for name in names):
        raise BadInput("its generation area is not an object of whole numbers x, y, width, "
                       "height")
    if data["width"] < 1 or data["height"] < 1:
        raise BadInput(f"its generation area is {data['width']}×{data['height']}, empty")
    return GenerationArea(*(data[name] for name in names))
