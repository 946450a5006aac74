"""The real EngineWorker + JobRunner + JobQueue, with a fake engine at the torch boundary."""

from __future__ import annotations

import threading

import pytest

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.jobs import Job, JobState
from tests.runtime.rig import request

WAIT_MS = 10_000  # an upper bound for a slow CI machine, never a timing assertion


def _finished(qtbot, rig, job: Job):
    """Wait for the runner's job_finished of this very job."""
    return qtbot.waitSignal(
        rig.runner.job_finished, timeout=WAIT_MS, check_params_cb=lambda done: done is job
    )


def test_a_job_goes_queued_running_done_with_the_engine_image(qtbot, rig):
    states: dict[int, list[JobState]] = {}

    def record(job: Job) -> None:
        seen = states.setdefault(job.id, [])
        if not seen or seen[-1] is not job.state:
            seen.append(job.state)

    rig.queue.job_changed.connect(record)
    first = rig.runner.submit(request(seed=1, steps=3))
    job = rig.runner.submit(request(seed=7, steps=3))
    assert first.state is JobState.RUNNING  # the runner starts a job as soon as it is free
    assert job.state is JobState.QUEUED  # ...and the next one waits its turn
    with _finished(qtbot, rig, job) as finished:
        pass

    assert finished.args == [job]
    assert states[job.id] == [JobState.RUNNING, JobState.DONE]
    assert states[first.id] == [JobState.RUNNING, JobState.DONE]
    assert job.state is JobState.DONE
    assert job.error == ""
    assert job.result is not None
    assert job.result.size == (64, 64)
    assert job.result.getpixel((0, 0)) == (7, 128, 248)  # FakeEngine's colour for seed 7
    assert rig.engine.calls == [first.request, job.request]


def test_progress_reaches_the_queue_step_by_step(qtbot, rig):
    running_steps: list[tuple[int, int]] = []
    rig.queue.job_changed.connect(  # a step preview changes the job without a new step
        lambda job: running_steps.append((job.step, job.total_steps))
        if job.state is JobState.RUNNING
        and (not running_steps or running_steps[-1] != (job.step, job.total_steps)) else None
    )
    with qtbot.waitSignal(rig.runner.job_finished, timeout=WAIT_MS):
        job = rig.runner.submit(request(steps=6))

    # mark_running (step 0), then one progress report per engine step, in order, before done
    assert running_steps == [(step, 6) for step in range(7)]
    assert (job.step, job.total_steps) == (6, 6)
    assert job.progress == 1.0


def test_the_engine_is_built_and_runs_on_one_worker_thread_not_the_main_thread(qtbot, rig):
    main = threading.get_ident()
    first = rig.runner.submit(request(seed=1))
    second = rig.runner.submit(request(seed=2))
    qtbot.waitUntil(lambda: first.state.finished and second.state.finished, timeout=WAIT_MS)

    assert second.state is JobState.DONE
    assert len(rig.engine.thread_ids) == 2
    assert main not in rig.engine.thread_ids
    assert len(set(rig.engine.thread_ids)) == 1  # one long-lived thread owns the engine
    # the factory (where torch would be imported) ran once, on that same worker thread
    assert rig.factory_thread_ids == rig.engine.thread_ids[:1]


def test_the_engine_is_not_built_before_the_first_job(qtbot, rig):
    qtbot.wait(0)  # let the worker thread start and process anything pending
    assert rig.factory_thread_ids == []
    assert rig.engine.calls == []


def test_a_failing_job_ends_failed_with_its_reason_and_the_next_job_runs(qtbot, rig):
    failing = rig.runner.submit(request(seed=1, prompt="a kite fail: out of paper"))
    after = rig.runner.submit(request(seed=2))
    with _finished(qtbot, rig, after):
        pass

    assert failing.state is JobState.FAILED
    assert failing.error == "out of paper"
    assert failing.result is None
    assert after.state is JobState.DONE
    assert after.result is not None
    assert [r.seed for r in rig.engine.calls] == [1, 2]


