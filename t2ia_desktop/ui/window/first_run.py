"""First run tells the truth: a banner over the top of the canvas while the demo model is the
chosen model, and Help → Getting started.

The banner says that the demo model paints noise, what a real model needs (disk, memory,
internet once) and offers to open Models → Manage models with SDXL base 1.0 selected. Closing
it is remembered (``window.ini``); Help → Getting started brings it back.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from t2ia_desktop.core.generation.request import DEFAULT_SDXL_MODEL, DEMO_MODEL
from t2ia_desktop.core.generation.settings import GenerationSettings
from t2ia_desktop.runtime.system_info import human_bytes

SDXL_DOWNLOAD_BYTES = 5_135_149_760 + 1_389_382_176 + 246_144_152 + 167_335_342 + 3_000_000
"""What downloading SDXL base 1.0 fetches: the fp16 UNet, both text encoders and the VAE
(sizes of the hub's files) and the tokenizers' and configs' few megabytes."""
DISMISSED_KEY = "first_run/dismissed"


def demo_truth() -> str:
    """The banner's words: what the demo model is and what a real model needs."""
    size = human_bytes(SDXL_DOWNLOAD_BYTES)
    return (
        "<b>The demo model paints noise</b> (random weights: every tool works offline, the "
        f"pictures are not real). For real pictures get <b>SDXL base 1.0</b>: {size} to "
        f"download once (internet needed once), {size} of disk, and a GPU with 8 GB of memory "
        "(6 GB with Models → Memory → Low VRAM) or 16 GB of RAM (on the processor: minutes "
        "per picture)."
    )


GETTING_STARTED = (
    "<ol>"
    "<li><b>Draw</b> on the Sketch layer (B brush, E eraser, [ and ] size), or <b>drop a "
    "photo</b> on the canvas and choose a remix (Pose, Depth, Lineart, Canny, Sketch).</li>"
    "<li>Each <b>condition layer</b> turns a layer into a control image (Layer → Add condition "
    "layer); the Preview and Condition panels show and tune the selected one.</li>"
    "<li>Write a <b>prompt</b> in Generate and press <b>Generate</b> (Ctrl+Return). Jobs wait "
    "in the Queue; every finished picture is a new layer and is kept in Image history.</li>"
    "<li><b>Live</b> (Ctrl+L) makes a new picture after each stroke.</li>"
    "</ol>"
    "<p>Help → Keyboard shortcuts lists every key; Help → Open README has the whole guide.</p>"
)


class FirstRunBanner(QFrame):
    """The banner over the top of ``canvas`` (it follows the canvas's width)."""

    get_model_requested = Signal()
    """Open Models → Manage models with SDXL base 1.0 selected."""

    def __init__(self, canvas: QWidget, generation_settings: GenerationSettings,
                 settings_path: Path) -> None:
        super().__init__(canvas)
        self.setObjectName("first_run_banner")
        self.canvas = canvas
        self.generation_settings = generation_settings
        self.settings_path = settings_path
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setStyleSheet("#first_run_banner { background: #fff6d5; border: 1px solid #d9b44a;"
                           " border-radius: 4px; } #first_run_banner QLabel { color: #3b2f00; }")
        self.text_label = QLabel(demo_truth())
        self.text_label.setWordWrap(True)
        self.text_label.setTextFormat(Qt.TextFormat.RichText)
        self.get_button = QPushButton(f"Get SDXL base 1.0 ({human_bytes(SDXL_DOWNLOAD_BYTES)})…")
        self.get_button.setToolTip("Open Models → Manage models with SDXL base 1.0 selected")
        self.get_button.clicked.connect(self.get_model_requested)
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Hide this note (Help → Getting started shows it again)")
        self.close_button.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.text_label, 1)
        buttons = QVBoxLayout()
        buttons.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignRight)
        buttons.addStretch(1)
        buttons.addWidget(self.get_button)
        layout.addLayout(buttons)
        self.dismissed = bool(self._settings().value(DISMISSED_KEY, False, type=bool))
        generation_settings.events.model.connect(self._on_model)
        canvas.installEventFilter(self)
        self.update_shown()

    def _settings(self) -> QSettings:
        return QSettings(str(self.settings_path), QSettings.Format.IniFormat)

    def _on_model(self, *_args: object) -> None:
        self.update_shown()

    def wanted(self) -> bool:
        """Shown while the demo model is chosen and the artist has not closed it."""
        return self.generation_settings.model == DEMO_MODEL and not self.dismissed

    def update_shown(self) -> None:
        self.setVisible(self.wanted())
        if self.isVisible():
            self.place()
            self.raise_()

    def place(self) -> None:
        margin = 12
        width = min(self.canvas.width() - 2 * margin, 760)
        height = self.heightForWidth(width) if self.hasHeightForWidth() else -1
        height = max(height, self.sizeHint().height(), self.minimumSizeHint().height())
        self.setGeometry((self.canvas.width() - width) // 2, margin, width, height)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.canvas and self.isVisible():
            if event.type() == QEvent.Type.Resize:
                self.place()
            elif event.type() == QEvent.Type.ChildAdded:  # an overlay made later (live mode)
                QTimer.singleShot(0, self.raise_)          # stays under the banner
        return False

    def dismiss(self) -> None:
        self.dismissed = True
        settings = self._settings()
        settings.setValue(DISMISSED_KEY, True)
        settings.sync()
        self.update_shown()

    def bring_back(self) -> None:
        self.dismissed = False
        settings = self._settings()
        settings.remove(DISMISSED_KEY)
        settings.sync()
        self.update_shown()


class GettingStartedDialog(QDialog):
    """Help → Getting started: the four steps, and the truth about the demo model."""

    def __init__(self, banner: FirstRunBanner, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Getting started")
        self.setObjectName("getting_started")
        text = QLabel(GETTING_STARTED + (f"<p>{demo_truth()}</p>" if
                                         banner.generation_settings.model == DEMO_MODEL else ""))
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setMinimumWidth(460)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.get_button = buttons.addButton(banner.get_button.text(),
                                            QDialogButtonBox.ButtonRole.ActionRole)
        self.get_button.clicked.connect(banner.get_model_requested)
        self.get_button.clicked.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(buttons)


SDXL = DEFAULT_SDXL_MODEL
"""The model the banner's button selects in Models → Manage models."""
