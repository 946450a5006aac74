"""JobQueue steering: move, move to top, pause, retry, remove, batches and the time left."""

from __future__ import annotations

import pytest

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.jobs import JobQueue, JobState, batch_requests
from tests.builders import job_request


@pytest.fixture
def queue() -> JobQueue:
    return JobQueue()


def test_move_puts_a_waiting_job_at_its_new_place_and_says_so(queue):
    jobs = [queue.add(job_request(i)) for i in range(4)]
    moves = []
    queue.job_moved.connect(lambda job, index: moves.append((job.id, index)))
    assert queue.move(jobs[3], 1)
    assert list(queue) == [jobs[0], jobs[3], jobs[1], jobs[2]]
    assert moves == [(jobs[3].id, 1)]
    assert queue.move(jobs[0], 99)  # clamped to the end
    assert list(queue) == [jobs[3], jobs[1], jobs[2], jobs[0]]
    assert not queue.move(jobs[1], 1)  # already there: nothing to say
    queue.mark_running(jobs[3], 10)
    assert not queue.move(jobs[3], 3)  # a running job keeps its place
    assert queue.next_queued() is jobs[1]


def test_move_to_top_makes_a_job_the_next_to_run(queue):
    first, second, third = (queue.add(job_request(i)) for i in range(3))
    queue.mark_running(first, 10)
    assert queue.move_to_top(third)
    assert queue.next_queued() is third
    assert list(queue) == [first, third, second]  # the running job stays first
    assert not queue.move_to_top(third)


def test_pause_is_a_model_state_with_a_signal(queue):
    seen = []
    queue.paused_changed.connect(seen.append)
    queue.set_paused(True)
    queue.set_paused(True)
    queue.set_paused(False)
    assert seen == [True, False]
    assert not queue.paused


def test_retry_queues_a_new_job_with_the_same_request(queue):
    failed = queue.add(job_request(5))
    queue.mark_running(failed, 10)
    queue.mark_failed(failed, "the adapter weights are missing")
    again = queue.retry(failed)
    assert again is not failed
    assert again.request is failed.request
    assert again.state is JobState.QUEUED
    assert list(queue)[-1] is again
    cancelled = queue.add(job_request(6))
    queue.cancel(cancelled)
    assert queue.retry(cancelled).request.seed == 6
    assert queue.retry(again) is None  # only failed or cancelled jobs


def test_remove_takes_only_finished_jobs_off(queue):
    waiting, done = queue.add(job_request(1)), queue.add(job_request(2))
    queue.cancel(done)
    assert not queue.remove(waiting)
    assert queue.remove(done)
    assert list(queue) == [waiting]
    assert queue.pending() == [waiting]


def test_a_batch_counts_seeds_up_and_is_all_or_nothing(queue):
    assert [r.seed for r in batch_requests(job_request(41), 4)] == [41, 42, 43, 44]
    jobs = queue.add_batch(job_request(7), 3)
    assert [job.request.seed for job in jobs] == [7, 8, 9]
    assert {job.request.prompt for job in jobs} == {"job 7"}
    with pytest.raises(BadInput, match="seed"):
        queue.add_batch(job_request(2**63 - 2), 3)  # the third seed would not fit
    assert len(queue) == 3


def test_time_left_follows_the_pace_of_the_steps(queue, monkeypatch):
    import t2ia_desktop.core.generation.jobs as jobs_module

    clock = [100.0]
    monkeypatch.setattr(jobs_module.time, "monotonic", lambda: clock[0])
    job = queue.add(job_request())
    queue.mark_running(job, 10)
    queue.mark_progress(job, 1, 10)
    assert job.eta_seconds() is None  # the first step also loaded the model
    clock[0] = 104.0
    queue.mark_progress(job, 3, 10)  # 2 s per step since step 1
    assert job.eta_seconds() == pytest.approx(14.0)
    queue.mark_done(job, None)
    assert job.eta_seconds() is None