def test_an_engine_bug_fails_only_its_job(qtbot, rig):
    crashing = rig.runner.submit(request(seed=1, prompt="crash"))
    after = rig.runner.submit(request(seed=2))
    qtbot.waitUntil(lambda: after.state.finished, timeout=WAIT_MS)

    assert crashing.state is JobState.FAILED
    assert crashing.error == "RuntimeError: tensor on fire"
    assert after.state is JobState.DONE


def test_an_invalid_request_is_refused_before_queueing(qtbot, rig):
    with pytest.raises(BadInput, match="steps"):
        rig.runner.submit(request(steps=0))
    assert len(rig.queue) == 0
    qtbot.wait(0)
    assert rig.engine.calls == []


def test_cancelling_a_queued_job_never_runs_it(qtbot, gated_rig):
    rig = gated_rig
    held = rig.runner.submit(request(seed=1))
    doomed = rig.runner.submit(request(seed=2))
    last = rig.runner.submit(request(seed=3))
    qtbot.waitUntil(lambda: len(rig.engine.calls) == 1, timeout=WAIT_MS)  # held at the gate

    with _finished(qtbot, rig, doomed):
        rig.runner.cancel(doomed)
    assert doomed.state is JobState.CANCELLED

    rig.engine.gate.set()
    qtbot.waitUntil(lambda: last.state.finished, timeout=WAIT_MS)

    assert held.state is JobState.DONE
    assert last.state is JobState.DONE
    assert [r.seed for r in rig.engine.calls] == [1, 3]
    assert doomed.result is None


def test_cancelling_a_held_running_job_stops_it_and_the_next_job_runs(qtbot, gated_rig):
    rig = gated_rig
    running = rig.runner.submit(request(seed=1, steps=50))
    after = rig.runner.submit(request(seed=2, steps=3))
    qtbot.waitUntil(lambda: len(rig.engine.calls) == 1, timeout=WAIT_MS)
    assert running.state is JobState.RUNNING

    with _finished(qtbot, rig, running):
        rig.runner.cancel(running)
        assert running.state is JobState.RUNNING  # running jobs stop cooperatively
    assert running.state is JobState.CANCELLED
    assert running.result is None
    assert [s for seed, s in rig.engine.steps if seed == 1] == []  # stopped at the gate

    rig.engine.gate.set()
    qtbot.waitUntil(lambda: after.state.finished, timeout=WAIT_MS)
    assert after.state is JobState.DONE
    assert [r.seed for r in rig.engine.calls] == [1, 2]


def test_cancelling_a_running_job_stops_it_within_one_step(qtbot, make_rig):
    rig = make_rig(step_seconds=0.002)
    job = rig.runner.submit(request(seed=1, steps=500))
    qtbot.waitUntil(lambda: len(rig.engine.steps) >= 3, timeout=WAIT_MS)

    with _finished(qtbot, rig, job):
        rig.runner.cancel(job)
        steps_when_cancelled = len(rig.engine.steps)  # read after asking: an upper bound

    assert job.state is JobState.CANCELLED
    assert len(rig.engine.steps) <= steps_when_cancelled + 1
    assert job.step < job.total_steps


def test_jobs_run_in_submission_order(qtbot, rig):
    finished: list[Job] = []
    rig.runner.job_finished.connect(finished.append)
    jobs = [rig.runner.submit(request(seed=seed, steps=2)) for seed in (5, 3, 9, 1)]
    qtbot.waitUntil(lambda: len(finished) == 4, timeout=WAIT_MS)

    assert finished == jobs
    assert [r.seed for r in rig.engine.calls] == [5, 3, 9, 1]
    assert all(job.state is JobState.DONE for job in jobs)
    # one at a time: each job's steps all come before the next job's
    assert [seed for seed, _ in rig.engine.steps] == [5, 5, 3, 3, 9, 9, 1, 1]


def test_shutdown_stops_a_running_job_and_the_thread(qtbot, gated_rig):
    rig = gated_rig
    job = rig.runner.submit(request(seed=1))
    qtbot.waitUntil(lambda: len(rig.engine.calls) == 1, timeout=WAIT_MS)

    rig.runner.shutdown()  # the gate is still closed: only cancellation can free the thread

    assert not rig.worker._thread.isRunning()
    assert job.cancel_event.is_set()
