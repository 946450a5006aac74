"""JobQueue: the queue is a model with explicit states and signals."""

from __future__ import annotations

import pytest
from PIL import Image

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.jobs import Job, JobQueue, JobState
from tests.builders import job_request


@pytest.fixture
def queue() -> JobQueue:
    return JobQueue()


@pytest.fixture
def events(queue):
    seen: list[tuple[str, int, JobState]] = []
    queue.job_added.connect(lambda job: seen.append(("added", job.id, job.state)))
    queue.job_changed.connect(lambda job: seen.append(("changed", job.id, job.state)))
    queue.job_removed.connect(lambda job: seen.append(("removed", job.id, job.state)))
    return seen


def test_add_queues_a_job_and_signals_it(queue, events):
    request = job_request()
    job = queue.add(request)
    assert isinstance(job, Job)
    assert job.state is JobState.QUEUED
    assert job.request is request
    assert not job.cancel_event.is_set()
    assert list(queue) == [job]
    assert len(queue) == 1
    assert queue.get(job.id) is job
    assert queue.get(-1) is None
    assert events == [("added", job.id, JobState.QUEUED)]


def test_add_refuses_an_invalid_request_before_queueing(queue, events):
    with pytest.raises(BadInput, match="steps"):
        queue.add(job_request().with_changes(steps=0))
    assert len(queue) == 0
    assert events == []


def test_job_ids_are_unique(queue):
    ids = [queue.add(job_request(i)).id for i in range(5)]
    assert len(set(ids)) == 5


def test_running_progress_and_done(queue, events):
    job = queue.add(job_request())
    events.clear()

    queue.mark_running(job, 10)
    assert job.state is JobState.RUNNING
    assert (job.step, job.total_steps) == (0, 10)
    assert queue.running() is job
    assert queue.next_queued() is None

    queue.mark_progress(job, 4, 10)
    assert (job.step, job.total_steps) == (4, 10)
    assert job.progress == pytest.approx(0.4)

    image = Image.new("RGB", (8, 8))
    queue.mark_done(job, image)
    assert job.state is JobState.DONE
    assert job.state.finished
    assert job.result is image
    assert job.step == job.total_steps == 10
    assert queue.running() is None
    assert events == [
        ("changed", job.id, JobState.RUNNING),
        ("changed", job.id, JobState.RUNNING),
        ("changed", job.id, JobState.DONE),
    ]


def test_progress_of_a_job_that_is_not_running_is_ignored(queue, events):
    job = queue.add(job_request())
    events.clear()
    queue.mark_progress(job, 3, 10)
    assert job.step == 0
    assert events == []


def test_mark_failed_keeps_the_reason(queue, events):
    job = queue.add(job_request())
    queue.mark_running(job, 10)
    queue.mark_failed(job, "out of memory")
    assert job.state is JobState.FAILED
    assert job.state.finished
    assert job.error == "out of memory"
    assert job.result is None
    assert events[-1] == ("changed", job.id, JobState.FAILED)


def test_mark_cancelled(queue, events):
    job = queue.add(job_request())
    queue.mark_running(job, 10)
    queue.mark_cancelled(job)
    assert job.state is JobState.CANCELLED
    assert job.state.finished
    assert events[-1] == ("changed", job.id, JobState.CANCELLED)


def test_cancel_of_a_queued_job_is_immediate(queue, events):
    job = queue.add(job_request())
    events.clear()
    queue.cancel(job)
    assert job.state is JobState.CANCELLED
    assert job.cancel_event.is_set()
    assert queue.next_queued() is None
    assert events == [("changed", job.id, JobState.CANCELLED)]


def test_cancel_of_a_running_job_only_asks_it_to_stop(queue, events):
    job = queue.add(job_request())
    queue.mark_running(job, 10)
    events.clear()
    queue.cancel(job)
    assert job.state is JobState.RUNNING  # the worker ends it at its next step
    assert job.cancel_event.is_set()
    assert queue.running() is job
    # views hear of it (to show "cancelling…"), but the state stays RUNNING
    assert events in ([], [("changed", job.id, JobState.RUNNING)])


def test_cancel_of_a_finished_job_changes_nothing(queue, events):
    job = queue.add(job_request())
    queue.mark_running(job, 10)
    queue.mark_done(job, Image.new("RGB", (8, 8)))
    events.clear()
    queue.cancel(job)
    assert job.state is JobState.DONE
    assert not job.cancel_event.is_set()
    assert events == []


def test_next_queued_is_first_in_first_out(queue):
    first, second, third = (queue.add(job_request(i)) for i in range(3))
    assert queue.next_queued() is first
    queue.mark_running(first, 10)
    assert queue.next_queued() is second
    queue.cancel(second)
    assert queue.next_queued() is third
    queue.mark_running(third, 10)
    assert queue.next_queued() is None


def test_clear_finished_removes_only_finished_jobs(queue, events):
    done, failed, cancelled, running, queued = (queue.add(job_request(i)) for i in range(5))
    queue.mark_running(done, 10)
    queue.mark_done(done, Image.new("RGB", (8, 8)))
    queue.mark_running(failed, 10)
    queue.mark_failed(failed, "boom")
    queue.cancel(cancelled)
    queue.mark_running(running, 10)
    events.clear()

    queue.clear_finished()

    assert list(queue) == [running, queued]
    assert events == [
        ("removed", done.id, JobState.DONE),
        ("removed", failed.id, JobState.FAILED),
        ("removed", cancelled.id, JobState.CANCELLED),
    ]


def test_signals_carry_the_job_object(queue):
    received: list[Job] = []
    queue.job_added.connect(received.append)
    queue.job_changed.connect(received.append)
    job = queue.add(job_request())
    queue.mark_running(job, 10)
    assert received == [job, job]
    assert all(item is job for item in received)


def test_iterating_is_a_snapshot(queue):
    jobs = [queue.add(job_request(i)) for i in range(3)]
    for job in queue:
        queue.cancel(job)
        queue.clear_finished()
    assert len(queue) == 0
    assert all(job.state is JobState.CANCELLED for job in jobs)
