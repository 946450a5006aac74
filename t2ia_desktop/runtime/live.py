"""Live mode: every change asks for a new picture, and only the latest request matters.

A :class:`LiveSession` keeps at most one live job in the queue (queued or running) and at most
one request waiting for it. A new request replaces a live job that has not started yet (it is
cancelled and taken off the queue) or the request waiting behind the running one: latest wins,
so a burst of strokes costs one generation at a time and the canvas never waits for any.
"""

from __future__ import annotations

import logging

from PIL import Image
from PySide6.QtCore import QObject, Signal

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.jobs import Job, JobState
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.core.generation.sampling import NORMAL_SPEED
from t2ia_desktop.runtime.runner import JobRunner

log = logging.getLogger(__name__)

FEW_STEP_SCHEDULERS: dict[str, int] = {"lcm": 4, "tcd": 4}
"""Few-step schedulers (ids from core/sampling.py) and the steps a live picture takes with them
when no speed preset is chosen; a speed preset (LCM-LoRA, Lightning, Hyper-SD) already set the
steps its LoRA needs, and those are kept."""


def live_request(request: GenerationRequest) -> GenerationRequest:
    """The request a live update runs: the artist's settings, with a few-step scheduler's own
    step count when one is chosen (the seed stays the one given: live keeps it fixed)."""
    if request.speed != NORMAL_SPEED:
        return request  # the preset's own steps: Lightning's LoRAs need exactly theirs
    steps = FEW_STEP_SCHEDULERS.get(request.scheduler.lower())
    if steps is not None and steps != request.steps:
        return request.with_changes(steps=steps)
    return request


class LiveSession(QObject):
    """Coalesces live requests into at most one running and one pending live job."""

    updating_changed = Signal(bool)  # whether a live picture is on its way
    result_ready = Signal(object, object)  # PIL image, the GenerationRequest it answers
    failed = Signal(str)  # why the last live picture failed, for the artist

    def __init__(self, runner: JobRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.enabled = False
        self.job: Job | None = None
        """The live job in the queue (queued or running), if any."""
        self.waiting: GenerationRequest | None = None
        """The latest request, waiting for the running live job to end."""
        self.result: Image.Image | None = None
        self.result_request: GenerationRequest | None = None
        self._stopping: set[int] = set()  # live jobs cancelled while running
        runner.job_finished.connect(self._on_job_finished)

    @property
    def updating(self) -> bool:
        return self.job is not None or self.waiting is not None

    def set_enabled(self, enabled: bool) -> None:
        """Turn live mode on or off; off cancels the live job and drops the waiting request."""
        if enabled == self.enabled:
            return
        self.enabled = enabled
        if not enabled:
            was_updating = self.updating
            self.waiting = None
            job, self.job = self.job, None
            if job is not None:
                self._drop(job)
            if was_updating:
                self.updating_changed.emit(False)

    def submit(self, request: GenerationRequest) -> None:
        """Ask for a live picture of ``request``; it replaces any live job not started yet.

        Raises :class:`BadInput` (before anything changes) when the request is invalid."""
        if not self.enabled:
            return
        request = live_request(request).validate()
        was_updating = self.updating
        job = self.job
        if job is not None and job.state is JobState.RUNNING:
            self.waiting = request  # replaces an older waiting one
        else:
            if job is not None:  # queued behind other work, not started: replace it
                self.job = None
                self._drop(job)
            self._start(request)
        if not was_updating:
            self.updating_changed.emit(True)

    def _start(self, request: GenerationRequest) -> None:
        self.waiting = None
        self.job = self.runner.submit(request)

    def _drop(self, job: Job) -> None:
        """Cancel a live job that is no longer wanted and keep it out of the queue's list."""
        self.runner.cancel(job)
        if job.state.finished:
            self.runner.queue.remove(job)
        else:  # running: it stops at its next step, then leaves the list
            self._stopping.add(job.id)

    def _on_job_finished(self, job: Job) -> None:
        if job is not self.job:  # the artist's own jobs are none of live mode's business
            if job.id in self._stopping:
                self._stopping.discard(job.id)
                self.runner.queue.remove(job)
            return
        self.job = None
        if job.state is JobState.DONE and job.result is not None:
            self.result, self.result_request = job.result, job.request
            self.result_ready.emit(job.result, job.request)
        elif job.state is JobState.FAILED:
            self.failed.emit(job.error)
        if job.state is not JobState.DONE or self.waiting is not None:
            # a superseded or failed live picture is not worth keeping in the queue's list
            self.runner.queue.remove(job)
        if self.waiting is not None and self.enabled:
            try:
                self._start(self.waiting)
            except BadInput as error:  # checked on submit; a changed model could still fail
                self.waiting = None
                self.failed.emit(str(error))
        if not self.updating:
            self.updating_changed.emit(False)
