"""The runner with several workers (a server's replicas): jobs side by side, in queue order,
never more than the replicas, and back to one at a time for this computer."""

from __future__ import annotations

import threading

import pytest

from t2ia_desktop.core.generation.jobs import JobQueue, JobState
from t2ia_desktop.runtime.runner import JobRunner
from t2ia_desktop.runtime.worker import EngineWorker
from tests.runtime.rig import RecordingEngine, request

WAIT_MS = 20_000  # an upper bound for a slow machine, never a timing assertion


@pytest.fixture
def pool(qapp):
    """A runner whose extra workers share one gated engine (as replicas share a server)."""
    gate = threading.Event()
    engine = RecordingEngine(gate=gate)
    made: list[EngineWorker] = []

    def more() -> EngineWorker:
        worker = EngineWorker(lambda: engine)
        made.append(worker)
        return worker

    queue = JobQueue()
    runner = JobRunner(queue, EngineWorker(lambda: engine), more_workers=more)
    yield runner, queue, engine, gate, made
    gate.set()
    runner.shutdown()
    assert not any(worker._thread.isRunning() for worker in runner.workers)


def _running(queue: JobQueue) -> list[int]:
    return [job.id for job in queue if job.state is JobState.RUNNING]


def test_one_job_at_a_time_until_the_server_says_how_many_replicas(qtbot, pool):
    runner, queue, engine, gate, made = pool
    jobs = [runner.submit(request(seed=seed)) for seed in range(4)]
    assert _running(queue) == [jobs[0].id]
    assert made == []

    runner.set_parallel_jobs(3)  # a server with three replicas

    assert _running(queue) == [job.id for job in jobs[:3]]  # the first three, in queue order
    assert len(made) == 2
    assert runner.parallel_jobs == 3
    qtbot.waitUntil(lambda: len(engine.calls) == 3, timeout=WAIT_MS)  # all three at once
    assert len(set(engine.thread_ids)) == 3  # each on a thread of its own
    gate.set()
    qtbot.waitUntil(lambda: all(job.state is JobState.DONE for job in jobs), timeout=WAIT_MS)
    assert [job.result.getpixel((0, 0))[0] for job in jobs] == [0, 1, 2, 3]  # each its own


def test_fewer_replicas_let_running_jobs_end_and_start_no_more(qtbot, pool):
    runner, queue, engine, gate, _made = pool
    runner.set_parallel_jobs(2)
    jobs = [runner.submit(request(seed=seed)) for seed in range(4)]
    assert _running(queue) == [jobs[0].id, jobs[1].id]

    runner.set_parallel_jobs(1)  # back to this computer, or a replica went away
    assert _running(queue) == [jobs[0].id, jobs[1].id]  # nothing running is stopped
    later = {jobs[2].id, jobs[3].id}
    running_when_later_ran: list[int] = []
    queue.job_changed.connect(lambda job: running_when_later_ran.append(len(_running(queue)))
                              if job.id in later and job.state is JobState.RUNNING else None)
    gate.set()
    qtbot.waitUntil(lambda: all(job.state is JobState.DONE for job in jobs), timeout=WAIT_MS)
    assert running_when_later_ran
    assert max(running_when_later_ran) == 1


def test_without_extra_workers_it_stays_one_job_at_a_time(qtbot, rig):
    rig.runner.set_parallel_jobs(4)
    first = rig.runner.submit(request(seed=1))
    second = rig.runner.submit(request(seed=2))
    assert rig.runner.parallel_jobs == 1
    assert first.state is JobState.RUNNING
    assert second.state is JobState.QUEUED
    with qtbot.waitSignal(rig.runner.job_finished, timeout=WAIT_MS,
                          check_params_cb=lambda job: job is second):
        pass


def test_a_cancelled_job_frees_its_worker_for_the_next(qtbot, pool):
    runner, queue, engine, gate, _made = pool
    runner.set_parallel_jobs(2)
    jobs = [runner.submit(request(seed=seed)) for seed in range(3)]
    qtbot.waitUntil(lambda: len(engine.calls) == 2, timeout=WAIT_MS)
    with qtbot.waitSignal(runner.job_finished, timeout=WAIT_MS,
                          check_params_cb=lambda job: job is jobs[1]):
        runner.cancel(jobs[1])
    assert jobs[1].state is JobState.CANCELLED
    assert _running(queue) == [jobs[0].id, jobs[2].id]
