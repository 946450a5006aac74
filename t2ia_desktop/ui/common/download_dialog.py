"""The download dialog: which files, a progress bar in megabytes, the speed, and Cancel.

It shows a :class:`DownloadTask` that runs on its own thread; the dialog only draws what the
task reports. Cancel stops the download between two chunks and removes the partial file; a
failure stays on screen with its message (selectable, to copy) until the artist closes it.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLayout,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from t2ia_desktop.runtime.downloads import DownloadTask
from t2ia_desktop.ui.common.styles import ERROR_STYLE

#: The progress bar counts kilobytes: QProgressBar's range is a 32-bit int.
UNIT = 1024


def megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


class DownloadDialog(QDialog):
    """Follows one download; accepted when it succeeds, rejected when cancelled or failed."""

    def __init__(self, task: DownloadTask, title: str, folder: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(420)
        self.task: DownloadTask | None = task
        self.outcome = "running"  # then "done", "cancelled" or "failed"
        self._started = time.monotonic()
        self._speed_mark: tuple[float, int] = (self._started, 0)
        self._speed = 0.0

        self.what_label = QLabel(f"Downloading {', '.join(task.files)}…")
        self.what_label.setWordWrap(True)
        self.where_label = QLabel(f"Into {folder}")
        self.where_label.setWordWrap(True)
        self.where_label.setEnabled(False)
        self.where_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # busy until the first sizes arrive
        self.bytes_label = QLabel("Connecting…")
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button: QPushButton = self.buttons.button(
            QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setToolTip("Stop the download; the file being fetched is removed "
                                      "(Esc)")
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # grows with its text
        for widget in (self.what_label, self.where_label, self.bar, self.bytes_label,
                       self.error_label, self.buttons):
            layout.addWidget(widget)

        task.progress.connect(self._on_progress)
        task.succeeded.connect(self._on_succeeded)
        task.failed.connect(self._on_failed)
        task.cancelled.connect(self._on_cancelled)

    # -- the task's reports -------------------------------------------------------------------
    def _on_progress(self, done: int, total: int | None, name: str) -> None:
        if self.task is None:
            return
        now = time.monotonic()
        mark_time, mark_done = self._speed_mark
        if now - mark_time >= 0.5:  # a speed over the last half second or more, not jittery
            self._speed = (done - mark_done) / (now - mark_time)
            self._speed_mark = (now, done)
        elif self._speed == 0.0 and now > self._started:
            self._speed = done / (now - self._started)
        if total:
            self.bar.setRange(0, max(1, total // UNIT))
            self.bar.setValue(min(done, total) // UNIT)
            amount = f"{megabytes(done)} of {megabytes(total)}"
        else:
            self.bar.setRange(0, 0)
            amount = megabytes(done)
        speed = f" · {self._speed / 1e6:.1f} MB/s" if self._speed else ""
        self.bytes_label.setText(amount + speed)
        if name:
            index = self.task.files.index(name) + 1 if name in self.task.files else 0
            count = f" ({index} of {len(self.task.files)})" if len(self.task.files) > 1 else ""
            self.what_label.setText(f"Downloading {name}{count}…")

    def _on_succeeded(self, _paths: object) -> None:
        self.outcome = "done"
        self.task = None
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        super().accept()

    def _on_cancelled(self) -> None:
        self.outcome = "cancelled"
        self.task = None
        super().reject()

    def _on_failed(self, message: str) -> None:
        self.outcome = "failed"
        self.task = None
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.what_label.setText("The download failed.")
        self.bar.hide()  # nothing is connecting or coming any more
        self.bytes_label.hide()
        self.error_label.setText(message)
        self.error_label.show()
        self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Close)
        self.adjustSize()  # the whole reason shows, never clipped

    # -- the artist's Cancel / Close / Esc ----------------------------------------------------
    def reject(self) -> None:
        if self.task is not None:  # still running: ask it to stop; it answers ``cancelled``
            self.task.cancel()
            self.cancel_button.setEnabled(False)
            self.cancel_button.setText("Cancelling…")
            self.bytes_label.setText("Cancelling…")
            return
        super().reject()
