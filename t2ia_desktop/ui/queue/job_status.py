"""The status bar's view of the queue: what the running job does now, how many wait, whether
the queue is paused, and a bar of the running job's steps (busy while it loads)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

from t2ia_desktop.core.generation.jobs import JobQueue, JobState
from t2ia_desktop.ui.common.widgets import ModelConnections
from t2ia_desktop.ui.queue.job_phase import loading_now, status_words


class JobStatus(QObject):
    """A label and a progress bar at the right of ``status_bar`` that follow ``queue``."""

    def __init__(self, queue: JobQueue, status_bar: QStatusBar) -> None:
        super().__init__(status_bar)
        self.queue = queue
        self.job_label = QLabel()
        self.job_label.setToolTip("The job that is generating now, and how many wait")
        self.progress_bar = QProgressBar()
        self.progress_bar.setFixedWidth(180)
        self.progress_bar.setMaximumHeight(14)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setToolTip("Denoising steps of the running job")
        self.progress_bar.hide()
        status_bar.addPermanentWidget(self.job_label)
        status_bar.addPermanentWidget(self.progress_bar)
        self.connections = ModelConnections()
        """Its connections to the queue, dropped when the status bar goes."""
        for signal in (queue.job_changed, queue.paused_changed):
            self.connections.connect(signal, self.show_queue)
        # Jobs added in one turn of the event loop (a batch, 10 000 restored jobs) are counted
        # once, at its end: counting at each one would take time that grows with the square.
        self._added = QTimer(self)
        self._added.setSingleShot(True)
        self._added.setInterval(0)
        self._added.timeout.connect(self.show_queue)
        self.connections.connect(queue.job_added, self._on_job_added)
        self.connections.drop_with(status_bar)
        self.show_queue()

    def _on_job_added(self, _job: object) -> None:
        self._added.start()

    def show_queue(self, *_args: object) -> None:
        """Show the queue as it is now: "Generating 3/20 · 2 waiting · queue paused"."""
        queue = self.queue
        running = queue.running()
        waiting = sum(1 for job in queue if job.state is JobState.QUEUED)
        parts = []
        if running is not None:
            total = max(running.total_steps, 1)
            parts.append(status_words(running))  # "Loading model…", "Generating 3/20"…
            self.progress_bar.setRange(0, 0 if loading_now(running) else total)  # 0: busy
            self.progress_bar.setValue(running.step)
        if waiting:
            parts.append(f"{waiting} waiting")
        if queue.paused:
            parts.append("queue paused")
        self.progress_bar.setVisible(running is not None)
        self.job_label.setText(" · ".join(parts))
