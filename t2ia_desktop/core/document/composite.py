"""Flattening a document into one picture, as exports and thumbnails see it."""

from __future__ import annotations

import numpy as np
from PIL import Image

from t2ia_desktop.core.document.document import Document, Layer

_BAND_PIXELS = 1 << 20  # composite about a megapixel at a time: bounded float32 memory


def flatten(document: Document) -> Image.Image:
    """The visible layers, bottom first, composited with each layer's opacity and blend mode.

    Layers hold straight (not premultiplied) alpha; the result is straight RGBA on a transparent
    canvas. A single opaque layer at full opacity comes out unchanged, bit for bit.
    """
    layers = [layer for layer in document.layers if layer.visible and layer.opacity > 0]
    return Image.fromarray(composite(layers, document.width, document.height), "RGBA")


def composite(layers: list[Layer], width: int, height: int) -> np.ndarray:
    """``layers`` (bottom first, all shown) composited into straight RGBA, (height, width, 4).

    Blend modes follow the W3C compositing formulas on premultiplied colour, the ones
    QPainter's composition modes and OpenRaster's ``svg:*`` operators use.
    """
    out = np.zeros((height, width, 4), np.uint8)
    band = max(1, _BAND_PIXELS // max(1, width))
    for top in range(0, height, band):
        bottom = min(height, top + band)
        # premultiplied colour and alpha in 0..1
        colour = np.zeros((bottom - top, width, 3), np.float32)
        alpha = np.zeros((bottom - top, width, 1), np.float32)
        start = _topmost_opaque(layers, top, bottom)  # what lies below it cannot show
        for layer in layers[start:]:
            opacity = min(1.0, float(layer.opacity))
            if layer.blend_mode == "normal":
                _over(colour, alpha, layer.pixels[top:bottom], opacity)
            else:
                _blend(colour, alpha, layer.pixels[top:bottom], opacity, layer.blend_mode)
        covered = alpha[..., 0] > 0
        straight = np.zeros_like(colour)
        np.divide(colour, alpha, out=straight, where=alpha > 0)
        region = out[top:bottom]
        region[..., :3] = np.clip(np.rint(straight * 255), 0, 255).astype(np.uint8)
        region[..., 3] = np.clip(np.rint(alpha[..., 0] * 255), 0, 255).astype(np.uint8)
        region[~covered] = 0
    return out


def _blend(colour: np.ndarray, alpha: np.ndarray, pixels: np.ndarray, opacity: float,
           mode: str) -> None:
    """Composite ``pixels`` onto premultiplied ``colour``/``alpha`` with a separable blend mode."""
    sa = pixels[..., 3:4].astype(np.float32) * np.float32(opacity / 255)
    sca = pixels[..., :3].astype(np.float32) * (sa / 255)
    dca, da = colour, alpha
    outside = sca * (1 - da) + dca * (1 - sa)  # where only one of the two has paint
    if mode == "multiply":
        mixed = sca * dca
    elif mode == "screen":
        mixed = sca * da + dca * sa - sca * dca
    elif mode == "overlay":
        mixed = np.where(2 * dca < da, 2 * sca * dca,
                         sa * da - 2 * (da - dca) * (sa - sca))
    elif mode == "darken":
        mixed = np.minimum(sca * da, dca * sa)
    elif mode == "lighten":
        mixed = np.maximum(sca * da, dca * sa)
    elif mode == "plus":  # Porter-Duff plus (svg:plus, QPainter's Plus): sums, clamped
        colour[...] = np.minimum(sca + dca, 1)
        alpha[...] = np.minimum(sa + da, 1)
        return
    elif mode in _SEPARABLE:
        source = np.divide(sca, sa, out=np.zeros_like(sca), where=sa > 0)
        backdrop = np.divide(dca, da, out=np.zeros_like(dca), where=da > 0)
        mixed = sa * da * np.clip(_SEPARABLE[mode](backdrop, source), 0, 1)
    else:
        raise ValueError(f"unknown blend mode {mode!r}")
    colour[...] = mixed + outside
    alpha[...] = sa + da - sa * da


def _colour_dodge(cb: np.ndarray, cs: np.ndarray) -> np.ndarray:
    room = 1 - cs
    out = np.minimum(1, np.divide(cb, room, out=np.ones_like(cb), where=room > 0))
    return np.where(cb <= 0, 0, out)


def _colour_burn(cb: np.ndarray, cs: np.ndarray) -> np.ndarray:
    out = 1 - np.minimum(1, np.divide(1 - cb, cs, out=np.ones_like(cb), where=cs > 0))
    return np.where(cb >= 1, 1, out)


def _hard_light(cb: np.ndarray, cs: np.ndarray) -> np.ndarray:
    doubled = 2 * cs
    return np.where(cs <= 0.5, cb * doubled, cb + (doubled - 1) - cb * (doubled - 1))


def _soft_light(cb: np.ndarray, cs: np.ndarray) -> np.ndarray:
    d = np.where(cb <= 0.25, ((16 * cb - 12) * cb + 4) * cb, np.sqrt(cb))
    return np.where(cs <= 0.5, cb - (1 - 2 * cs) * cb * (1 - cb), cb + (2 * cs - 1) * (d - cb))


_SEPARABLE = {
    "color-dodge": _colour_dodge, "color-burn": _colour_burn, "hard-light": _hard_light,
    "soft-light": _soft_light, "difference": lambda cb, cs: np.abs(cs - cb),
    "exclusion": lambda cb, cs: cs + cb - 2 * cs * cb,
}
"""W3C Compositing's separable blend functions B(Cb, Cs) on straight colour."""


def _over(colour: np.ndarray, alpha: np.ndarray, pixels: np.ndarray, opacity: float) -> None:
    """Composite straight-alpha ``pixels`` over the premultiplied ``colour``/``alpha``, in place.

    Sparse layers (strokes on transparency, the usual paint layer) only touch their pixels.
    """
    scale = np.float32(opacity / 255)
    covered = np.flatnonzero(pixels[..., 3])
    if not covered.size:
        return
    if covered.size < pixels.shape[0] * pixels.shape[1] // 4:
        flat_colour, flat_alpha = colour.reshape(-1, 3), alpha.reshape(-1, 1)
        source = pixels.reshape(-1, 4)[covered]
        source_alpha = source[:, 3:4].astype(np.float32) * scale
        keep = 1 - source_alpha
        flat_colour[covered] = (flat_colour[covered] * keep
                                + source[:, :3].astype(np.float32) * (source_alpha / 255))
        flat_alpha[covered] = flat_alpha[covered] * keep + source_alpha
        return
    source_alpha = pixels[..., 3:4].astype(np.float32) * scale
    keep = 1 - source_alpha
    colour *= keep
    colour += pixels[..., :3].astype(np.float32) * (source_alpha / 255)
    alpha *= keep
    alpha += source_alpha


def _topmost_opaque(layers: list[Layer], top: int, bottom: int) -> int:
    for index in range(len(layers) - 1, 0, -1):
        layer = layers[index]
        if (layer.opacity >= 1 and layer.blend_mode == "normal"
                and layer.pixels[top:bottom, :, 3].min() == 255):
            return index
    return 0


def active_result(document: Document) -> Layer | None:
    """The result whose request describes the picture: the active layer if it is a result with
    a request, else the topmost visible one, else the topmost one."""
    active = document.active
    if active is not None and active.kind == "result" and active.request is not None:
        return active
    results = [layer for layer in reversed(document.layers)
               if layer.kind == "result" and layer.request is not None]
    return next((layer for layer in results if layer.visible), results[0] if results else None)
