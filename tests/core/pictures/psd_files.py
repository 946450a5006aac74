"""Photoshop files written with psd-tools' own writer, shaped as Photoshop saves them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from psd_tools import PSDImage

W, H = 24, 16


def gradient_layer() -> np.ndarray:
    """Red paint fading from transparent (left) to opaque (right)."""
    pixels = np.zeros((H, W, 4), np.uint8)
    pixels[..., :3] = (200, 50, 20)
    pixels[..., 3] = np.linspace(0, 255, W).astype(np.uint8)[None, :]
    return pixels


def as_photoshop_saves(path: Path) -> np.ndarray:
    """Rewrite ``path``'s merged image as Photoshop does for a picture with transparency: the
    colour matted on white, the transparency as the first extra channel (a negative layer
    count says so). Returns psd-tools' render of the layers (straight RGBA): the reference."""
    psd = PSDImage.open(path)
    truth = np.asarray(psd.composite(ignore_preview=True).convert("RGBA"))
    alpha = truth[..., 3:].astype(np.float64) / 255
    matted = np.rint(truth[..., :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)
    record = psd._record
    record.header.channels = 4
    record.image_data.set_data([matted[..., i].tobytes() for i in range(3)]
                               + [truth[..., 3].tobytes()], record.header)
    info = record.layer_and_mask_information.layer_info
    info.layer_count = -abs(info.layer_count)
    psd.save(path)
    return truth


def layered(path: Path, mode: str = "RGB", depth: int = 8, psb: bool = False) -> Path:
    """A file with one semi-transparent paint layer over nothing."""
    psd = PSDImage.new(mode, (W, H), depth=depth)
    if psb:
        psd._record.header.version = 2
    psd.create_pixel_layer(Image.fromarray(gradient_layer(), "RGBA"), name="Paint")
    psd.save(path)
    return path


def with_saved_selection(path: Path) -> Path:
    """An opaque picture with a saved selection (an empty extra channel) beside its layer."""
    psd = PSDImage.new("RGBA", (W, H), color=(0, 0, 0, 0))
    opaque = gradient_layer()
    opaque[..., 3] = 255
    psd.create_pixel_layer(Image.fromarray(opaque, "RGBA"), name="Photo")
    psd.save(path)
    return path
