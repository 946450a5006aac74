"""Photos brought onto the canvas: opened upright, in 8-bit RGBA, fitted to the document.

A photo keeps its aspect: it is scaled to fit the canvas, centred, with transparent margins
where it does not cover it (detectors see those margins as white paper).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from t2ia_desktop.core.files.imageio import open_image
from t2ia_desktop.core.pictures.colour import to_srgb
from t2ia_desktop.core.pictures.pixels import to_rgba

__all__ = ["PHOTO_FILTER", "PHOTO_PATTERNS", "fit_to_canvas", "load_photo", "photo_name",
           "place", "place_at_size", "to_rgba"]

log = logging.getLogger(__name__)

PHOTO_PATTERNS = ("*.png", "*.jpg", "*.jpeg", "*.webp", "*.bmp", "*.tif", "*.tiff", "*.gif",
                  "*.psd", "*.psb")
"""The picture files the import dialog offers (a GIF or TIFF gives its first frame, a Photoshop
file the picture Photoshop shows; File → Import PSD layers keeps its layers)."""

PHOTO_FILTER = f"Pictures ({' '.join(PHOTO_PATTERNS)});;All files (*)"


def load_photo(path: str | Path) -> Image.Image:
    """Open a picture file upright (EXIF orientation applied) as 8-bit sRGB RGBA (an embedded
    colour profile converted, transparency kept).

    Raises :class:`BadInput` with a reason the artist can act on when it cannot be used.
    """
    image = open_image(path)
    try:
        image = ImageOps.exif_transpose(image) or image
    except Exception as error:
        log.warning("%s: orientation not applied (%s)", path, error)
    return to_rgba(to_srgb(image))


def fit_to_canvas(image: Image.Image, width: int, height: int) -> np.ndarray:
    """``image`` scaled to fit ``width``×``height`` (aspect kept), centred on transparency.

    Returns an (height, width, 4) uint8 straight-RGBA array, ready to be a layer's pixels.
    """
    rgba = to_rgba(image)
    scale = min(width / rgba.width, height / rgba.height)
    size = (max(1, round(rgba.width * scale)), max(1, round(rgba.height * scale)))
    if size != rgba.size:
        # Resample premultiplied, so transparent pixels' colours do not bleed into the edges.
        rgba = rgba.convert("RGBa").resize(size, Image.Resampling.LANCZOS).convert("RGBA")
    canvas = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    canvas.paste(rgba, ((width - size[0]) // 2, (height - size[1]) // 2))
    return np.array(canvas, dtype=np.uint8)


def place_at_size(image: Image.Image, width: int, height: int) -> np.ndarray:
    """``image`` at its own size, centred on a transparent ``width``×``height`` canvas (what
    does not fit is cropped): "keep size" imports, one image pixel per canvas pixel."""
    rgba = np.asarray(to_rgba(image), dtype=np.uint8)
    return place(rgba, ((width - rgba.shape[1]) // 2, (height - rgba.shape[0]) // 2),
                 width, height)


def place(pixels: np.ndarray, offset: tuple[int, int], width: int, height: int) -> np.ndarray:
    """RGBA ``pixels`` with their top-left corner at ``offset`` on a transparent canvas."""
    out = np.zeros((height, width, 4), np.uint8)
    x, y = offset
    left, top = max(0, x), max(0, y)
    right, bottom = min(width, x + pixels.shape[1]), min(height, y + pixels.shape[0])
    if left < right and top < bottom:
        out[top:bottom, left:right] = pixels[top - y:bottom - y, left - x:right - x]
    return out


def photo_name(path: str | Path) -> str:
    """The layer name for a photo: its file name without the extension."""
    return Path(path).stem or "Photo"
