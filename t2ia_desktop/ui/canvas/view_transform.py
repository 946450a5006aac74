"""Where the document lies on the canvas widget: zoom, pan and rotation as one transform.

The view keeps the document point under the widget's centre (``centre``), a zoom (widget pixels
per document pixel) and a rotation in degrees. While *fitted* the zoom follows the widget's size
so the whole paper shows; any zoom or pan by the artist leaves that mode until Fit again.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSizeF
from PySide6.QtGui import QTransform

MIN_ZOOM = 1 / 32
MAX_ZOOM = 64.0
ZOOM_STEP = 2 ** 0.25
"""Zoom in/out by a quarter of an octave: four steps double or halve the size."""
ROTATE_STEP = 15.0


class ViewTransform:
    """Zoom, pan and rotation of a ``document_size`` paper in a ``widget_size`` widget with a
    ``margin`` of desk around the paper when fitted."""

    def __init__(self, document_size: QSizeF, widget_size: QSizeF, margin: float) -> None:
        self.document_size = QSizeF(document_size)
        self.widget_size = QSizeF(widget_size)
        self.margin = margin
        self.rotation = 0.0
        self.fitted = True
        self.zoom = self.fit_zoom()
        self.centre = self._paper_centre()

    # -- the mapping ------------------------------------------------------------------------
    def transform(self) -> QTransform:
        """Document coordinates → widget coordinates."""
        t = QTransform()
        t.translate(self.widget_size.width() / 2, self.widget_size.height() / 2)
        t.rotate(self.rotation)
        t.scale(self.zoom, self.zoom)
        t.translate(-self.centre.x(), -self.centre.y())
        return t

    def to_document(self, point: QPointF) -> QPointF:
        inverse, _ok = self.transform().inverted()
        return inverse.map(QPointF(point))

    def from_document(self, point: QPointF) -> QPointF:
        return self.transform().map(QPointF(point))

    def paper_rect(self) -> QRectF:
        """The bounding box of the paper in widget coordinates."""
        paper = QRectF(0, 0, self.document_size.width(), self.document_size.height())
        return self.transform().mapRect(paper)

    # -- changes ----------------------------------------------------------------------------
    def resize(self, widget_size: QSizeF) -> None:
        self.widget_size = QSizeF(widget_size)
        if self.fitted:
            self.fit()

    def set_document_size(self, size: QSizeF) -> None:
        self.document_size = QSizeF(size)
        self.fit()

    def fit_zoom(self) -> float:
        """The zoom that shows the whole (rotated) paper inside the margins."""
        width = max(1.0, self.widget_size.width() - 2 * self.margin)
        height = max(1.0, self.widget_size.height() - 2 * self.margin)
        angle = math.radians(self.rotation)
        cos, sin = abs(math.cos(angle)), abs(math.sin(angle))
        doc_w, doc_h = self.document_size.width(), self.document_size.height()
        box_w, box_h = doc_w * cos + doc_h * sin, doc_w * sin + doc_h * cos
        return max(MIN_ZOOM, min(MAX_ZOOM, width / box_w, height / box_h))

    def fit(self) -> None:
        """The whole paper, centred (rotation kept)."""
        self.fitted = True
        self.zoom = self.fit_zoom()
        self.centre = self._paper_centre()

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Zoom keeping the document point under ``anchor`` (a widget point; the centre when
        None) where it is."""
        zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
        if anchor is None:
            anchor = QPointF(self.widget_size.width() / 2, self.widget_size.height() / 2)
        fixed = self.to_document(anchor)
        self.zoom = zoom
        self.fitted = False
        self._keep(fixed, anchor)

    def pan(self, dx: float, dy: float) -> None:
        """Move the paper by (dx, dy) widget pixels."""
        start = self.to_document(QPointF(0, 0))
        end = self.to_document(QPointF(dx, dy))
        self.centre -= end - start
        self.fitted = False

    def set_rotation(self, degrees: float, anchor: QPointF | None = None) -> None:
        """Turn the view to ``degrees`` (clockwise) around ``anchor`` (the widget centre when
        None); the document point there stays put."""
        if anchor is None:
            anchor = QPointF(self.widget_size.width() / 2, self.widget_size.height() / 2)
        fixed = self.to_document(anchor)
        degrees = math.remainder(degrees, 360.0)
        self.rotation = 0.0 if abs(degrees) < 1e-9 else degrees
        self._keep(fixed, anchor)
        if self.fitted:
            self.zoom = self.fit_zoom()

    def _keep(self, document_point: QPointF, widget_point: QPointF) -> None:
        """Move the centre so ``document_point`` shows at ``widget_point``."""
        now = self.from_document(document_point)
        self.centre -= self.to_document(widget_point) - self.to_document(now)

    def _paper_centre(self) -> QPointF:
        return QPointF(self.document_size.width() / 2, self.document_size.height() / 2)
