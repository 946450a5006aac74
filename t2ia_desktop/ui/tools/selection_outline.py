"""The marching ants of the selection, drawn from a cached raster of its border.

The border raster (:func:`~t2ia_desktop.core.document.selection_edges.border_cells`) is built once
per selection change, zoom level (powers of two) and stretch of canvas in view; panning within the
stretch, repainting and the ants' steps reuse it. A step only changes the eight colours of the
raster's colour table, so a repaint costs one image draw, however complex the selection.
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QRect, QRectF
from PySide6.QtGui import QColor, QImage, QPainter, QTransform

from t2ia_desktop.core.document.selection import Selection
from t2ia_desktop.core.document.selection_edges import NOT_BORDER, PERIOD, border_cells, scale_level

DASH = PERIOD // 2
"""Cells of black, then of white, along the border."""
MARGIN = 0.25
"""Extra canvas built around the view (a fraction of its size), so a pan reuses the raster."""
_BLACK, _WHITE, _CLEAR = QColor(0, 0, 0).rgba(), QColor(255, 255, 255).rgba(), 0


@lru_cache(maxsize=PERIOD)
def colour_table(phase: int) -> tuple[int, ...]:
    """The colours of the eight ant phases after ``phase`` steps, then transparent (cells off
    the border)."""
    return tuple(_BLACK if (index - phase) % PERIOD < DASH else _WHITE
                 for index in range(PERIOD)) + (_CLEAR,) * NOT_BORDER


class AntsOutline:
    """Draws a selection's border as marching ants through a view transform."""

    def __init__(self) -> None:
        self._image: QImage | None = None
        self._cells = None  # keeps the raster's bytes alive while the QImage uses them
        self._level = 0
        self._covered = QRect()
        self.builds = 0
        """How many rasters were built (tests check the cache with it)."""

    def invalidate(self) -> None:
        """The selection changed: build again at the next paint."""
        self._image = self._cells = None

    def paint(self, painter: QPainter, selection: Selection, transform: QTransform,
              zoom: float, view: QRectF, phase: int) -> None:
        """Draw the ants over ``view`` (the canvas rectangle on screen) in canvas coordinates
        through ``transform`` (canvas → widget)."""
        x, y, w, h = selection.bounds()
        needed = QRectF(view).intersected(QRectF(x, y, w, h)).toAlignedRect()
        if needed.isEmpty():
            return
        level = scale_level(zoom)
        if self._image is None or level != self._level or not self._covered.contains(needed):
            self._build(selection, level, view, QRect(x, y, w, h))
        if self._image is None:
            return
        # only the part in view: Qt converts an indexed image whole before drawing it
        scale = 2.0 ** self._level
        covered = self._covered
        cells = QRectF((needed.x() - covered.x()) * scale, (needed.y() - covered.y()) * scale,
                       needed.width() * scale, needed.height() * scale).toAlignedRect()
        cells = cells.intersected(self._image.rect())
        if cells.isEmpty():
            return
        part = self._image.copy(cells)
        part.setColorTable(list(colour_table(phase % PERIOD)))
        painter.save()
        painter.setTransform(transform)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.drawImage(QRectF(covered.x() + cells.x() / scale, covered.y() + cells.y() / scale,
                                 cells.width() / scale, cells.height() / scale), part)
        painter.restore()

    def _build(self, selection: Selection, level: int, view: QRectF, bounds: QRect) -> None:
        grown = view.adjusted(-view.width() * MARGIN, -view.height() * MARGIN,
                              view.width() * MARGIN, view.height() * MARGIN)
        region = grown.toAlignedRect().intersected(bounds)
        if region.isEmpty():
            self._image = None
            return
        cells, covered = border_cells(
            selection.mask, (region.x(), region.y(), region.width(), region.height()), level)
        rows, columns = cells.shape
        self._cells = cells
        self._image = QImage(cells.data, columns, rows, columns, QImage.Format.Format_Indexed8)
        self._level = level
        self._covered = QRect(*covered)
        self.builds += 1
