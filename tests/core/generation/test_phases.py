"""Job phases in the queue model: kept while the job runs, reset when it runs again."""

from __future__ import annotations

from t2ia_desktop.core.generation.jobs import JobQueue, JobState
from t2ia_desktop.core.generation.phases import (
    DECODING,
    LOADING_MODEL,
    PhaseReporter,
    is_loading,
    phase_words,
)
from t2ia_desktop.core.generation.request import GenerationRequest


def test_mark_phase_tells_views_only_while_the_job_runs():
    queue = JobQueue()
    changed = []
    queue.job_changed.connect(lambda job: changed.append((job.phase, job.phase_fraction)))
    job = queue.add(GenerationRequest(model="demo", prompt="a kite", steps=4))
    queue.mark_phase(job, LOADING_MODEL)  # queued: not running yet, nothing to say
    assert job.phase == ""
    assert changed == []
    queue.mark_running(job, 4)
    queue.mark_phase(job, LOADING_MODEL, None)
    queue.mark_phase(job, LOADING_MODEL, 0.5)
    assert (job.phase, job.phase_fraction) == (LOADING_MODEL, 0.5)
    assert changed[-2:] == [(LOADING_MODEL, None), (LOADING_MODEL, 0.5)]
    queue.mark_cancelled(job)
    queue.mark_phase(job, DECODING)
    assert job.state is JobState.CANCELLED
    assert job.phase == LOADING_MODEL
    retried = queue.retry(job)
    queue.mark_running(retried, 4)
    assert retried.phase == ""
    assert retried.phase_fraction is None


def test_words_and_the_reporter():
    assert phase_words(LOADING_MODEL) == "Loading model…"
    assert phase_words("") == "Generating"
    assert phase_words("warming up") == "Warming up…"
    assert is_loading(LOADING_MODEL)
    assert not is_loading(DECODING)
    heard = []
    report = PhaseReporter(lambda phase, fraction: heard.append(phase))
    report.enter(DECODING)
    report.enter(DECODING)  # once per phase
    report(LOADING_MODEL, 0.5)
    report.enter(DECODING)
    assert heard == [DECODING, LOADING_MODEL, DECODING]
    PhaseReporter().enter(DECODING)  # no sink: nothing to tell, no error
