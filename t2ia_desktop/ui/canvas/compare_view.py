"""Compare a result with what lies below it: the canvas split at a line you slide.

Left of the line the canvas shows the picture as it is; right of it, the visible layers below the
result layer (the sketch, the photo, an earlier result) on paper. The result compared is the one
selected in Layers, else the topmost visible result. View → Compare (C) toggles it; the slider
in the Compare toolbar moves the line.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QAction, QColor, QImage, QKeySequence, QPainter, QPen
from PySide6.QtWidgets import QLabel, QMainWindow, QSlider, QToolBar

from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.ui.canvas.view import PAPER, CanvasView
from t2ia_desktop.ui.common.layer_image import layer_image
from t2ia_desktop.ui.common.widgets import ModelConnections

SPLIT_LINE = QColor(255, 200, 40)
DEFAULT_SPLIT = 0.5


def below_image(document: Document, result: Layer) -> QImage:
    """The visible layers under ``result`` on white paper, at document size."""
    image = QImage(document.width, document.height, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(PAPER)
    painter = QPainter(image)
    for layer in document.layers[: document.layers.index(result)]:
        if layer.visible and layer.opacity > 0:
            painter.setOpacity(layer.opacity)
            painter.drawImage(0, 0, layer_image(layer.pixels))
    painter.end()
    return image


class CompareView(QObject):
    """The compare toggle, its split slider, and the canvas paint hook that draws the split.

    ``selected_layer`` is the layer selected in Layers (None when none is); ``say`` shows a
    hint in the status bar."""

    def __init__(self, window: QMainWindow, canvas: CanvasView,
                 selected_layer: Callable[[], Layer | None],
                 say: Callable[[str], None]) -> None:
        super().__init__(window)
        self.window = window
        self.canvas = canvas
        self.selected_layer = selected_layer
        self.say = say
        self.split = DEFAULT_SPLIT
        self._below: QImage | None = None
        self._below_of: Layer | None = None
        self._document: Document | None = None
        self.connections = ModelConnections()

        self.action = QAction("Compare with below", window)
        self.action.setCheckable(True)
        self.action.setShortcut(QKeySequence("C"))
        tip = ("Split the canvas: the selected result on the left, the layers below it on the "
               "right (C)")
        self.action.setToolTip(tip)
        self.action.setStatusTip(tip)
        self.action.toggled.connect(self.set_enabled)
        window.addAction(self.action)

        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setValue(round(DEFAULT_SPLIT * 100))
        self.slider.setFixedWidth(120)
        self.slider.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.slider.setToolTip("Where the compare split lies across the canvas")
        self.slider.valueChanged.connect(lambda value: self.set_split(value / 100))
        self.toolbar = QToolBar("Compare", window)
        self.toolbar.setObjectName("compare_toolbar")
        self.toolbar.addAction(self.action)
        self.toolbar.addWidget(QLabel(" Split "))
        self.toolbar.addWidget(self.slider)
        window.addToolBar(self.toolbar)
        self.canvas.paint_hooks.append(self.paint)
        window.destroyed.connect(lambda *_: self.connections.disconnect_all())

    @property
    def enabled(self) -> bool:
        return self.action.isChecked()

    def set_enabled(self, enabled: bool) -> None:
        if self.action.isChecked() != enabled:
            self.action.setChecked(enabled)  # comes back here through toggled
            return
        if enabled and self.result_layer() is None:
            self.action.setChecked(False)
            self.say("Nothing to compare yet: generate a picture (or add one "
                                     "from the Image history) first.")
            return
        self._bind(self.canvas.document)
        self._forget()
        self.canvas.update()

    def set_split(self, fraction: float) -> None:
        """Where the line lies: 0 shows only what is below, 1 only the result."""
        fraction = max(0.0, min(1.0, float(fraction)))
        if fraction != self.split:
            self.split = fraction
            if self.slider.value() != round(fraction * 100):
                self.slider.blockSignals(True)
                self.slider.setValue(round(fraction * 100))
                self.slider.blockSignals(False)
            if self.enabled:
                self.canvas.update()

    def result_layer(self) -> Layer | None:
        """The selected result layer, else the topmost visible one."""
        document = self.canvas.document
        selected = self.selected_layer()
        if selected is not None and selected.kind == "result" and selected in document.layers:
            return selected
        return next((layer for layer in reversed(document.layers)
                     if layer.kind == "result" and layer.visible), None)

    # -- keeping the picture below up to date ----------------------------------------------------
    def _bind(self, document: Document) -> None:
        if document is self._document:
            return
        self.connections.disconnect_all()
        self._document = document
        for signal in (document.layer_added, document.layer_removed, document.layer_changed,
                       document.pixels_changed):
            self.connections.connect(signal, self._on_document_changed)

    def _on_document_changed(self, *_args: object) -> None:
        self._forget()
        if self.enabled:
            self.canvas.update()

    def _forget(self) -> None:
        self._below, self._below_of = None, None

    # -- painting --------------------------------------------------------------------------------
    def paint(self, painter: QPainter, visible: QRectF, source: QRectF) -> None:
        """Canvas hook: draw the layers below the result right of the split line."""
        if not self.enabled:
            return
        document = self.canvas.document
        self._bind(document)
        result = self.result_layer()
        if result is None or source.width() <= 0 or source.height() <= 0:
            return
        if self._below is None or self._below_of is not result:
            self._below, self._below_of = below_image(document, result), result
        split_x = self.split * document.width
        right = QRectF(split_x, 0, document.width - split_x, document.height).intersected(source)
        scale_x = visible.width() / source.width()
        scale_y = visible.height() / source.height()

        def to_widget(x: float, y: float) -> QPointF:
            return QPointF(visible.x() + (x - source.x()) * scale_x,
                           visible.y() + (y - source.y()) * scale_y)

        if not right.isEmpty():
            top_left = to_widget(right.x(), right.y())
            target = QRectF(top_left.x(), top_left.y(), right.width() * scale_x,
                            right.height() * scale_y)
            painter.drawImage(target, self._below, right)
        if source.left() <= split_x <= source.right():
            line_x = to_widget(split_x, 0).x()
            painter.setPen(QPen(SPLIT_LINE, 2))
            painter.drawLine(QPointF(line_x, visible.top()), QPointF(line_x, visible.bottom()))
            label_top = int(visible.top()) + 4
            painter.drawText(QRect(int(line_x) - 84, label_top, 80, 16),
                             Qt.AlignmentFlag.AlignRight, result.name)
            painter.drawText(QRect(int(line_x) + 4, label_top, 80, 16),
                             Qt.AlignmentFlag.AlignLeft, "Below")
