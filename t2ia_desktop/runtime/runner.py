"""Runs the queue's jobs one at a time on the worker and lets the UI await them.

The next job is the queue's first queued one at the moment the previous one ends, so a
reordered queue runs in its new order; while the queue is paused no job starts.

Live mode's jobs have a queue of their own (:attr:`JobRunner.live_jobs`): they never show in
the artist's queue, the queue file or the image history, and one waiting runs before the
artist's next job (a running job is never interrupted), also while the queue is paused.
"""

from __future__ import annotations

import asyncio

from PIL import Image
from PySide6.QtCore import QObject, Signal

from t2ia_desktop.core.errors import Cancelled, T2IAError
from t2ia_desktop.core.generation.jobs import Job, JobQueue, JobState
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.runtime.worker import EngineWorker


class JobFailed(T2IAError):
    """A job ended with an error; the message is the job's reason."""


class JobRunner(QObject):
    """Moves jobs from the queue to the worker, and their results back, on the UI thread."""

    job_finished = Signal(object)  # Job, in any finished state

    def __init__(self, queue: JobQueue, worker: EngineWorker, parent: QObject | None = None):
        super().__init__(parent)
        self.queue = queue
        self.worker = worker
        self.live_jobs = JobQueue(to_history=False)
        """Live mode's jobs (:class:`LiveSession` keeps at most one running and one queued)."""
        self._current: Job | None = None
        self._current_queue = queue  # the queue the running job belongs to
        self._waiters: dict[int, list[asyncio.Future]] = {}
        executor = worker.executor
        executor.progress.connect(self._on_progress)
        executor.phase.connect(self._on_phase)
        executor.preview.connect(self._on_preview)
        executor.finished.connect(self._on_finished)
        executor.failed.connect(self._on_failed)
        executor.cancelled.connect(self._on_cancelled)
        # A job starts inside the job_added emit: listeners connected after the runner may see
        # it running before they see it added, so views must accept either order.
        queue.job_added.connect(lambda _job: self._start_next())
        self.live_jobs.job_added.connect(lambda _job: self._start_next())
        queue.paused_changed.connect(self._on_paused_changed)

    def submit(self, request: GenerationRequest) -> Job:
        """Queue a request; raises :class:`BadInput` before queueing when it is invalid."""
        return self.queue.add(request)

    def submit_live(self, request: GenerationRequest) -> Job:
        """Queue a live picture: it runs before the artist's queued jobs and stays out of
        their queue (raises :class:`BadInput` before queueing when it is invalid)."""
        return self.live_jobs.add(request)

    def queue_of(self, job: Job) -> JobQueue:
        """The queue ``job`` is in: :attr:`live_jobs` for a live picture, else :attr:`queue`."""
        return self.live_jobs if self.live_jobs.get(job.id) is job else self.queue

    async def run(self, request: GenerationRequest) -> Image.Image:
        """Queue a request and wait for its image (raises JobFailed or Cancelled)."""
        return await self.wait(self.submit(request))

    async def wait(self, job: Job) -> Image.Image:
        if not job.state.finished:
            future = asyncio.get_running_loop().create_future()
            self._waiters.setdefault(job.id, []).append(future)
            await future
        if job.state is JobState.DONE:
            assert job.result is not None
            return job.result
        if job.state is JobState.CANCELLED:
            raise Cancelled()
        raise JobFailed(job.error)

    def cancel(self, job: Job) -> None:
        self.queue_of(job).cancel(job)
        if job.state is JobState.CANCELLED:
            self._finish(job)

    def set_paused(self, paused: bool) -> None:
        """Pause (the running job finishes, no new one starts) or resume the queue."""
        self.queue.set_paused(paused)

    def shutdown(self) -> None:
        """Cancel what runs and stop the worker thread (on application exit)."""
        for job in [*self.queue, *self.live_jobs]:
            if not job.state.finished:
                job.cancel_event.set()
        self.worker.stop()

    # -- worker signals, delivered on the UI thread -------------------------------------------
    def _on_paused_changed(self, paused: bool) -> None:
        if not paused:
            self._start_next()

    def _start_next(self) -> None:
        if self._current is not None:
            return
        owner = self.live_jobs
        job = owner.next_queued()
        if job is None and not self.queue.paused:
            owner = self.queue
            job = owner.next_queued()
        if job is None:
            return
        self._current, self._current_queue = job, owner
        owner.mark_running(job, job.request.steps)
        self.worker.submit(job)

    def _on_progress(self, job_id: int, step: int, total: int) -> None:
        if self._current is not None and self._current.id == job_id:
            self._current_queue.mark_progress(self._current, step, total)

    def _on_phase(self, job_id: int, phase: str, fraction: float | None) -> None:
        if self._current is not None and self._current.id == job_id:
            self._current_queue.mark_phase(self._current, phase, fraction)

    def _on_preview(self, job_id: int, image: Image.Image) -> None:
        try:
            job = self._current
            if job is not None and job.id == job_id:
                self._current_queue.mark_progress(job, job.step, job.total_steps,
                                                  preview=image)
        finally:
            self.worker.executor.preview_shown()  # the worker may send the next one

    def _on_finished(self, job_id: int, image: Image.Image, saved_to: str, warning: str) -> None:
        job = self._take(job_id)
        if job is not None:
            self._current_queue.mark_done(job, image, saved_to, warning)
            self._finish(job)

    def _on_failed(self, job_id: int, message: str, details: str = "") -> None:
        job = self._take(job_id)
        if job is not None:
            self._current_queue.mark_failed(job, message, details)
            self._finish(job)

    def _on_cancelled(self, job_id: int) -> None:
        job = self._take(job_id)
        if job is not None:
            self._current_queue.mark_cancelled(job)
            self._finish(job)

    def _take(self, job_id: int) -> Job | None:
        job = self._current
        if job is None or job.id != job_id:
            return None
        self._current = None
        return job

    def _finish(self, job: Job) -> None:
        for future in self._waiters.pop(job.id, []):
            if not future.done():
                future.set_result(None)
        self.job_finished.emit(job)
        self._start_next()
