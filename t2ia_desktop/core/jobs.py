"""The generation queue as a model: jobs with explicit states and change signals.

The queue panel only draws it; the runtime's runner moves jobs through their states. All
mutation happens on one thread (the UI thread); the worker reads only a job's request and its
``cancel_event``, which is thread-safe.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from enum import Enum

from PIL import Image
from psygnal import Signal

from t2ia_desktop.core.request import GenerationRequest


class JobState(Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


_ids = itertools.count(1)


@dataclass(eq=False)
class Job:
    request: GenerationRequest
    id: int = field(default_factory=lambda: next(_ids))
    state: JobState = JobState.QUEUED
    step: int = 0
    total_steps: int = 0
    error: str = ""
    result: Image.Image | None = field(default=None, repr=False)
    saved_to: str = ""  # the result's file in the history folder, once written
    warning: str = ""  # something the artist should know about a job that still succeeded
    cancel_event: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def progress(self) -> float:
        return self.step / self.total_steps if self.total_steps else 0.0


class JobQueue:
    """Ordered jobs with signals; jobs run first in, first out."""

    job_added = Signal(Job)
    job_changed = Signal(Job)
    job_removed = Signal(Job)

    def __init__(self) -> None:
        self._jobs: list[Job] = []

    def __iter__(self):
        return iter(list(self._jobs))

    def __len__(self) -> int:
        return len(self._jobs)

    def get(self, job_id: int) -> Job | None:
        return next((job for job in self._jobs if job.id == job_id), None)

    def add(self, request: GenerationRequest) -> Job:
        job = Job(request.validate())
        self._jobs.append(job)
        self.job_added.emit(job)
        return job

    def next_queued(self) -> Job | None:
        return next((job for job in self._jobs if job.state is JobState.QUEUED), None)

    def running(self) -> Job | None:
        return next((job for job in self._jobs if job.state is JobState.RUNNING), None)

    def cancel(self, job: Job) -> None:
        """Cancel a queued job at once; ask a running one to stop at its next step."""
        if job.state is JobState.QUEUED:
            job.cancel_event.set()
            self._set(job, JobState.CANCELLED)
        elif job.state is JobState.RUNNING:
            job.cancel_event.set()
            self.job_changed.emit(job)  # views can show "cancelling…"

    def mark_running(self, job: Job, total_steps: int) -> None:
        job.total_steps = total_steps
        job.step = 0
        self._set(job, JobState.RUNNING)

    def mark_progress(self, job: Job, step: int, total_steps: int) -> None:
        if job.state is not JobState.RUNNING:
            return
        job.step, job.total_steps = step, total_steps
        self.job_changed.emit(job)

    def mark_done(self, job: Job, image: Image.Image, saved_to: str = "", warning: str = "") -> None:
        job.result = image
        job.saved_to, job.warning = saved_to, warning
        job.step = job.total_steps
        self._set(job, JobState.DONE)

    def mark_failed(self, job: Job, message: str) -> None:
        job.error = message
        self._set(job, JobState.FAILED)

    def mark_cancelled(self, job: Job) -> None:
        self._set(job, JobState.CANCELLED)

    def clear_finished(self) -> None:
        for job in [j for j in self._jobs if j.state.finished]:
            self._jobs.remove(job)
            self.job_removed.emit(job)

    def _set(self, job: Job, state: JobState) -> None:
        job.state = state
        self.job_changed.emit(job)
