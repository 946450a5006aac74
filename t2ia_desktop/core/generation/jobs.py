"""The generation queue as a model: jobs with explicit states and change signals.

The queue panel only draws it; the runtime's runner moves jobs through their states. All
mutation happens on one thread (the UI thread); the worker reads only a job's request and its
``cancel_event``, which is thread-safe.

Jobs run in list order: the first queued job runs next. Artists steer the order with
:meth:`JobQueue.move` / :meth:`JobQueue.move_to_top`, hold it with :meth:`JobQueue.set_paused`
(the running job finishes, no new one starts) and run a failed job again with
:meth:`JobQueue.retry`.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from enum import Enum

from PIL import Image
from psygnal import Signal

from t2ia_desktop.core.generation.request import GenerationRequest


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
    details: str = ""  # a failed job's technical details (traceback), for Details…
    cancel_event: threading.Event = field(default_factory=threading.Event, repr=False)
    preview: Image.Image | None = field(default=None, repr=False)  # the latest step preview
    first_step: int = field(default=0, repr=False)  # the first step reported, and its time
    first_step_at: float = field(default=0.0, repr=False)  # (time.monotonic())
    last_step_at: float = field(default=0.0, repr=False)  # time.monotonic() of the last step
    phase: str = ""  # what a running job does now (core/phases.py); "" before it says
    phase_fraction: float | None = None  # how far that phase is, 0–1; None: cannot tell
    to_history: bool = True  # written to the image history when done (live pictures are not)

    @property
    def progress(self) -> float:
        return self.step / self.total_steps if self.total_steps else 0.0

    def eta_seconds(self) -> float | None:
        """Seconds left, from the pace of the steps after the first one reported (None until
        there is one: the first step also pays for loading the model)."""
        if (self.state is not JobState.RUNNING or not self.total_steps
                or self.step <= self.first_step):
            return None
        per_step = (self.last_step_at - self.first_step_at) / (self.step - self.first_step)
        return max(0.0, per_step * (self.total_steps - self.step))


class JobQueue:
    """Ordered jobs with signals; jobs run first in, first out."""

    job_added = Signal(Job)
    job_changed = Signal(Job)
    job_removed = Signal(Job)
    job_moved = Signal(Job, int)  # the job and its new index in the list
    paused_changed = Signal(bool)

    def __init__(self, to_history: bool = True) -> None:
        """``to_history``: whether the pictures of this queue's jobs go to the image history
        (live mode's jobs do not: one per stroke would bury the artist's own)."""
        self._jobs: list[Job] = []
        self._paused = False
        self.to_history = to_history

    def __iter__(self):
        return iter(list(self._jobs))

    def __len__(self) -> int:
        return len(self._jobs)

    def get(self, job_id: int) -> Job | None:
        return next((job for job in self._jobs if job.id == job_id), None)

    def index(self, job: Job) -> int:
        if self._jobs and self._jobs[-1] is job:  # a job just added: no search (10 000 jobs)
            return len(self._jobs) - 1
        return self._jobs.index(job)

    def pending(self) -> list[Job]:
        """Jobs not finished yet (running and queued), in list order."""
        return [job for job in self._jobs if not job.state.finished]

    @property
    def paused(self) -> bool:
        """While paused no new job starts; the running one finishes."""
        return self._paused

    def set_paused(self, paused: bool) -> None:
        if paused != self._paused:
            self._paused = paused
            self.paused_changed.emit(paused)

    def add(self, request: GenerationRequest) -> Job:
        job = Job(request.validate(), to_history=self.to_history)
        self._jobs.append(job)
        self.job_added.emit(job)
        return job

    def add_batch(self, request: GenerationRequest, count: int) -> list[Job]:
        """``count`` jobs with seeds ``s, s+1, …`` from the request's seed ``s``; all or none
        are queued (every request is checked first)."""
        requests = batch_requests(request, count)
        for each in requests:
            each.validate()
        return [self.add(each) for each in requests]

    def move(self, job: Job, index: int) -> bool:
        """Put a queued job at ``index`` of the list (clamped); False for any other job."""
        if job.state is not JobState.QUEUED or job not in self._jobs:
            return False
        index = max(0, min(index, len(self._jobs) - 1))
        if self._jobs.index(job) == index:
            return False
        self._jobs.remove(job)
        self._jobs.insert(index, job)
        self.job_moved.emit(job, index)
        return True

    def move_to_top(self, job: Job) -> bool:
        """Make a queued job the next one to run."""
        first = self.next_queued()
        return first is not None and self.move(job, self._jobs.index(first))

    def retry(self, job: Job) -> Job | None:
        """A new queued job with the request of a failed or cancelled one (None otherwise)."""
        if job.state not in (JobState.FAILED, JobState.CANCELLED):
            return None
        return self.add(job.request)

    def remove(self, job: Job) -> bool:
        """Take a finished job off the list."""
        if not job.state.finished or job not in self._jobs:
            return False
        self._jobs.remove(job)
        self.job_removed.emit(job)
        return True

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
        job.first_step, job.first_step_at, job.last_step_at = 0, 0.0, 0.0
        job.phase, job.phase_fraction = "", None
        self._set(job, JobState.RUNNING)

    def mark_phase(self, job: Job, phase: str, fraction: float | None = None) -> None:
        """A running job began ``phase`` (or got further in it: ``fraction``)."""
        if job.state is not JobState.RUNNING:
            return
        job.phase, job.phase_fraction = phase, fraction
        self.job_changed.emit(job)

    def mark_progress(self, job: Job, step: int, total_steps: int,
                      preview: Image.Image | None = None) -> None:
        if job.state is not JobState.RUNNING:
            return
        now = time.monotonic()
        if step <= job.first_step or not job.first_step_at:
            job.first_step, job.first_step_at = step, now
        job.last_step_at = now
        job.step, job.total_steps = step, total_steps
        if preview is not None:
            job.preview = preview
        self.job_changed.emit(job)

    def mark_done(self, job: Job, image: Image.Image, saved_to: str = "",
                  warning: str = "") -> None:
        job.result = image
        job.saved_to, job.warning = saved_to, warning
        job.step = job.total_steps
        self._set(job, JobState.DONE)

    def mark_failed(self, job: Job, message: str, details: str = "") -> None:
        job.error, job.details = message, details
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


def batch_requests(request: GenerationRequest, count: int) -> list[GenerationRequest]:
    """``count`` copies of ``request`` with seeds ``s, s+1, …`` (``s`` its seed)."""
    if count < 1:
        return []
    return [request if number == 0 else request.with_changes(seed=request.seed + number)
            for number in range(count)]
