"""How a running job's phase shows: words for its state, a busy bar while it loads.

Loading a model, adapters or a refiner takes seconds to minutes before the first step; the
bar then moves without a value (or fills with the share of components read) instead of
sitting at 0. A Cancel cannot interrupt a load: the job stops as soon as the load returns,
and the row says so meanwhile.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar

from t2ia_desktop.core.generation.jobs import Job, JobState
from t2ia_desktop.core.generation.phases import (
    DENOISING,
    LOADING_MODEL,
    STARTING_ENGINE,
    is_loading,
    phase_tip,
    phase_words,
)

STEPS_TIP = "Denoising steps done, and the time left at this pace"


def cancelling_words(phase: str) -> str:
    """What a row says when its job was cancelled during ``phase``."""
    if phase in (LOADING_MODEL, STARTING_ENGINE):
        return "Cancelling after the model has loaded…"
    if is_loading(phase):
        return "Cancelling after loading…"
    return "Cancelling…"


def loading_now(job: Job) -> bool:
    """Whether ``job`` runs but is still loading (no step yet)."""
    return job.state is JobState.RUNNING and is_loading(job.phase)


def show_phase(job: Job, state_label: QLabel, bar: QProgressBar) -> None:
    """Adjust a row drawn for ``job``'s steps to its phase (call after drawing the steps)."""
    if job.state is not JobState.RUNNING:
        bar.setToolTip(STEPS_TIP)
        return
    cancelling = job.cancel_event.is_set()
    state_label.setToolTip(phase_tip(job.phase) or "State of this job")
    if loading_now(job):
        words = phase_words(job.phase)
        if job.phase_fraction is None:
            bar.setRange(0, 0)  # busy: it moves without a value until the load returns
        else:
            bar.setRange(0, 100)
            bar.setValue(round(100 * min(max(job.phase_fraction, 0.0), 1.0)))
            bar.setFormat(f"{words} %p %")
        tip = phase_tip(job.phase)
        bar.setToolTip(f"{words} {tip}".strip() if tip else words)
    else:
        bar.setToolTip(STEPS_TIP)
        words = phase_words(job.phase or DENOISING)
    state_label.setText(cancelling_words(job.phase) if cancelling else words)


def status_words(job: Job) -> str:
    """The status bar's words for the running ``job``: its phase, or its steps."""
    if job.cancel_event.is_set():
        return cancelling_words(job.phase)
    if loading_now(job):
        words = phase_words(job.phase)
        if job.phase_fraction is not None:
            return f"{words} {round(100 * job.phase_fraction)} %"
        return words
    total = max(job.total_steps, 1)
    if job.phase and job.phase != DENOISING:
        return f"{phase_words(job.phase)} {job.step}/{total}"
    return f"Generating {job.step}/{total}"
