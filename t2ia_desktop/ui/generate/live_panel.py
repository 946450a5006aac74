"""The Live dock's panel: the live picture beside the canvas (as Krita's live workspace shows
it), so the strokes being drawn stay in plain view, with Live on/off, Live steps, Keep and the
choice to draw the picture over the canvas instead."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QAction, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

PLACEHOLDER = "Turn Live on (Ctrl+L) and draw:\nthe picture appears here."
WAITING = "The first live picture is on its way…"


class LivePicture(QWidget):
    """The live picture, as large as the panel allows with its proportions kept."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("live_picture")
        self.image: QImage | None = None
        self.placeholder = PLACEHOLDER
        """What shows while there is no picture."""
        self.setMinimumSize(120, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(320, 320)

    def set_image(self, image: QImage | None) -> None:
        self.image = image
        self.update()

    def picture_rect(self) -> QRectF:
        """Where the picture is drawn: centred, fitted, its proportions kept."""
        if self.image is None or self.image.isNull():
            return QRectF()
        scale = min(self.width() / self.image.width(), self.height() / self.image.height())
        width, height = self.image.width() * scale, self.image.height() * scale
        return QRectF((self.width() - width) / 2, (self.height() - height) / 2, width, height)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window().color().darker(115))
        if self.image is None:
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.placeholder)
        else:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(self.picture_rect(), self.image)
        painter.end()


class LivePanel(QWidget):
    """Shows the live picture and its state; ``live_action`` and ``keep_action`` are the
    window's Live (Ctrl+L) and Keep live result (Ctrl+Shift+L)."""

    steps_changed = Signal(int)  # the artist set Live steps
    over_canvas_changed = Signal(bool)  # draw the picture over the canvas as well

    def __init__(self, live_action: QAction, keep_action: QAction,
                 steps_range: tuple[int, int], steps: int) -> None:
        super().__init__()
        self.setObjectName("live_panel")
        self.picture = LivePicture()
        self.status_label = QLabel("Live is off.")
        self.status_label.setObjectName("live_status")
        self.status_label.setWordWrap(True)
        self.status_label.setMinimumWidth(1)  # a long reason wraps, it never widens the dock
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored,
                                        QSizePolicy.Policy.Preferred)

        self.live_button = QToolButton()
        self.live_button.setDefaultAction(live_action)
        self.live_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.steps_spin = QSpinBox()
        self.steps_spin.setObjectName("live_steps")
        self.steps_spin.setRange(*steps_range)
        self.steps_spin.setValue(steps)
        self.steps_spin.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        tip = ("Live steps: how many steps a live picture takes (fewer: sooner). A speed "
               "preset or the LCM/TCD scheduler brings its own.")
        self.steps_spin.setToolTip(tip)
        steps_label = QLabel("Steps")
        steps_label.setToolTip(tip)
        steps_label.setBuddy(self.steps_spin)
        self.keep_button = QToolButton()
        self.keep_button.setDefaultAction(keep_action)
        self.keep_button.setText("Keep")
        self.keep_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.over_canvas_check = QCheckBox("Over canvas")
        self.over_canvas_check.setToolTip("Also draw the live picture over the canvas (at the "
                                          "live opacity of Settings)")

        row = QHBoxLayout()  # two short rows: the panel fits the narrow left column
        row.addWidget(self.live_button)
        row.addSpacing(6)
        row.addWidget(steps_label)
        row.addWidget(self.steps_spin)
        row.addStretch(1)
        row.addWidget(self.keep_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.picture, 1)
        layout.addWidget(self.status_label)
        layout.addLayout(row)
        second = QHBoxLayout()
        second.addWidget(self.over_canvas_check)
        second.addStretch(1)
        layout.addLayout(second)
        self.steps_spin.valueChanged.connect(self.steps_changed)
        self.over_canvas_check.toggled.connect(self.over_canvas_changed)
        keep_action.changed.connect(lambda: self.keep_button.setText("Keep"))

    def show_steps(self, steps: int) -> None:
        """Show ``steps`` without sending it back as the artist's change."""
        self.steps_spin.blockSignals(True)
        self.steps_spin.setValue(steps)
        self.steps_spin.blockSignals(False)

    def set_image(self, image: QImage | None) -> None:
        self.picture.set_image(image)

    def set_waiting(self, waiting: bool) -> None:
        """Whether the first picture is on its way (the placeholder says so)."""
        self.picture.placeholder = WAITING if waiting else PLACEHOLDER
        self.picture.update()

    def set_status(self, text: str, tip: str = "") -> None:
        self.status_label.setText(text)
        self.status_label.setToolTip(tip or text)
