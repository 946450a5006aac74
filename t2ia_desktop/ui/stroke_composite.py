"""Cached composites that make a brush segment cheap however many layers the document has.

While the artist paints on the active layer, everything below it (on paper) and everything
above it (on transparency) stays the same; with both kept as images, recompositing a segment's
rectangle is three draws: below, the active layer, above. The caches are keyed on the stack as
drawn (active layer, order, visibility, opacity, blend modes, size) and rebuilt when it changes.
Layers above the active one are folded into one image only when they all blend normally
(source-over is associative; multiply or screen over a group is not the same as one by one);
otherwise the canvas recomposites the whole stack.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from t2ia_desktop.core.document import Document, Layer
from t2ia_desktop.ui.mask_display import draw_mask_layer

SOURCE_OVER = QPainter.CompositionMode.CompositionMode_SourceOver


def layer_image(pixels) -> QImage:
    """A QImage that shares memory with an (H, W, 4) uint8 straight-RGBA array."""
    height, width = pixels.shape[:2]
    if not pixels.flags.c_contiguous or not pixels.flags.writeable:
        raise ValueError("layer pixels must be a writable C-contiguous array")
    return QImage(pixels.data, width, height, width * 4, QImage.Format.Format_RGBA8888)


def _shown(layer: Layer) -> bool:
    return layer.visible and layer.opacity > 0


class StrokeComposite:
    """The below/above composites around the active layer, and the fast recomposite."""

    def __init__(self, paper: QColor, modes: dict[str, QPainter.CompositionMode]) -> None:
        self.paper = paper
        self.modes = modes
        self.below: QImage | None = None
        self.above: QImage | None = None
        self.key: tuple | None = None

    @staticmethod
    def key_for(document: Document) -> tuple:
        active = document.active
        return (active.id if active is not None else None, document.width, document.height,
                tuple((layer.id, layer.visible, layer.opacity, layer.blend_mode)
                      for layer in document.layers))

    @property
    def nbytes(self) -> int:
        return sum(image.sizeInBytes() for image in (self.below, self.above) if image is not None)

    def drop(self) -> None:
        self.below = self.above = None
        self.key = None

    def ready(self, document: Document, layer: Layer) -> bool:
        """Whether ``layer`` (the active one) can be recomposited from the caches; builds them
        when the stack changed since they were made."""
        if layer is not document.active or not _shown(layer) or layer not in document.layers:
            return False
        key = self.key_for(document)
        if key == self.key:
            return True
        index = document.layers.index(layer)
        if any(other.blend_mode != "normal" for other in document.layers[index + 1:]
               if _shown(other)):
            self.drop()
            return False
        self.key = key
        whole = QRect(0, 0, document.width, document.height)
        self.below = QImage(document.width, document.height,
                            QImage.Format.Format_ARGB32_Premultiplied)
        self.above = QImage(document.width, document.height,
                            QImage.Format.Format_ARGB32_Premultiplied)
        self._paint(document, whole)
        return True

    def refresh(self, document: Document, area: QRect) -> None:
        """Another layer's pixels changed in ``area``: bring the caches up to date there."""
        if self.key is not None and self.key == self.key_for(document):
            self._paint(document, area)
        else:
            self.drop()

    def _paint(self, document: Document, area: QRect) -> None:
        active = document.active
        index = document.layers.index(active)
        painter = QPainter(self.below)
        painter.setClipRect(area)
        painter.fillRect(area, self.paper)
        self._draw(painter, document.layers[:index], area)
        painter.end()
        painter = QPainter(self.above)
        painter.setClipRect(area)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
        painter.fillRect(area, Qt.GlobalColor.transparent)
        painter.setCompositionMode(SOURCE_OVER)
        self._draw(painter, document.layers[index + 1:], area)
        painter.end()

    def _draw(self, painter: QPainter, layers: list[Layer], area: QRect) -> None:
        for layer in layers:
            if _shown(layer):
                painter.setOpacity(layer.opacity)
                painter.setCompositionMode(self.modes.get(layer.blend_mode, SOURCE_OVER))
                if layer.kind == "mask":
                    draw_mask_layer(painter, layer, area)
                else:
                    painter.drawImage(area.topLeft(), layer_image(layer.pixels), area)

    def recomposite(self, composite: QImage, layer: Layer, area: QRect) -> None:
        """``area`` of ``composite``: below, then ``layer`` (its opacity and blend), then above."""
        painter = QPainter(composite)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
        painter.drawImage(area.topLeft(), self.below, area)
        painter.setCompositionMode(self.modes.get(layer.blend_mode, SOURCE_OVER))
        painter.setOpacity(layer.opacity)
        if layer.kind == "mask":
            draw_mask_layer(painter, layer, area)
        else:
            painter.drawImage(area.topLeft(), layer_image(layer.pixels), area)
        painter.setOpacity(1.0)
        painter.setCompositionMode(SOURCE_OVER)
        painter.drawImage(area.topLeft(), self.above, area)
        painter.end()
