"""One job of the queue panel: step preview, control thumbnails, prompt excerpt, state, a
progress bar with the time left, the reason of a failure, and Cancel / Retry buttons."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from t2ia_desktop.core.conditions.guides import ADAPTER, UNION, guide_label
from t2ia_desktop.core.generation.jobs import Job, JobState
from t2ia_desktop.ui.common.error_details import show_error_details
from t2ia_desktop.ui.queue.job_phase import show_phase

PROMPT_EXCERPT = 48
PREVIEW_SIZE = 56
CONTROL_SIZE = 24
STATE_WORDS = {
    JobState.QUEUED: "Waiting",
    JobState.RUNNING: "Generating",
    JobState.DONE: "Done",
    JobState.FAILED: "Failed",
    JobState.CANCELLED: "Cancelled",
}
FAILURE_STYLE = "color: #d03030;"


def prompt_excerpt(job: Job) -> str:
    prompt = " ".join(job.request.prompt.split()) or "(no prompt)"
    return prompt if len(prompt) <= PROMPT_EXCERPT else prompt[: PROMPT_EXCERPT - 1] + "…"


def format_eta(seconds: float | None) -> str:
    """``"12 s left"``, ``"3:05 left"``; empty while unknown."""
    if seconds is None:
        return ""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s left"
    minutes, rest = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}:{rest:02d} left"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{rest:02d} left"


def image_pixmap(image: Image.Image, size: int) -> QPixmap:
    """A small copy of a PIL image that fits in ``size``×``size`` pixels."""
    small = image.copy()
    small.thumbnail((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    rgba = small.convert("RGBA")
    data = rgba.tobytes()
    qimage = QImage(data, rgba.width, rgba.height, rgba.width * 4,
                    QImage.Format.Format_RGBA8888)
    return QPixmap.fromImage(qimage.copy())  # the copy owns its pixels, ``data`` may go


def guide_badge(pixmap: QPixmap, guide: str) -> QPixmap:
    """``pixmap`` with "CN" (ControlNet) or "U" (union) in its corner; as it is for an
    adapter."""
    if guide == ADAPTER:
        return pixmap
    badged = QPixmap(pixmap)
    painter = QPainter(badged)
    font = painter.font()
    font.setPixelSize(9)
    font.setBold(True)
    painter.setFont(font)
    text = "U" if guide == UNION else "CN"
    box = painter.fontMetrics().boundingRect(text).adjusted(-2, 0, 2, 0)
    box.moveTopLeft(QPoint(0, 0))
    painter.fillRect(box, QColor(20, 90, 160))
    painter.setPen(QColor("white"))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return badged


class PixmapCache:
    """Small pixmaps of images shared by many jobs (a batch shares its controls): each image
    is scaled once. Keyed by the image object, which requests never change."""

    def __init__(self, limit: int = 128) -> None:
        self.limit = limit
        self._items: OrderedDict[tuple[int, int], tuple[Image.Image, QPixmap]] = OrderedDict()

    def get(self, image: Image.Image, size: int) -> QPixmap:
        key = (id(image), size)
        found = self._items.get(key)
        if found is not None and found[0] is image:
            self._items.move_to_end(key)
            return found[1]
        pixmap = image_pixmap(image, size)
        self._items[key] = (image, pixmap)
        while len(self._items) > self.limit:
            self._items.popitem(last=False)
        return pixmap


def job_facts(job: Job) -> str:
    """What tells a job from its neighbours at a glance: the controls it uses and its seed."""
    controls = ", ".join(f"{c.condition} {c.conditioning_scale:g}"
                         for c in job.request.controls) or "no controls"
    return f"{controls} · seed {job.request.seed}"


class JobRow(QFrame):
    """Draws one :class:`Job`; ``refresh`` redraws it from the job's current state."""

    def __init__(self, job: Job, cancel: Callable[[Job], None], retry: Callable[[Job], None],
                 pixmaps: PixmapCache | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job = job
        self._cancel = cancel
        self._retry = retry
        self._pixmaps = pixmaps or PixmapCache()
        self._shown_image: object = self  # nothing shown yet (None is "no picture")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setToolTip(job.request.summary())

        self.preview_label = QLabel()
        self.preview_label.setFixedSize(PREVIEW_SIZE, PREVIEW_SIZE)
        self.preview_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview_label.setFrameShape(QFrame.Shape.Box)
        self.preview_label.setToolTip("Step preview: what the picture looks like so far")
        self.control_labels: list[QLabel] = []
        controls = QHBoxLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        controls.setSpacing(2)
        for control in job.request.controls:
            label = QLabel()
            label.setFixedSize(CONTROL_SIZE, CONTROL_SIZE)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setPixmap(guide_badge(self._pixmaps.get(control.image, CONTROL_SIZE),
                                        control.guide))
            label.setToolTip(f"Control: {control.condition}, guided by "
                             f"{guide_label(control.guide)}, strength "
                             f"{control.conditioning_scale:g}")
            self.control_labels.append(label)
            controls.addWidget(label)
        self.facts_label = QLabel(job_facts(job))
        self.facts_label.setObjectName("job_facts")
        self.facts_label.setStyleSheet("color: palette(mid);")
        self.facts_label.setToolTip("The controls this job uses (those left out are not listed) "
                                    "and its seed: the same seed and settings give the same "
                                    "picture")
        self.facts_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        controls.addWidget(self.facts_label, 1)

        self.prompt_label = QLabel(prompt_excerpt(job))
        self.prompt_label.setToolTip(job.request.prompt or "(no prompt)")
        self.prompt_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.state_label = QLabel()
        self.state_label.setToolTip("State of this job")
        self.progress_bar = QProgressBar()
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setMaximumHeight(16)
        self.progress_bar.setToolTip("Denoising steps done, and the time left at this pace")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop this job (a running one stops at its next step, "
                                      "one loading a model as soon as it has loaded; Del)")
        self.cancel_button.clicked.connect(self.cancel)
        self.retry_button = QPushButton("Retry")
        self.retry_button.setToolTip("Queue this job again with the same settings and seed")
        self.retry_button.clicked.connect(lambda: self._retry(self.job))
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(FAILURE_STYLE)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setCursor(Qt.CursorShape.IBeamCursor)
        self.error_label.hide()
        self.details_button = QPushButton("Details…")
        self.details_button.setToolTip("Show why this job failed, with text you can copy")
        self.details_button.clicked.connect(self.show_details)
        self.details_button.hide()

        layout = QGridLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setVerticalSpacing(2)
        layout.addWidget(self.preview_label, 0, 0, 3, 1, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.prompt_label, 0, 1)
        layout.addWidget(self.state_label, 0, 2, Qt.AlignmentFlag.AlignRight)
        layout.addLayout(controls, 1, 1, 1, 2)
        layout.addWidget(self.progress_bar, 2, 1)
        layout.addWidget(self.cancel_button, 2, 2)
        layout.addWidget(self.retry_button, 2, 2)
        layout.addWidget(self.error_label, 3, 0, 1, 2)
        layout.addWidget(self.details_button, 3, 2, Qt.AlignmentFlag.AlignTop)
        layout.setColumnStretch(1, 1)
        self.refresh()

    def cancel(self) -> None:
        self._cancel(self.job)
        self.refresh()  # a running job only stops at its next step: say so at once

    def show_details(self):
        """Details…: the failure's reason and traceback in a window, ready to copy."""
        return show_error_details(self.job, self.window())

    def refresh(self) -> None:
        """Redraw from the job's current state."""
        job = self.job
        self.state_label.setText(STATE_WORDS[job.state])
        total = max(job.total_steps, job.request.steps, 1)
        self.progress_bar.setRange(0, total)
        self.progress_bar.setValue(min(job.step, total))
        eta = format_eta(job.eta_seconds())
        self.progress_bar.setFormat(f"{job.step}/{total} · {eta}" if eta else f"{job.step}/{total}")
        self.progress_bar.setVisible(
            job.state in (JobState.QUEUED, JobState.RUNNING, JobState.DONE)
        )
        self.cancel_button.setVisible(not job.state.finished)
        self.cancel_button.setEnabled(not job.cancel_event.is_set())
        self.retry_button.setVisible(job.state in (JobState.FAILED, JobState.CANCELLED))
        if job.state is JobState.RUNNING and job.cancel_event.is_set():
            self.state_label.setText("Cancelling…")
        show_phase(job, self.state_label, self.progress_bar)  # loading: a busy bar
        if job.state is JobState.FAILED:
            reason = job.error or "The job failed without a reason."
            self.error_label.setText(reason)
            self.error_label.setToolTip(reason)
            self.error_label.show()
        else:
            self.error_label.hide()
        self.details_button.setVisible(job.state is JobState.FAILED)
        self._show_picture(job.result if job.result is not None else job.preview)

    def _show_picture(self, image: Image.Image | None) -> None:
        if image is self._shown_image:
            return
        self._shown_image = image
        if image is None:
            self.preview_label.clear()
            self.preview_label.setText("…")
        else:
            self.preview_label.setPixmap(image_pixmap(image, PREVIEW_SIZE))
            self.preview_label.setToolTip("The result" if image is self.job.result
                                          else "Step preview: the picture so far")
