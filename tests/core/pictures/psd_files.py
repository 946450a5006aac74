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


def artist_file(path: Path) -> Path:
    """Paper; a layer with a mask hiding its left half, fill opacity 50 % and opacity 200;
    a multiply layer clipped to it; a pass-through group at 50 % opacity; a soft-light layer."""
    from psd_tools.constants import BlendMode

    psd = PSDImage.new("RGB", (W, H))
    paper = np.zeros((H, W, 3), np.uint8)
    paper[...] = (240, 230, 200)
    psd.create_pixel_layer(Image.fromarray(paper, "RGB"), name="Paper")
    square = Image.new("RGB", (12, 10), (20, 120, 220))
    masked = psd.create_pixel_layer(square, name="Masked", left=2, top=3, opacity=200)
    hide_left = np.zeros((10, 12), np.uint8)
    hide_left[:, 6:] = 255
    masked.create_mask(Image.fromarray(hide_left))
    masked.fill_opacity = 128
    clipped = psd.create_pixel_layer(Image.new("RGB", (20, 6), (250, 0, 0)), name="Clip",
                                     top=5, blend_mode=BlendMode.MULTIPLY)
    clipped.clipping = True
    group = psd.create_group(name="Group", opacity=128)
    group.create_pixel_layer(square, name="In group", left=10, top=6)
    group.create_pixel_layer(square, name="In group 2", left=14, top=2)
    psd.create_pixel_layer(Image.new("RGB", (6, 6), (90, 200, 40)), name="Light",
                           blend_mode=BlendMode.SOFT_LIGHT)
    psd.save(path)
    return path


def with_invert_adjustment(path: Path) -> Path:
    """Paper, an Invert adjustment layer over it, and paint above that. psd-tools writes no
    adjustment layers: a pixel layer is given the Invert block (no data), as Photoshop marks one."""
    from psd_tools.constants import Tag

    psd = PSDImage.new("RGB", (W, H))
    psd.create_pixel_layer(Image.new("RGB", (W, H), (200, 50, 20)), name="Paper")
    invert = psd.create_pixel_layer(Image.new("RGB", (W, H)), name="Invert 1")
    invert._record.tagged_blocks.set_data(Tag.INVERT)
    psd.create_pixel_layer(Image.fromarray(gradient_layer(), "RGBA"), name="Paint")
    psd.save(path)
    return path
