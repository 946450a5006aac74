"""Awaiting jobs through asyncio on a qasync loop, as the UI does."""

from __future__ import annotations

import asyncio

import pytest

from t2ia_desktop.core.errors import Cancelled
from t2ia_desktop.core.generation.jobs import JobState
from t2ia_desktop.runtime.runner import JobFailed
from tests.runtime.rig import request

WAIT_S = 10  # an upper bound so a broken runner fails instead of hanging; never asserted


def complete(loop, awaitable):
    return loop.run_until_complete(asyncio.wait_for(awaitable, WAIT_S))


def test_run_returns_the_image(loop, rig):
    image = complete(loop, rig.runner.run(request(seed=11, steps=3)))
    assert image.size == (64, 64)
    assert image.getpixel((0, 0)) == (11, 128, 244)
    (job,) = list(rig.queue)
    assert job.state is JobState.DONE
    assert job.result is image


def test_run_of_a_failing_job_raises_job_failed_with_the_reason(loop, rig):
    with pytest.raises(JobFailed, match="^no ink left$"):
        complete(loop, rig.runner.run(request(prompt="fail: no ink left")))
    (job,) = list(rig.queue)
    assert job.state is JobState.FAILED


def test_run_of_a_cancelled_running_job_raises_cancelled(loop, gated_rig):
    rig = gated_rig

    async def scenario():
        job = rig.runner.submit(request(seed=1, steps=20))
        waiting = asyncio.ensure_future(rig.runner.wait(job))
        while not rig.engine.calls:  # until the worker holds it at the gate
            await asyncio.sleep(0.005)
        assert job.state is JobState.RUNNING
        rig.runner.cancel(job)
        return await waiting

    with pytest.raises(Cancelled):
        complete(loop, scenario())
    (job,) = list(rig.queue)
    assert job.state is JobState.CANCELLED


def test_wait_on_a_cancelled_queued_job_raises_cancelled_and_others_still_finish(loop, gated_rig):
    rig = gated_rig

    async def scenario():
        held = rig.runner.submit(request(seed=1))
        queued = rig.runner.submit(request(seed=2))
        rig.runner.cancel(queued)
        with pytest.raises(Cancelled):
            await rig.runner.wait(queued)
        rig.engine.gate.set()
        return await rig.runner.wait(held)

    image = complete(loop, scenario())
    assert image.getpixel((0, 0))[0] == 1
    assert [r.seed for r in rig.engine.calls] == [1]


def test_several_awaited_jobs_each_get_their_own_image(loop, rig):
    async def scenario():
        return await asyncio.gather(*(rig.runner.run(request(seed=s, steps=2)) for s in (4, 8)))

    first, second = complete(loop, scenario())
    assert first.getpixel((0, 0))[0] == 4
    assert second.getpixel((0, 0))[0] == 8


def test_awaiting_a_finished_job_returns_at_once(loop, rig):
    image = complete(loop, rig.runner.run(request(seed=3)))
    (job,) = list(rig.queue)
    assert complete(loop, rig.runner.wait(job)) is image
