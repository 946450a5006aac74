"""A transform in progress: the layer's original pixels, the lifted piece (the whole content,
or the selected pixels), and the frame it goes into — with the exact pixels shown on the layer
(rendered once per release by :mod:`t2ia_desktop.core.document.transform`) and the cached image the
canvas previews while the pointer is down."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QImage, QTransform

from t2ia_desktop.core.document.document import Layer
from t2ia_desktop.core.document.transform import (
    frame_matrix,
    is_identity,
    lift,
    transformed_region,
    union,
)
from t2ia_desktop.core.undo.commands import PixelEdit, Rect, clip_rect


class TransformSession:
    """One layer's content (or selected part) being transformed: the original pixels, the
    lifted piece and the frame it goes into (``target``, turned by ``angle`` degrees clockwise
    about its centre, mirrored by ``flip_x`` / ``flip_y``)."""

    def __init__(self, layer: Layer, mask: np.ndarray | None = None) -> None:
        self.layer = layer
        self.mask = None if mask is None else mask.copy()
        self.original = layer.pixels.copy()
        self.piece = lift(self.original, self.mask)
        self.source: Rect = self.piece.rect
        self.target = QRectF(*self.source)
        self.angle = 0.0
        self.flip_x = self.flip_y = False
        self.drawn: Rect = self.source  # where the layer differs from the original (at most)
        self._rendered: np.ndarray | None = None  # the matrix the layer shows, once rendered
        self.image = QImage(self.piece.pixels.data, self.source[2], self.source[3],
                            self.source[2] * 4, QImage.Format.Format_RGBA8888).copy()
        """The piece, cached once for the live preview."""

    def matrix(self) -> np.ndarray:
        t = self.target
        return frame_matrix(self.source, (t.x(), t.y(), t.width(), t.height()), self.angle,
                            self.flip_x, self.flip_y)

    def is_identity(self) -> bool:
        return is_identity(self.matrix())

    def corners(self) -> list[QPointF]:
        """The frame's corners in document points: top-left, top-right, bottom-right,
        bottom-left of the (turned) target."""
        t = self.target
        turn = QTransform().translate(t.center().x(), t.center().y()).rotate(self.angle)
        w, h = t.width() / 2, t.height() / 2
        return [turn.map(QPointF(x, y)) for x, y in ((-w, -h), (w, -h), (w, h), (-w, h))]

    def preview_transform(self) -> QTransform:
        """Piece pixels → document points, for the painter."""
        m = self.matrix()
        x, y = self.source[:2]
        return QTransform().translate(x, y) * QTransform(m[0, 0], m[1, 0], m[0, 1], m[1, 1],
                                                         m[0, 2], m[1, 2])

    def lift_off(self) -> Rect:
        """Show the layer with the piece lifted (the hole): the preview draws the piece."""
        region = self.restore()
        x, y, w, h = self.source
        patch = self.layer.pixels[y:y + h, x:x + w]
        if self.mask is None:
            patch[self.piece.pixels[..., 3] > 0] = 0
        else:
            patch[self.mask[y:y + h, x:x + w]] = 0
        return region

    def render(self, resample: str = "bicubic") -> Rect:
        """Put the transformed piece on the layer; returns the rectangle that changed."""
        matrix = self.matrix()
        if self._rendered is not None and np.array_equal(matrix, self._rendered):
            return 0, 0, 0, 0  # shown already
        old = self.restore()
        self._rendered = matrix
        if is_identity(matrix):
            return old
        (x, y, w, h), patch = transformed_region(self.original, matrix, self.mask,
                                                 resample, self.piece)
        self.layer.pixels[y:y + h, x:x + w] = patch
        self.drawn = (x, y, w, h)
        return union(old, self.drawn)

    def restore(self) -> Rect:
        """The layer as it was before the transform; returns the rectangle put back."""
        x, y, w, h = region = clip_rect(union(self.source, self.drawn), self.layer.size)
        self.layer.pixels[y:y + h, x:x + w] = self.original[y:y + h, x:x + w]
        self.drawn = self.source
        self._rendered = None
        return region

    def edit(self, label: str) -> PixelEdit:
        """The applied transform as an undo step over the rectangle it changed."""
        x, y, w, h = region = clip_rect(union(self.source, self.drawn), self.layer.size)
        return PixelEdit.capture(self.layer, region, self.original[y:y + h, x:x + w], label)
