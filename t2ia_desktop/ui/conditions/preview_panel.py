"""The preview dock: a condition layer's source and its control image side by side, live.

The source is drawn on white paper (as the detector sees it), the control image on black (as
the adapter sees it). Both redraw as their layers' pixels change, so a stroke on the source
shows up in the control image as soon as the detector has run.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.session.session import Session
from t2ia_desktop.ui.common.layer_image import layer_image
from t2ia_desktop.ui.common.styles import (
    ERROR_STYLE,
    FAILURE_MARK,
    MUTED_STYLE,
    condition_label,
    first_sentence,
)
from t2ia_desktop.ui.common.widgets import DocumentPanel, ElidedLabel
from t2ia_desktop.ui.conditions.custom_preview import custom_preview

FRAME = QColor(30, 31, 34)
EMPTY = QColor(70, 72, 76)


class LayerThumb(QWidget):
    """A layer's pixels scaled to fit, centred, on paper (``white``) or on black."""

    def __init__(self, background: QColor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layer: Layer | None = None
        self.background = background
        self.empty_text = ""
        self.override: QImage | None = None
        """Drawn instead of the layer's pixels (a condition's custom preview)."""
        self.aspect = 1.0  # height / width of what it shows
        self.setMinimumSize(64, 64)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def sizeHint(self) -> QSize:
        return QSize(150, self.heightForWidth(150))

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return max(64, round(width * self.aspect))

    def set_layer(self, layer: Layer | None) -> None:
        self.layer = layer
        if layer is not None:
            aspect = layer.size[1] / layer.size[0]
            if aspect != self.aspect:
                self.aspect = aspect
                self.updateGeometry()
        self.update()

    def image_rect(self) -> QRectF:
        """Where the layer is drawn, in widget coordinates."""
        if self.layer is None:
            return QRectF()
        width, height = self.layer.size
        scale = min((self.width() - 4) / width, (self.height() - 4) / height)
        shown_w, shown_h = width * scale, height * scale
        return QRectF((self.width() - shown_w) / 2, (self.height() - shown_h) / 2, shown_w,
                      shown_h)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window())
        if self.layer is None:
            painter.setPen(EMPTY)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self.empty_text)
            painter.end()
            return
        target = self.image_rect()
        painter.fillRect(target, self.background)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(target, self.override if self.override is not None
                          else layer_image(self.layer.pixels))
        painter.setPen(QPen(FRAME, 1))
        painter.drawRect(target.adjusted(-0.5, -0.5, 0.5, 0.5))
        if self.layer.is_blank():
            painter.setPen(EMPTY if self.background.lightness() > 128 else QColor(150, 150, 150))
            painter.drawText(target, Qt.AlignmentFlag.AlignCenter, "empty")
        painter.end()


