"""The queue panel: one row per job with its state, progress, reason of failure and Cancel."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from t2ia_desktop.core.jobs import Job, JobQueue, JobState
from t2ia_desktop.runtime.runner import JobRunner
from t2ia_desktop.ui.widgets import ModelConnections

PROMPT_EXCERPT = 48
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


class JobRow(QFrame):
    """One job: prompt excerpt, state, progress bar, failure reason and a Cancel button."""

    def __init__(self, job: Job, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job = job
        self._runner = runner
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setToolTip(job.request.summary())

        self.prompt_label = QLabel(prompt_excerpt(job))
        self.prompt_label.setToolTip(job.request.prompt or "(no prompt)")
        self.prompt_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.state_label = QLabel()
        self.state_label.setToolTip("State of this job")
        self.progress_bar = QProgressBar()
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setMaximumHeight(16)
        self.progress_bar.setToolTip("Denoising steps done")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop this job (a running one stops at its next step)")
        self.cancel_button.clicked.connect(self.cancel)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(FAILURE_STYLE)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setCursor(Qt.CursorShape.IBeamCursor)
        self.error_label.hide()

        layout = QGridLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setVerticalSpacing(2)
        layout.addWidget(self.prompt_label, 0, 0)
        layout.addWidget(self.state_label, 0, 1, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.progress_bar, 1, 0)
        layout.addWidget(self.cancel_button, 1, 1)
        layout.addWidget(self.error_label, 2, 0, 1, 2)
        layout.setColumnStretch(0, 1)
        self.refresh()

    def cancel(self) -> None:
        self._runner.cancel(self.job)
        self.refresh()  # a running job only stops at its next step: say so at once

    def refresh(self) -> None:
        """Redraw from the job's current state."""
        job = self.job
        self.state_label.setText(STATE_WORDS[job.state])
        total = max(job.total_steps, job.request.steps, 1)
        self.progress_bar.setRange(0, total)
        self.progress_bar.setValue(min(job.step, total))
        self.progress_bar.setFormat(f"{job.step}/{total}")
        self.progress_bar.setVisible(
            job.state in (JobState.QUEUED, JobState.RUNNING, JobState.DONE)
        )
        self.cancel_button.setVisible(not job.state.finished)
        self.cancel_button.setEnabled(not job.cancel_event.is_set())
        if job.state is JobState.RUNNING and job.cancel_event.is_set():
            self.state_label.setText("Cancelling…")
        if job.state is JobState.FAILED:
            reason = job.error or "The job failed without a reason."
            self.error_label.setText(reason)
            self.error_label.setToolTip(reason)
            self.error_label.show()
        else:
            self.error_label.hide()


class QueuePanel(QWidget):
    """Draws a :class:`JobQueue`, newest job on top; the runner cancels jobs."""

    def __init__(self, queue: JobQueue, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue = queue
        self.runner = runner
        self.rows: dict[int, JobRow] = {}

        self._rows_box = QWidget()
        self._rows_layout = QVBoxLayout(self._rows_box)
        self._rows_layout.setContentsMargins(0, 0, 0, 0)
        self._rows_layout.setSpacing(4)
        self._rows_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._rows_box)

        self.empty_label = QLabel("No jobs yet: draw, write a prompt and press Generate.")
        self.empty_label.setWordWrap(True)
        self.empty_label.setEnabled(False)
        self.clear_button = QPushButton("Clear finished")
        self.clear_button.setToolTip("Remove done, failed and cancelled jobs from this list")
        self.clear_button.clicked.connect(self.queue.clear_finished)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.empty_label)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)

        for job in queue:
            self._on_job_added(job)
        self._update_footer()
        self.connections = ModelConnections()
        self.connections.connect(queue.job_added, self._on_job_added)
        self.connections.connect(queue.job_changed, self._on_job_changed)
        self.connections.connect(queue.job_removed, self._on_job_removed)
        self.connections.drop_with(self)

    def closeEvent(self, event) -> None:
        self.connections.disconnect_all()
        super().closeEvent(event)

    def _on_job_added(self, job: Job) -> None:
        row = JobRow(job, self.runner)
        self.rows[job.id] = row
        self._rows_layout.insertWidget(0, row)
        self._update_footer()

    def _on_job_changed(self, job: Job) -> None:
        row = self.rows.get(job.id)
        if row is not None:
            row.refresh()
        self._update_footer()

    def _on_job_removed(self, job: Job) -> None:
        row = self.rows.pop(job.id, None)
        if row is not None:
            self._rows_layout.removeWidget(row)
            row.deleteLater()
        self._update_footer()

    def _update_footer(self) -> None:
        self.empty_label.setVisible(not self.rows)
        self.clear_button.setEnabled(any(row.job.state.finished for row in self.rows.values()))
