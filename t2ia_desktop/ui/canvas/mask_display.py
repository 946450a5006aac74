"""How a mask layer shows on the canvas: a translucent red tint where it says "repaint".

A mask layer's pixels are white paint (or any light, opaque colour) where inpainting should
repaint; drawn as they are, they would look like white paint on the picture. The canvas draws
them instead as a red veil whose strength follows the mask value (the same value inpainting
reads: :func:`t2ia_desktop.core.generation.source.mask_image`), as painters' apps show a
quick mask.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage, QPainter

from t2ia_desktop.core.document.document import Layer

MASK_TINT = QColor(235, 40, 60)
MASK_TINT_OPACITY = 0.5
"""How much a fully masked pixel is veiled (the layer's own opacity multiplies it)."""


def mask_tint(pixels: np.ndarray) -> np.ndarray:
    """The red veil for mask-layer ``pixels`` (an (H, W, 4) straight-RGBA patch)."""
    values = pixels.astype(np.uint32)
    luminance = (values[..., 0] * 299 + values[..., 1] * 587 + values[..., 2] * 114) // 1000
    strength = luminance * values[..., 3] // 255  # 0..255, as the inpaint mask
    out = np.empty(pixels.shape[:2] + (4,), np.uint8)
    out[..., 0], out[..., 1], out[..., 2] = MASK_TINT.red(), MASK_TINT.green(), MASK_TINT.blue()
    out[..., 3] = np.rint(strength * MASK_TINT_OPACITY).astype(np.uint8)
    return out


def draw_mask_layer(painter: QPainter, layer: Layer, area: QRect) -> None:
    """Draw ``area`` of a mask layer as its tint (in document coordinates, normal blending)."""
    x, y, w, h = area.x(), area.y(), area.width(), area.height()
    if w <= 0 or h <= 0:
        return
    tint = np.ascontiguousarray(mask_tint(layer.pixels[y:y + h, x:x + w]))
    image = QImage(tint.data, w, h, w * 4, QImage.Format.Format_RGBA8888)
    mode = painter.compositionMode()
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
    painter.drawImage(area.topLeft(), image)
    painter.setCompositionMode(mode)
