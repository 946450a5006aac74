"""Any picture Pillow reads as 8-bit straight RGBA, its transparency kept.

Pillow's own ``convert("RGBA")`` loses a PNG's transparent colour key (``tRNS``) on 16-bit
pictures: a 16-bit grey picture (mode ``I;16``/``I``) is first reduced to 8 bits and its 16-bit
key no longer matches; a 16-bit RGB picture comes as 8-bit RGB with its key still in 16 bits.
Here the key is matched before the reduction (grey) or on the high byte Pillow keeps (RGB).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from t2ia_desktop.core.errors import BadInput


def to_rgba(image: Image.Image) -> Image.Image:
    """8-bit straight RGBA from any Pillow mode; 16-bit and float greys are scaled, not clipped,
    and a transparent colour key (``tRNS``) stays transparent at every bit depth."""
    if image.width == 0 or image.height == 0:
        raise BadInput(f"the picture is empty ({image.width}×{image.height} pixels)")
    mode = image.mode
    key = image.info.get("transparency")
    if mode.startswith("I") or mode == "F":
        return _grey_to_rgba(image, key)
    if mode == "RGB" and isinstance(key, tuple) and len(key) == 3 and max(key) > 255:
        return _keyed(image.convert("RGBA"), np.asarray(image), tuple(v >> 8 for v in key))
    try:
        return image if mode == "RGBA" else image.convert("RGBA")
    except ValueError:
        raise BadInput(f"pictures in Pillow's {mode} mode cannot be read; save the picture as "
                       "PNG or JPEG and try again") from None


def _grey_to_rgba(image: Image.Image, key) -> Image.Image:
    """A 16-bit, 32-bit or float grey picture as 8-bit RGBA, its colour key made transparent."""
    mode = image.mode
    raw = np.asarray(image)
    values = np.nan_to_num(raw.astype(np.float64))
    if mode.startswith("I;16") or (mode == "I" and values.size and values.max() > 255):
        values = values / 257.0
    elif mode == "F" and values.size and values.max() <= 1.0:
        values = values * 255.0
    grey = Image.fromarray(np.clip(values + 0.5, 0, 255).astype(np.uint8), "L")
    rgba = grey.convert("RGBA")
    if isinstance(key, int) and not isinstance(key, bool):
        return _keyed(rgba, raw, key)
    return rgba


def _keyed(rgba: Image.Image, raw: np.ndarray, key) -> Image.Image:
    """``rgba`` transparent where the original samples ``raw`` equal the colour ``key``."""
    if raw.ndim == 3:
        hidden = np.all(raw[..., :3] == np.asarray(key, dtype=raw.dtype), axis=-1)
    else:
        hidden = raw == key
    if not hidden.any():
        return rgba
    pixels = np.array(rgba)
    pixels[hidden] = 0
    return Image.fromarray(pixels, "RGBA")
