"""Photoshop files (``.psd``) read layer by layer with psd-tools.

Every pixel layer becomes a layer of its own, placed at its offset on the PSD's canvas, with its
name, opacity, visibility (a hidden group hides what it holds) and blend mode (the modes this app
knows; others read as normal). A layer that is opaque everywhere is a *photo*, else *paint*.
A PSD without pixel layers (flattened, or only text and adjustments psd-tools cannot draw) gives
its flattened picture as one photo layer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.files.archive import MAX_LAYERS
from t2ia_desktop.core.files.imageio import MAX_PIXELS
from t2ia_desktop.core.files.photo import place, to_rgba
from t2ia_desktop.core.pictures.photoshop import open_psd, psd_picture

log = logging.getLogger(__name__)

BLEND_OF_PSD = {"NORMAL": "normal", "MULTIPLY": "multiply", "SCREEN": "screen",
                "OVERLAY": "overlay", "DARKEN": "darken", "LIGHTEN": "lighten"}
"""Photoshop blend modes this app draws; the others are read as normal."""


@dataclass
class PsdLayer:
    """One layer of a PSD on the PSD's own canvas (straight RGBA, canvas-sized)."""

    name: str
    pixels: np.ndarray
    opacity: float = 1.0
    visible: bool = True
    blend_mode: str = "normal"

    @property
    def kind(self) -> str:
        return "photo" if self.pixels[..., 3].min() == 255 else "paint"


def read_psd(path: str | Path) -> tuple[tuple[int, int], list[PsdLayer]]:
    """The PSD's canvas size and its layers, bottom first; BadInput when it cannot be read."""
    file = Path(path)
    if not file.is_file():
        raise BadInput(f"{path}: no such file")
    psd = open_psd(file)
    width, height = psd.width, psd.height
    if width * height > MAX_PIXELS or width < 1 or height < 1:
        raise BadInput(f"{path} is {width}×{height}, outside the "
                       f"{MAX_PIXELS // 1_000_000} megapixel limit")
    layers: list[PsdLayer] = []
    try:
        for layer in psd.descendants():
            if layer.is_group() or not layer.has_pixels():
                continue
            if len(layers) >= MAX_LAYERS:
                raise BadInput(f"{path} has more than {MAX_LAYERS} layers")
            image = layer.topil()
            if image is None:
                continue
            pixels = np.asarray(to_rgba(image), dtype=np.uint8)
            left, top = layer.offset
            layers.append(PsdLayer(
                name=layer.name or f"Layer {len(layers) + 1}",
                pixels=place(pixels, (left, top), width, height),
                opacity=min(1.0, max(0.0, layer.opacity / 255)),
                visible=layer.is_visible(),
                blend_mode=BLEND_OF_PSD.get(getattr(layer.blend_mode, "name", ""), "normal"),
            ))
    except BadInput:
        raise
    except Exception as error:
        log.warning("%s: layers not readable (%s); using the flattened picture", path, error)
        layers = []
    if not layers:
        layers = [PsdLayer(file.stem or "Photo", np.asarray(_flattened(psd, file)))]
    return (width, height), layers


def _flattened(psd, file: Path) -> Image.Image:
    """The picture Photoshop shows (see :func:`psd_picture`), at the PSD's size."""
    rgba = to_rgba(psd_picture(psd, file))
    if rgba.size != (psd.width, psd.height):
        rgba = rgba.resize((psd.width, psd.height))
    return rgba
