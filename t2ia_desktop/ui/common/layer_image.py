"""A layer's pixels as a QImage without a copy, for anything that draws layers."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage


def layer_image(pixels: np.ndarray) -> QImage:
    """A QImage that shares memory with an (H, W, 4) uint8 straight-RGBA array."""
    height, width = pixels.shape[:2]
    if not pixels.flags.c_contiguous or not pixels.flags.writeable:
        raise ValueError("layer pixels must be a writable C-contiguous array")
    return QImage(pixels.data, width, height, width * 4, QImage.Format.Format_RGBA8888)
