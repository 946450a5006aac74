"""Live mode: every change asks for a new picture, made in a few steps, and only the latest
request matters.

A :class:`LiveSession` keeps at most one live job running and one request waiting for it. A
new request replaces a live job that has not started yet (it is cancelled) or the request
waiting behind the running one: latest wins, so a burst of strokes costs one generation at a
time and the canvas never waits for any. Live jobs go to the runner's own live queue
(:attr:`JobRunner.live_jobs`), never to the artist's queue or the image history.

Live pictures take :attr:`LiveSession.steps` steps (the Live steps setting), or the steps of the
chosen speed preset or few-step scheduler. Turning live mode off lets a live job that is at
least half done finish (its picture is still shown and can be kept) and cancels one that is not.
"""

from __future__ import annotations

import logging

from PIL import Image
from PySide6.QtCore import QObject, Signal

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.jobs import Job, JobState
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.core.generation.sampling import NORMAL_SPEED
from t2ia_desktop.core.settings import DEFAULT_LIVE_STEPS, LIVE_STEPS_RANGE
from t2ia_desktop.runtime.runner import JobRunner

log = logging.getLogger(__name__)

FINISH_FRACTION = 0.5
"""Turning live mode off lets a live job this far done (or further) finish."""
FEW_STEP_SCHEDULERS: dict[str, int] = {"lcm": 4, "tcd": 4}
"""Few-step schedulers (ids from core/sampling.py) and the steps a live picture takes with them
when no speed preset is chosen; a speed preset (LCM-LoRA, Lightning, Hyper-SD) already set the
steps its LoRA needs, and those are kept."""


def live_request(request: GenerationRequest, steps: int = DEFAULT_LIVE_STEPS
                 ) -> GenerationRequest:
    """The request a live update runs: the artist's settings with ``steps`` steps (never more
    than the settings' own), a few-step scheduler's own step count when one is chosen, or a
    speed preset's steps untouched (the seed stays the one given: live keeps it fixed)."""
    if request.speed != NORMAL_SPEED:
        return request  # the preset's own steps: Lightning's LoRAs need exactly theirs
    wanted = FEW_STEP_SCHEDULERS.get(request.scheduler.lower(), steps)
    wanted = max(1, min(wanted, request.steps))
    return request if wanted == request.steps else request.with_changes(steps=wanted)


class LiveSession(QObject):
    """Coalesces live requests into at most one running and one waiting live job."""

    updating_changed = Signal(bool)  # whether a live picture is on its way
    progress = Signal(int, int, str)  # the running live job's step, steps and phase
    result_ready = Signal(object, object)  # PIL image, the GenerationRequest it answers
    failed = Signal(str)  # why the last live picture failed, for the artist

    def __init__(self, runner: JobRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.enabled = False
        self.steps = DEFAULT_LIVE_STEPS
        """Steps of a live picture with an ordinary scheduler (the Live steps setting)."""
        self.job: Job | None = None
        """The live job (queued or running), if any."""
        self.waiting: GenerationRequest | None = None
        """The latest request, waiting for the running live job to end."""
        self.result: Image.Image | None = None
        self.result_request: GenerationRequest | None = None
        runner.job_finished.connect(self._on_job_finished)
        runner.live_jobs.job_changed.connect(self._on_job_changed)

    @property
    def updating(self) -> bool:
        return self.job is not None or self.waiting is not None

    def set_steps(self, steps: int) -> None:
        """The Live steps setting (clamped to :data:`LIVE_STEPS_RANGE`)."""
        low, high = LIVE_STEPS_RANGE
        self.steps = max(low, min(high, int(steps)))

    def set_enabled(self, enabled: bool) -> None:
        """Turn live mode on or off. Off drops the waiting request and cancels the live job,
        unless it is running and at least half done: that one finishes and is shown."""
        if enabled == self.enabled:
            return
        self.enabled = enabled
        if enabled:
            return
        was_updating = self.updating
        self.waiting = None
        job = self.job
        if job is not None and not self.finishes_when_off(job):
            self.job = None
            self.runner.cancel(job)
        if was_updating and not self.updating:
            self.updating_changed.emit(False)

    @staticmethod
    def finishes_when_off(job: Job) -> bool:
        """Whether ``job`` is far enough to finish when live mode is turned off."""
        return job.state is JobState.RUNNING and job.progress >= FINISH_FRACTION

    def clear_result(self) -> None:
        """Forget the last live picture (another document is open)."""
        self.result = self.result_request = None

    def submit(self, request: GenerationRequest) -> None:
        """Ask for a live picture of ``request``; it replaces any live job not started yet.

        Raises :class:`BadInput` (before anything changes) when the request is invalid."""
        if not self.enabled:
            return
        request = live_request(request, self.steps).validate()
        was_updating = self.updating
        job = self.job
        if job is not None and job.state is JobState.RUNNING:
            self.waiting = request  # replaces an older waiting one
        else:
            if job is not None:  # waiting for the artist's running job: replace it
                self.job = None
                self.runner.cancel(job)
            self._start(request)
        if not was_updating:
            self.updating_changed.emit(True)

    def _start(self, request: GenerationRequest) -> None:
        self.waiting = None
        self.job = self.runner.submit_live(request)

    def _on_job_changed(self, job: Job) -> None:
        if job is self.job and job.state is JobState.RUNNING:
            self.progress.emit(job.step, job.total_steps, job.phase)

    def _on_job_finished(self, job: Job) -> None:
        live_jobs = self.runner.live_jobs
        if live_jobs.get(job.id) is not job:
            return  # the artist's own jobs are none of live mode's business
        live_jobs.remove(job)  # the live queue keeps no finished job
        if job is not self.job:
            return  # superseded or cancelled earlier
        self.job = None
        if job.state is JobState.DONE and job.result is not None:
            self.result, self.result_request = job.result, job.request
            self.result_ready.emit(job.result, job.request)
        elif job.state is JobState.FAILED:
            self.failed.emit(job.error)
        if self.waiting is not None and self.enabled:
            try:
                self._start(self.waiting)
            except BadInput as error:  # checked on submit; a changed model could still fail
                self.waiting = None
                self.failed.emit(str(error))
        if not self.updating:
            self.updating_changed.emit(False)
