"""Runs the queue's jobs on the worker and lets the UI await them.

The next job is the queue's first queued one at the moment a worker is free, so a reordered
queue runs in its new order; while the queue is paused no job starts. On this computer one job
runs at a time (one worker owns torch); with a server as the engine, as many run at once as it
has replicas (:meth:`JobRunner.set_parallel_jobs`), each on a worker thread of its own.

Live mode's jobs have a queue of their own (:attr:`JobRunner.live_jobs`): they never show in
the artist's queue, the queue file or the image history, and one waiting runs before the
artist's next job (a running job is never interrupted), also while the queue is paused.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

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

    def __init__(self, queue: JobQueue, worker: EngineWorker, parent: QObject | None = None,
                 *, more_workers: Callable[[], EngineWorker] | None = None):
        """``worker`` runs every job on this computer; ``more_workers`` makes the extra
        workers that run jobs side by side on a server (their engines never load torch)."""
        super().__init__(parent)
        self.queue = queue
        self.worker = worker
        self.workers: list[EngineWorker] = []
        self._more_workers = more_workers
        self._parallel = 1
        self.live_jobs = JobQueue(to_history=False)
        """Live mode's jobs (:class:`LiveSession` keeps at most one running and one queued)."""
        self._running: dict[int, tuple[Job, EngineWorker, JobQueue]] = {}
        """Each running job (ids are unique across queues), its worker and its queue."""
        self._waiters: dict[int, list[asyncio.Future]] = {}
        self._add_worker(worker)
        # A job starts inside the job_added emit: listeners connected after the runner may see
        # it running before they see it added, so views must accept either order.
        queue.job_added.connect(lambda _job: self._start_next())
        self.live_jobs.job_added.connect(lambda _job: self._start_next())
        queue.paused_changed.connect(self._on_paused_changed)

    def _add_worker(self, worker: EngineWorker) -> None:
        self.workers.append(worker)
        executor = worker.executor
        executor.progress.connect(self._on_progress)
        executor.phase.connect(self._on_phase)
        executor.preview.connect(self._on_preview)
        executor.finished.connect(self._on_finished)
        executor.failed.connect(self._on_failed)
        executor.cancelled.connect(self._on_cancelled)

    @property
    def parallel_jobs(self) -> int:
        return self._parallel

    def set_parallel_jobs(self, count: int) -> None:
        """How many jobs may run at once: a server's replica count, 1 on this computer (or
        when no extra workers can be made). Running jobs are never stopped by a lower count."""
        self._parallel = max(1, count) if self._more_workers is not None else 1
        self._start_next()

    def running_jobs(self) -> list[Job]:
        return [job for job, _worker, _queue in self._running.values()]

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
        for worker in self.workers:
            worker.stop()

    # -- worker signals, delivered on the UI thread -------------------------------------------
    def _on_paused_changed(self, paused: bool) -> None:
        if not paused:
            self._start_next()

    def _free_worker(self) -> EngineWorker | None:
        if len(self._running) >= self._parallel:
            return None
        busy = {id(worker) for _job, worker, _queue in self._running.values()}
        for worker in self.workers[:self._parallel]:
            if id(worker) not in busy:
                return worker
        if len(self.workers) < self._parallel and self._more_workers is not None:
            worker = self._more_workers()
            self._add_worker(worker)
            return worker
        return None

    def _next_job(self) -> tuple[Job, JobQueue] | None:
        """A waiting live picture first, then the artist's queue unless it is paused."""
        job = self.live_jobs.next_queued()
        if job is not None:
            return job, self.live_jobs
        job = None if self.queue.paused else self.queue.next_queued()
        return (job, self.queue) if job is not None else None

    def _start_next(self) -> None:
        while True:
            worker = self._free_worker()
            picked = self._next_job() if worker is not None else None
            if worker is None or picked is None:
                return
            job, owner = picked
            self._running[job.id] = (job, worker, owner)
            owner.mark_running(job, job.request.steps)
            worker.submit(job)

    def _on_progress(self, job_id: int, step: int, total: int) -> None:
        running = self._running.get(job_id)
        if running is not None:
            running[2].mark_progress(running[0], step, total)

    def _on_phase(self, job_id: int, phase: str, fraction: float | None) -> None:
        running = self._running.get(job_id)
        if running is not None:
            running[2].mark_phase(running[0], phase, fraction)

    def _on_preview(self, job_id: int, image: Image.Image) -> None:
        running = self._running.get(job_id)
        try:
            if running is not None:
                job = running[0]
                running[2].mark_progress(job, job.step, job.total_steps, preview=image)
        finally:  # the worker that sent it may send the next one
            workers = [running[1]] if running is not None else self.workers
            for worker in workers:
                worker.executor.preview_shown()

    def _on_finished(self, job_id: int, image: Image.Image, saved_to: str, warning: str) -> None:
        running = self._running.pop(job_id, None)
        if running is not None:
            running[2].mark_done(running[0], image, saved_to, warning)
            self._finish(running[0])

    def _on_failed(self, job_id: int, message: str, details: str = "") -> None:
        running = self._running.pop(job_id, None)
        if running is not None:
            running[2].mark_failed(running[0], message, details)
            self._finish(running[0])

    def _on_cancelled(self, job_id: int) -> None:
        running = self._running.pop(job_id, None)
        if running is not None:
            running[2].mark_cancelled(running[0])
            self._finish(running[0])

    def _finish(self, job: Job) -> None:
        for future in self._waiters.pop(job.id, []):
            if not future.done():
                future.set_result(None)
        self.job_finished.emit(job)
        self._start_next()