class PreviewPanel(DocumentPanel):
    """Shows one condition layer (``set_layer``): its source, its control image, its state."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        """Shows the session's current condition layer and its source."""
        super().__init__(parent)
        if session.updater is None:
            raise ValueError("the preview dock needs a session that detects conditions")
        self.document = session.document
        self.updater = updater = session.updater
        self.layer: Layer | None = None
        self._busy = False
        self.custom_error = ""
        """Why the condition's custom preview failed ("" when it did not)."""
        self._custom_timer = QTimer(self)  # one custom preview per burst of changes
        self._custom_timer.setSingleShot(True)
        self._custom_timer.setInterval(0)
        self._custom_timer.timeout.connect(self.update_custom_preview)

        self.source_view = LayerThumb(QColor(255, 255, 255))
        self.source_view.setToolTip("The source layer, as the detector reads it")
        self.control_view = LayerThumb(QColor(0, 0, 0))
        self.control_view.setToolTip("The control image the adapter gets when you Generate")
        self.source_caption = ElidedLabel("Source")
        self.control_caption = ElidedLabel("Control image")
        for caption in (self.source_caption, self.control_caption):
            caption.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setToolTip("What the detector is doing for this layer")

        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.addWidget(self.source_view, 0, 0)
        grid.addWidget(self.control_view, 0, 1)
        grid.addWidget(self.source_caption, 1, 0)
        grid.addWidget(self.control_caption, 1, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(grid)
        layout.addWidget(self.status_label)
        layout.addStretch(1)

        self._listen(session)
        updater.layer_busy.connect(self._on_busy)
        session.current_condition_changed.connect(self.set_layer)
        self.set_layer(session.current_condition)

    def _bind(self, document: Document) -> None:
        self.connections.connect(document.pixels_changed, self._on_pixels_changed)
        self.connections.connect(document.layer_changed, self._on_layer_changed)
        self.connections.connect(document.layer_removed, self._on_layer_changed)

    def set_document(self, document: Document) -> None:
        """Follow another document (a new or opened one); shows no layer until told."""
        self._follow(document)
        self.set_layer(None)

    def source_layer(self) -> Layer | None:
        if self.layer is None or self.layer.condition is None:
            return None
        return self.document.layer_by_id(self.layer.condition.source_id)

    def set_layer(self, layer: Layer | None) -> None:
        self.layer = layer
        self.control_view.override = None  # the next custom preview is this layer's
        self.custom_error = ""
        self._busy = layer is not None and self.updater.scheduler.is_busy(layer.id)
        self.refresh()

    def refresh(self) -> None:
        layer = self.layer
        source = self.source_layer()
        self.source_view.set_layer(source)
        self.control_view.set_layer(layer)
        if layer is None or layer.condition is None:
            self.source_view.empty_text = ""
            self.control_view.empty_text = "Select a condition layer"
            self.source_caption.setText("Source")
            self.control_caption.setText("Control image")
            self.status_label.setStyleSheet("")
            self.status_label.setText(
                "Add a condition layer (Layer → Add condition layer) or drop a photo on the "
                "canvas to see its control image here."
            )
            return
        self.source_view.empty_text = "Its source layer was deleted"
        self.source_caption.setText(f"Source: {source.name}" if source else "No source")
        label = condition_label(self.updater.registry, layer.condition.condition)
        self.control_caption.setText(label)
        self._custom_timer.start()
        self._show_status()

    def update_custom_preview(self) -> None:
        """Draw the control image with its condition's own preview, when it has one."""
        image, self.custom_error = custom_preview(self.updater.registry, self.layer)
        self.control_view.override = image
        self.control_view.update()
        self._show_status()

    def _show_status(self) -> None:
        layer = self.layer
        if layer is None or layer.condition is None:
            return
        settings = layer.condition
        if settings.error:  # told once, in full, in the Condition dock
            self.status_label.setStyleSheet(MUTED_STYLE)
            self.status_label.setText(f"{FAILURE_MARK} No control image: see the Condition dock.")
            self.status_label.setToolTip(settings.error)
        elif self.custom_error:  # the preview's own drawing failed: only shown here
            self.status_label.setStyleSheet(ERROR_STYLE)
            self.status_label.setText(first_sentence(self.custom_error))
            self.status_label.setToolTip(self.custom_error)
        else:
            self.status_label.setStyleSheet("")
            if self._busy:
                text = "Updating the control image…"
            elif settings.detached:
                text = "Hand-edited: it keeps your strokes until you Re-detect."
            elif layer.is_blank():
                text = "No control image yet."
            else:
                text = "Follows its source: change the source or a setting to update it."
            self.status_label.setText(text)
            self.status_label.setToolTip("What the detector is doing for this layer")

    def _on_pixels_changed(self, layer: Layer, _rect: tuple[int, int, int, int]) -> None:
        if self.layer is None:
            return
        if layer is self.layer:
            self.control_view.update()
            self._custom_timer.start()
            if not self._busy:
                self._show_status()
        elif layer is self.source_layer():
            self.source_view.update()

    def _on_layer_changed(self, layer: Layer) -> None:
        if self.layer is not None and (layer is self.layer or layer is self.source_layer()
                                       or layer.id == self.layer.condition.source_id):
            self.refresh()

    def _on_busy(self, layer: Layer, busy: bool) -> None:
        if layer is self.layer:
            self._busy = busy
            self.refresh()
