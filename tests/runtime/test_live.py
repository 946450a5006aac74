"""Live mode's session: latest wins, at most one running and one pending live job."""

from __future__ import annotations

from t2ia_desktop.core.generation.jobs import JobState
from t2ia_desktop.runtime.live import LiveSession, live_request
from tests.runtime.rig import request

WAIT_MS = 20_000  # an upper bound for a slow machine, never a timing assertion


class Watch:
    """Checks the live invariant at every change of the queue."""

    def __init__(self, session: LiveSession) -> None:
        self.session = session
        self.worst_running = self.worst_pending = 0
        session.runner.queue.job_changed.connect(self.check)
        session.runner.queue.job_added.connect(self.check)

    def check(self, *_args) -> None:
        live = [job for job in self.session.runner.queue
                if not job.state.finished and job.request.prompt.startswith("stroke")]
        running = sum(1 for job in live if job.state is JobState.RUNNING)
        pending = sum(1 for job in live if job.state is JobState.QUEUED)
        pending += self.session.waiting is not None
        self.worst_running = max(self.worst_running, running)
        self.worst_pending = max(self.worst_pending, pending)


def test_fifty_strokes_at_ten_per_second_keep_one_running_one_pending_and_show_the_last(
    qtbot, make_rig
):
    rig = make_rig(step_seconds=0.03)  # a live picture takes longer than a stroke
    session = LiveSession(rig.runner)
    watch = Watch(session)
    shown = []
    session.result_ready.connect(lambda image, req: shown.append(req))
    session.set_enabled(True)
    for stroke in range(50):
        session.submit(request(seed=9, prompt=f"stroke {stroke}", steps=4))
        watch.check()
        qtbot.wait(100)
    qtbot.waitUntil(lambda: not session.updating, timeout=WAIT_MS)

    assert watch.worst_running == 1
    assert watch.worst_pending == 1
    assert shown[-1].prompt == "stroke 49"
    assert session.result_request.prompt == "stroke 49"
    assert len(rig.engine.calls) < 50  # superseded requests never ran
    assert [c.prompt for c in rig.engine.calls][-1] == "stroke 49"
    assert all(c.seed == 9 for c in rig.engine.calls)
    # the queue's list keeps no superseded live jobs, only finished pictures that were shown
    assert all(job.state is JobState.DONE for job in rig.queue)


def test_a_live_job_waiting_behind_other_work_is_replaced_not_added(qtbot, gated_rig):
    rig = gated_rig
    other = rig.runner.submit(request(prompt="an artist's job"))  # held at its first step
    session = LiveSession(rig.runner)
    session.set_enabled(True)
    session.submit(request(prompt="stroke 1"))
    first = session.job
    session.submit(request(prompt="stroke 2"))
    assert first.state is JobState.CANCELLED
    assert first not in list(rig.queue)
    assert [job.request.prompt for job in rig.queue] == ["an artist's job", "stroke 2"]
    rig.engine.gate.set()
    qtbot.waitUntil(lambda: not session.updating, timeout=WAIT_MS)
    assert other.state is JobState.DONE
    assert session.result_request.prompt == "stroke 2"


def test_turning_live_off_cancels_its_jobs_and_ignores_further_changes(qtbot, gated_rig):
    rig = gated_rig
    session = LiveSession(rig.runner)
    states = []
    session.updating_changed.connect(states.append)
    session.set_enabled(True)
    session.submit(request(prompt="stroke 1"))
    running = session.job
    session.submit(request(prompt="stroke 2"))
    assert session.waiting is not None
    assert states == [True]
    session.set_enabled(False)
    assert states == [True, False]
    assert session.waiting is None
    assert session.job is None
    session.submit(request(prompt="stroke 3"))
    assert session.job is None
    qtbot.waitUntil(lambda: running.state is JobState.CANCELLED, timeout=WAIT_MS)
    assert len(rig.queue) == 0
    assert session.result is None


def test_a_failed_live_picture_says_why_and_the_next_change_tries_again(qtbot, rig):
    session = LiveSession(rig.runner)
    failures = []
    session.failed.connect(failures.append)
    session.set_enabled(True)
    session.submit(request(prompt="stroke fail: no adapter for this model"))
    qtbot.waitUntil(lambda: not session.updating, timeout=WAIT_MS)
    assert failures == ["no adapter for this model"]
    assert len(rig.queue) == 0
    session.submit(request(prompt="stroke 2"))
    qtbot.waitUntil(lambda: not session.updating, timeout=WAIT_MS)
    assert session.result_request.prompt == "stroke 2"


def test_few_step_schedulers_bring_their_own_step_count():
    plain = request(steps=30)
    assert live_request(plain) is plain
    assert live_request(plain.with_changes(scheduler="lcm")).steps == 4
    lightning = plain.with_changes(speed="lightning-8", scheduler="euler-trailing", steps=8,
                                   guidance_scale=0.0)
    assert live_request(lightning) is lightning  # its LoRA needs exactly its own 8 steps


def test_the_artists_own_cancelled_jobs_stay_in_the_queue(qtbot, gated_rig):
    rig = gated_rig
    session = LiveSession(rig.runner)
    mine = rig.runner.submit(request(prompt="an artist's job"))
    rig.runner.cancel(mine)
    rig.engine.gate.set()
    qtbot.waitUntil(lambda: mine.state is JobState.CANCELLED, timeout=WAIT_MS)
    session.set_enabled(True)
    session.set_enabled(False)
    assert mine in list(rig.queue)
