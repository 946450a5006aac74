"""Brush maths on a layer's straight-RGBA pixels: round tips with hardness, stroke opacity and
tablet pressure, and the eraser.

A stroke is a chain of segments between pointer positions. Each segment is a capsule whose
radius and opacity run from its start to its end (pressure changes along it). The stroke keeps
a *coverage* map that only ever grows (``max``), so overlapping segments and slow strokes never
build up past the stroke's opacity, as in painters' apps; the layer's pixels in a segment's
rectangle are then the pixels from before the stroke with the colour laid over them at that
coverage (or, for the eraser, with their alpha taken away by it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Rect = tuple[int, int, int, int]  # x, y, width, height

_TILE = 64


@dataclass(frozen=True)
class BrushTip:
    """What a stroke paints with: ``size`` is the diameter in document pixels at full pressure;
    ``hardness`` 0 fades from the centre, 1 is a crisp (antialiased) edge; ``opacity`` is the
    most a stroke covers; ``erase`` takes alpha away instead of laying ``colour`` down."""

    size: float
    colour: tuple[int, int, int] = (0, 0, 0)
    hardness: float = 1.0
    opacity: float = 1.0
    erase: bool = False

    def __post_init__(self) -> None:
        if self.size <= 0:
            raise ValueError(f"brush size must be positive, not {self.size}")
        if not 0.0 <= self.hardness <= 1.0:
            raise ValueError(f"hardness must be between 0 and 1, not {self.hardness}")
        if not 0.0 <= self.opacity <= 1.0:
            raise ValueError(f"opacity must be between 0 and 1, not {self.opacity}")


@dataclass(frozen=True)
class Dab:
    """One pointer position of a stroke, in document pixels, with what pressure made of the tip
    there (``size`` and ``opacity`` as factors of the tip's, 0..1)."""

    x: float
    y: float
    size: float = 1.0
    opacity: float = 1.0


class StrokePainter:
    """Paints one stroke on ``pixels`` (an (H, W, 4) uint8 array, changed in place)."""

    def __init__(self, pixels: np.ndarray, tip: BrushTip) -> None:
        self.pixels = pixels
        self.tip = tip
        height, width = pixels.shape[:2]
        # Both are only backed by memory where the stroke goes (the OS maps pages on first use).
        self._coverage = np.zeros((height, width), np.float32)
        self._base = np.empty_like(pixels)
        self._saved = np.zeros(((height - 1) // _TILE + 1, (width - 1) // _TILE + 1), bool)

    def segment_rect(self, start: Dab, end: Dab) -> Rect:
        """The rectangle a segment can touch, clipped to the layer (may be empty)."""
        radius = max(start.size, end.size) * self.tip.size / 2 + 1
        height, width = self.pixels.shape[:2]
        left = max(0, math.floor(min(start.x, end.x) - radius))
        top = max(0, math.floor(min(start.y, end.y) - radius))
        right = min(width, math.ceil(max(start.x, end.x) + radius))
        bottom = min(height, math.ceil(max(start.y, end.y) + radius))
        return left, top, max(0, right - left), max(0, bottom - top)

    def paint(self, start: Dab, end: Dab) -> Rect:
        """Paint the segment from ``start`` to ``end``; returns its (dirty) rectangle."""
        x, y, w, h = rect = self.segment_rect(start, end)
        if not w or not h:
            return rect
        self._keep_base(rect)
        coverage = self._coverage[y:y + h, x:x + w]
        np.maximum(coverage, self._capsule(rect, start, end), out=coverage)
        self.pixels[y:y + h, x:x + w] = self._laid(self._base[y:y + h, x:x + w], coverage)
        return rect

    def _capsule(self, rect: Rect, start: Dab, end: Dab) -> np.ndarray:
        """Coverage (0..1) of the segment's tip over ``rect``, sampled at pixel centres."""
        x, y, w, h = rect
        px = (np.arange(x, x + w, dtype=np.float32) + 0.5 - start.x)[None, :]
        py = (np.arange(y, y + h, dtype=np.float32) + 0.5 - start.y)[:, None]
        dx, dy = end.x - start.x, end.y - start.y
        length2 = dx * dx + dy * dy
        if length2 > 1e-12:
            t = np.clip((px * dx + py * dy) / np.float32(length2), 0, 1)
            distance = np.hypot(px - t * dx, py - t * dy)
            radius = (start.size + (end.size - start.size) * t) * (self.tip.size / 2)
            opacity = start.opacity + (end.opacity - start.opacity) * t
        else:
            distance = np.hypot(px, py)
            radius = np.float32(start.size * self.tip.size / 2)
            opacity = np.float32(start.opacity)
        # a fade over the outer (1 - hardness) of the radius, at least a pixel wide (antialias)
        fade = np.maximum(np.float32(1), radius * np.float32(1 - self.tip.hardness))
        alpha = np.clip((radius + np.float32(0.5) - distance) / fade, 0, 1)
        alpha = alpha * alpha * (3 - 2 * alpha)  # smooth shoulder
        return (alpha * (opacity * np.float32(self.tip.opacity))).astype(np.float32)

    def _laid(self, base: np.ndarray, coverage: np.ndarray) -> np.ndarray:
        """``base`` with the tip's colour laid over it at ``coverage`` (or erased by it)."""
        cover = coverage[..., None]
        base_alpha = base[..., 3:4].astype(np.float32) / 255
        out = np.empty_like(base)
        if self.tip.erase:
            out[..., :3] = base[..., :3]
            out[..., 3:4] = np.rint(base_alpha * (1 - cover) * 255)
            return out
        alpha = cover + base_alpha * (1 - cover)
        colour = np.asarray(self.tip.colour, np.float32)
        mixed = colour * cover + base[..., :3].astype(np.float32) * (base_alpha * (1 - cover))
        safe = np.where(alpha > 0, alpha, 1)
        out[..., :3] = np.where(alpha > 0, np.clip(np.rint(mixed / safe), 0, 255), base[..., :3])
        out[..., 3:4] = np.rint(alpha * 255)
        return out

    def _keep_base(self, rect: Rect) -> None:
        """Copy the tiles of ``rect`` not yet kept: the layer as it was before the stroke."""
        x, y, w, h = rect
        for ty in range(y // _TILE, (y + h - 1) // _TILE + 1):
            row = self._saved[ty]
            for tx in range(x // _TILE, (x + w - 1) // _TILE + 1):
                if not row[tx]:
                    area = (slice(ty * _TILE, (ty + 1) * _TILE),
                            slice(tx * _TILE, (tx + 1) * _TILE))
                    self._base[area] = self.pixels[area]
                    row[tx] = True


class Smoother:
    """Stroke smoothing: the painted point trails the pointer (``strength`` 0 = none, up to
    0.95 = heavy lag), which irons out a shaky hand."""

    def __init__(self, strength: float) -> None:
        self.strength = min(0.95, max(0.0, float(strength)))
        self._point: Dab | None = None

    def follow(self, dab: Dab) -> Dab:
        """Where the stroke goes next as the pointer reaches ``dab``."""
        if self._point is None or self.strength == 0:
            self._point = dab
            return dab
        keep = self.strength
        last = self._point
        self._point = Dab(
            last.x * keep + dab.x * (1 - keep), last.y * keep + dab.y * (1 - keep),
            last.size * keep + dab.size * (1 - keep),
            last.opacity * keep + dab.opacity * (1 - keep),
        )
        return self._point
