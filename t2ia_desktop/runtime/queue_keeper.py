"""Keeps the queue file in step with the queue: whenever the pending jobs (or their order, or
the pause) change, they are written again, on a thread of their own.

The UI thread only takes a list of ``(request, state)`` pairs (requests are frozen, so the
writer may read them); hashing and encoding images and writing files happen on the writer
thread, the latest state wins when changes come faster than writes.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from PySide6.QtCore import QObject, QTimer, Signal

from t2ia_desktop.core.errors import T2IAError
from t2ia_desktop.core.generation.jobs import Job, JobQueue
from t2ia_desktop.core.generation.queue_file import QueueStore
from t2ia_desktop.core.generation.request import GenerationRequest

log = logging.getLogger(__name__)

Snapshot = tuple[list[tuple[GenerationRequest, str]], bool]


class QueueKeeper(QObject):
    """Writes ``queue``'s pending jobs through ``store`` once :meth:`start` is called (after the
    launch has offered the previous session's queue back, so that one is not overwritten)."""

    written = Signal()
    failed = Signal(str)  # a message for the artist

    def __init__(self, queue: JobQueue, store: QueueStore, parent: QObject | None = None):
        super().__init__(parent)
        self.queue = queue
        self.store = store
        self.writes = 0
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="t2ia-queue-file")
        self._lock = threading.Lock()
        self._latest: Snapshot | None = None
        self._future: Future | None = None
        self._scheduled = False
        self._key: object = None
        self._started = False
        # Changes in one turn of the event loop (a batch of 50 jobs queued) make one snapshot.
        self._coalesce = QTimer(self)
        self._coalesce.setSingleShot(True)
        self._coalesce.setInterval(0)
        self._coalesce.timeout.connect(self._snapshot)

    @property
    def started(self) -> bool:
        return self._started

    def start(self) -> None:
        """Follow the queue from now on, writing its current state at once."""
        if self._started:
            return
        self._started = True
        for signal in (self.queue.job_added, self.queue.job_changed, self.queue.job_removed):
            signal.connect(self._on_change)
        self.queue.job_moved.connect(self._on_moved)
        self.queue.paused_changed.connect(self._on_paused)
        self._snapshot()

    def close(self) -> None:
        """Stop following the queue and finish the last write (on application exit)."""
        if self._coalesce.isActive():
            self._coalesce.stop()
            self._snapshot()
        if self._started:
            for signal in (self.queue.job_added, self.queue.job_changed,
                           self.queue.job_removed):
                signal.disconnect(self._on_change)
            self.queue.job_moved.disconnect(self._on_moved)
            self.queue.paused_changed.disconnect(self._on_paused)
            self._started = False
        self._executor.shutdown(wait=True)

    def wait(self, timeout: float = 30.0) -> None:
        """Block until the writes asked for so far are on disk (tests, benchmarks)."""
        if self._coalesce.isActive():
            self._coalesce.stop()
            self._snapshot()
        with self._lock:
            future = self._future
        if future is not None:
            future.result(timeout)

    # -- following the queue ------------------------------------------------------------------
    def _on_moved(self, _job: Job, _index: int) -> None:
        self._on_change()

    def _on_paused(self, _paused: bool) -> None:
        self._on_change()

    def _on_change(self, *_args: object) -> None:
        if not self._coalesce.isActive():
            self._coalesce.start()

    def _snapshot(self) -> None:
        pending = self.queue.pending()
        # Progress steps change no job's place or request: they need no write.
        key = (tuple((job.id, job.state) for job in pending), self.queue.paused)
        if key == self._key:
            return
        self._key = key
        snapshot = ([(job.request, job.state.value) for job in pending], self.queue.paused)
        with self._lock:
            self._latest = snapshot
            if not self._scheduled:
                self._scheduled = True
                self._future = self._executor.submit(self._write_latest)

    def _write_latest(self) -> None:
        while True:
            with self._lock:
                snapshot, self._latest = self._latest, None
                if snapshot is None:
                    self._scheduled = False  # the next change submits a new write
                    return
            jobs, paused = snapshot
            try:
                self.store.write(jobs, paused)
            except Exception as error:  # a failed write must not stop the next one
                if isinstance(error, (T2IAError, OSError)):
                    log.warning("queue file: %s", error)
                else:
                    log.exception("queue file")
                self.failed.emit(f"The queue could not be saved for the next launch: {error}")
            else:
                self.writes += 1
                self.written.emit()
