"""The live picture drawn over the canvas, for artists who turn on Live → Over canvas (by
default it shows in the Live dock beside the canvas, so the strokes stay visible)."""

from __future__ import annotations

from PIL import Image
from PySide6.QtCore import QObject, QRectF, Qt
from PySide6.QtGui import QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

LIVE_OPACITY = 0.85
"""How strongly the live picture covers the canvas: the strokes under it still show a little."""


def pil_to_qimage(image: Image.Image) -> QImage:
    """A copy of ``image`` as an RGBA QImage that owns its pixels."""
    rgba = image.convert("RGBA")
    data = rgba.tobytes()
    qimage = QImage(data, rgba.width, rgba.height, rgba.width * 4, QImage.Format.Format_RGBA8888)
    return qimage.copy()


class LiveOverlay(QWidget):
    """The live picture drawn over the canvas paper, following zoom, pan and rotation; mouse
    events go through to the canvas."""

    def __init__(self, canvas: QWidget) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self.image: QImage | None = None
        self.opacity = LIVE_OPACITY
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setGeometry(canvas.rect())
        canvas.installEventFilter(self)
        view_changed = getattr(canvas, "view_changed", None)
        if view_changed is not None:
            view_changed.connect(self.update)
        self.hide()

    def eventFilter(self, watched: QObject, event) -> bool:
        if watched is self.canvas and event.type() == event.Type.Resize:
            self.setGeometry(self.canvas.rect())
        return False

    def set_image(self, image: QImage | None) -> None:
        """Draw ``image`` over the canvas (None: hide)."""
        self.image = image
        self.setVisible(self.image is not None)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        if self.image is None:
            return
        document = self.canvas.document
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.setOpacity(self.opacity)
        view = getattr(self.canvas, "view", None)
        if view is not None:
            painter.setTransform(view.transform())
            area = document.generation_area  # a live picture of the area lands on it
            if (self.image.width(), self.image.height()) == area.size:
                painter.drawImage(QRectF(*area.rect), self.image)
            else:
                painter.drawImage(QRectF(0, 0, document.width, document.height), self.image)
        else:
            painter.drawImage(self.canvas.paper_rect(), self.image)
        painter.end()
