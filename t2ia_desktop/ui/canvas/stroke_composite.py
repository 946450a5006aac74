"""Cached composites that make a brush segment cheap however many layers the document has.

While the artist paints on the active layer, everything below it (on paper) and everything
above it (on transparency) stays the same; with both kept as images, recompositing a segment's
rectangle is three draws: below, the active layer, above. The caches are keyed on the stack as
drawn (active layer, order, visibility, opacity, blend modes, size).

They are built *ahead* of the first press: whenever the stack or the active layer changes the
canvas calls :meth:`StrokeComposite.schedule`, and a zero-timer paints them band by band in
idle time, each band sized to take about :data:`SLICE_SECONDS`, so the UI never stalls on them
(a 4096² build of 16 layers took ≈ 0.9 s in one go). QPainter holds the GIL while it draws, so
a worker thread would stall the UI as much and add races; idle slices on the UI thread do not.
Until the caches are complete a segment is recomposited through the whole stack (exact, just
slower with many layers); the build pauses while a stroke is painted.

Layers above the active one are folded into one image only when they all blend normally
(source-over is associative; multiply or screen over a group is not the same as one by one);
otherwise the canvas recomposites the whole stack.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QRect, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QPainter

from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.ui.canvas.mask_display import draw_mask_layer
from t2ia_desktop.ui.common.layer_image import layer_image

SOURCE_OVER = QPainter.CompositionMode.CompositionMode_SourceOver
SLICE_SECONDS = 0.006
"""UI-thread time one idle slice of the cache build aims at (a frame is ≈ 16 ms)."""
FIRST_BAND_ROWS = 16
BUSY_RETRY_MS = 40
"""While a stroke is painted the build waits this long before it looks again."""


def _shown(layer: Layer) -> bool:
    return layer.visible and layer.opacity > 0


class StrokeComposite:
    """The below/above composites around the active layer, their idle-time build, and the
    fast recomposite."""

    def __init__(self, paper: QColor, modes: dict[str, QPainter.CompositionMode], *,
                 parent: QObject | None = None, busy: Callable[[], bool] = lambda: False,
                 slice_seconds: float = SLICE_SECONDS) -> None:
        """``busy()`` says when to hold the build back (a stroke is being painted)."""
        self.paper = paper
        self.modes = modes
        self.busy = busy
        self.slice_seconds = slice_seconds
        self.below: QImage | None = None
        self.above: QImage | None = None
        self.key: tuple | None = None
        """The stack the caches are for (complete, or still being built)."""
        self.built_rows = 0
        """Rows ``[0, built_rows)`` of both caches are up to date."""
        self.slices: list[float] = []
        """Seconds each idle slice of the latest build took (for the benchmark)."""
        self._document: Document | None = None
        self._rows = FIRST_BAND_ROWS
        self._timer = QTimer(parent)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.build_slice)

    @staticmethod
    def key_for(document: Document) -> tuple:
        active = document.active
        return (active.id if active is not None else None, document.width, document.height,
                tuple((layer.id, layer.visible, layer.opacity, layer.blend_mode)
                      for layer in document.layers))

    @property
    def nbytes(self) -> int:
        return sum(image.sizeInBytes() for image in (self.below, self.above) if image is not None)

    @property
    def complete(self) -> bool:
        return self.key is not None and self.below is not None \
            and self.built_rows >= self.below.height()

    @property
    def building(self) -> bool:
        """Whether a build is under way (more idle slices to come)."""
        return self.key is not None and not self.complete

    def drop(self) -> None:
        self._timer.stop()
        self.below = self.above = None
        self.key = None
        self._document = None
        self.built_rows = 0

    @staticmethod
    def cacheable(document: Document) -> bool:
        """Whether the stack around the active layer can be cached (all shown layers above it
        blend normally)."""
        layer = document.active
        if layer is None or layer not in document.layers or not _shown(layer):
            return False
        index = document.layers.index(layer)
        return all(other.blend_mode == "normal" for other in document.layers[index + 1:]
                   if _shown(other))

    def ready(self, document: Document, layer: Layer) -> bool:
        """Whether ``layer`` (the active one) can be recomposited from the caches now. When
        they are out of date this schedules their build and answers False: the caller then
        recomposites the whole stack (a press never waits for the build)."""
        if layer is not document.active or not _shown(layer) or layer not in document.layers:
            return False
        if self._document is document and self.complete and self.key == self.key_for(document):
            return True
        self.schedule(document)
        return False

    def schedule(self, document: Document) -> None:
        """Build the caches for ``document``'s stack in idle time, unless they are up to date
        or already being built for it; cheap to call on every change."""
        key = self.key_for(document)
        if self._document is document and key == self.key:
            return
        if not self.cacheable(document):
            self.drop()
            return
        size = (document.width, document.height)
        if self.below is None or (self.below.width(), self.below.height()) != size:
            self.below = QImage(*size, QImage.Format.Format_ARGB32_Premultiplied)
            self.above = QImage(*size, QImage.Format.Format_ARGB32_Premultiplied)
        self.key, self._document, self.built_rows = key, document, 0
        self.slices = []
        self._timer.start(0)

    def finish(self) -> None:
        """Complete a build under way now, in one go (tests, benchmarks)."""
        self._timer.stop()
        document = self._document
        if document is None or self.complete:
            return
        if self.key != self.key_for(document):
            self.schedule(document)
            if self._document is None:
                return
            self._timer.stop()
        self._paint(document, QRect(0, self.built_rows, document.width,
                                    document.height - self.built_rows))
        self.built_rows = document.height

    def build_slice(self) -> None:
        """One band of the build (the idle timer calls it; it re-arms itself until done)."""
        document = self._document
        if document is None or self.complete:
            return
        if self.key != self.key_for(document):  # the stack changed without a signal
            self.schedule(document)
            return
        if self.busy():
            self._timer.start(BUSY_RETRY_MS)
            return
        started = time.perf_counter()
        rows = min(self._rows, document.height - self.built_rows)
        self._paint(document, QRect(0, self.built_rows, document.width, rows))
        self.built_rows += rows
        elapsed = time.perf_counter() - started
        self.slices.append(elapsed)
        # aim the next band at the slice budget (the cost per row varies with the layers)
        scale = self.slice_seconds / max(elapsed, 1e-5)
        self._rows = max(4, min(document.height, int(rows * min(2.0, max(0.25, scale)))))
        if not self.complete:
            self._timer.start(0)

    def refresh(self, document: Document, area: QRect) -> None:
        """Another layer's pixels changed in ``area``: bring the caches up to date there (the
        rows not built yet will be painted from the new pixels anyway)."""
        if self._document is document and self.key is not None \
                and self.key == self.key_for(document):
            built = area.intersected(QRect(0, 0, document.width, self.built_rows))
            if not built.isEmpty():
                self._paint(document, built)
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
