"""Live mode's session: a few steps, latest wins, at most one running and one waiting live job,
none of them in the artist's queue or the image history; Live off lets a job past half finish."""

from __future__ import annotations

from t2ia_desktop.core.generation.jobs import JobQueue, JobState
from t2ia_desktop.core.image_history.store import History
from t2ia_desktop.core.settings import DEFAULT_LIVE_STEPS
from t2ia_desktop.runtime.live import LiveSession, live_request
from t2ia_desktop.runtime.runner import JobRunner
from t2ia_desktop.runtime.worker import EngineWorker
from tests.fakes import FakeEngine
from tests.runtime.rig import request

WAIT_MS = 20_000  # an upper bound for a slow machine, never a timing assertion


class Watch:
    """Checks the live invariant at every change of the live queue."""

    def __init__(self, session: LiveSession) -> None:
        self.session = session
        self.worst_running = self.worst_pending = 0
        self.artist_queue_rows = 0
        live_jobs = session.runner.live_jobs
        live_jobs.job_changed.connect(self.check)
        live_jobs.job_added.connect(self.check)

    def check(self, *_args) -> None:
        live = [job for job in self.session.runner.live_jobs if not job.state.finished]
        running = sum(1 for job in live if job.state is JobState.RUNNING)
        pending = sum(1 for job in live if job.state is JobState.QUEUED)
        pending += self.session.waiting is not None
        self.worst_running = max(self.worst_running, running)
        self.worst_pending = max(self.worst_pending, pending)
        self.artist_queue_rows = max(self.artist_queue_rows, len(self.session.runner.queue))


def test_fifty_strokes_at_ten_per_second_keep_one_running_one_waiting_out_of_the_queue(
    qtbot, make_rig
):
    rig = make_rig(step_seconds=0.03)  # a live picture takes longer than a stroke
    session = LiveSession(rig.runner)
    session.set_steps(4)
    watch = Watch(session)
    shown = []
    session.result_ready.connect(lambda image, req: shown.append(req))
    session.set_enabled(True)
    for stroke in range(50):
        session.submit(request(seed=9, prompt=f"stroke {stroke}", steps=30))
        watch.check()
        qtbot.wait(100)
    qtbot.waitUntil(lambda: not session.updating, timeout=WAIT_MS)

    assert watch.worst_running == 1
    assert watch.worst_pending == 1
    assert watch.artist_queue_rows == 0  # never a row in the artist's queue
    assert len(rig.queue) == 0
    assert len(rig.runner.live_jobs) == 0  # the live queue keeps no finished job either
    assert shown[-1].prompt == "stroke 49"
    assert session.result_request.prompt == "stroke 49"
    assert len(rig.engine.calls) < 50  # superseded requests never ran
    assert [c.prompt for c in rig.engine.calls][-1] == "stroke 49"
    assert all(c.seed == 9 for c in rig.engine.calls)
    assert {c.steps for c in rig.engine.calls} == {4}  # the live steps, not the 30 asked


def test_a_live_job_runs_before_the_artists_queued_jobs_and_replaces_its_waiting_one(
    qtbot, gated_rig
):
    rig = gated_rig
    running = rig.runner.submit(request(prompt="an artist's job"))  # held at its first step
    later = rig.runner.submit(request(prompt="the artist's next job"))
    session = LiveSession(rig.runner)
    session.set_enabled(True)
    session.submit(request(prompt="stroke 1"))
    first = session.job
    session.submit(request(prompt="stroke 2"))
    assert first.state is JobState.CANCELLED
    assert [job.request.prompt for job in rig.runner.live_jobs] == ["stroke 2"]
    assert [job.request.prompt for job in rig.queue] == ["an artist's job",
                                                         "the artist's next job"]
    rig.engine.gate.set()
    qtbot.waitUntil(lambda: later.state is JobState.DONE, timeout=WAIT_MS)
    assert running.state is JobState.DONE
    prompts = [call.prompt for call in rig.engine.calls]
    assert prompts == ["an artist's job", "stroke 2", "the artist's next job"]
    assert session.result_request.prompt == "stroke 2"


def test_live_pictures_run_while_the_queue_is_paused(qtbot, rig):
    rig.runner.set_paused(True)
    held = rig.runner.submit(request(prompt="an artist's job"))
    session = LiveSession(rig.runner)
    session.set_enabled(True)
    session.submit(request(prompt="stroke 1"))
    qtbot.waitUntil(lambda: not session.updating, timeout=WAIT_MS)
    assert session.result_request.prompt == "stroke 1"
    assert held.state is JobState.QUEUED


def hold_live_job_at(rig, step: int, session: LiveSession):
    """A 4-step live job that has reported the steps before ``step`` and waits there."""
    rig.engine.gate_step = step
    session.set_steps(4)
    session.set_enabled(True)
    session.submit(request(prompt="stroke 1"))
    job = session.job
    return job


def test_live_off_lets_a_job_at_least_half_done_finish_and_shows_it(qtbot, gated_rig):
    rig = gated_rig
    session = LiveSession(rig.runner)
    states = []
    session.updating_changed.connect(states.append)
    job = hold_live_job_at(rig, 3, session)  # steps 1 and 2 of 4 done: half
    qtbot.waitUntil(lambda: job.step == 2, timeout=WAIT_MS)
    session.submit(request(prompt="stroke 2"))  # waiting: dropped when Live goes off
    session.set_enabled(False)
    assert session.waiting is None
    assert session.job is job
    assert session.updating
    assert not job.cancel_event.is_set()
    rig.engine.gate.set()
    qtbot.waitUntil(lambda: not session.updating, timeout=WAIT_MS)
    assert job.state is JobState.DONE
    assert session.result is job.result
    assert session.result_request.prompt == "stroke 1"
    assert states == [True, False]
    assert [call.prompt for call in rig.engine.calls] == ["stroke 1"]


def test_live_off_cancels_a_job_less_than_half_done_and_ignores_further_changes(
    qtbot, gated_rig
):
    rig = gated_rig
    session = LiveSession(rig.runner)
    states = []
    session.updating_changed.connect(states.append)
    job = hold_live_job_at(rig, 2, session)  # step 1 of 4 done
    qtbot.waitUntil(lambda: job.step == 1, timeout=WAIT_MS)
    session.submit(request(prompt="stroke 2"))
    session.set_enabled(False)
    assert states == [True, False]
    assert session.waiting is None
    assert session.job is None
    session.submit(request(prompt="stroke 3"))
    assert session.job is None
    qtbot.waitUntil(lambda: job.state is JobState.CANCELLED, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: len(rig.runner.live_jobs) == 0, timeout=WAIT_MS)
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
    assert len(rig.runner.live_jobs) == 0
    session.submit(request(prompt="stroke 2"))
    qtbot.waitUntil(lambda: not session.updating, timeout=WAIT_MS)
    assert session.result_request.prompt == "stroke 2"


def test_live_steps_and_few_step_presets():
    plain = request(steps=30)
    assert live_request(plain).steps == DEFAULT_LIVE_STEPS
    assert live_request(plain, 8).steps == 8
    assert live_request(request(steps=3), 8).steps == 3  # never more than Generate's steps
    assert live_request(plain.with_changes(scheduler="lcm"), 8).steps == 4
    lightning = plain.with_changes(speed="lightning-8", scheduler="euler-trailing", steps=8,
                                   guidance_scale=0.0)
    assert live_request(lightning, 2) is lightning  # its LoRA needs exactly its own 8 steps
    short = live_request(plain, 5)
    assert short.with_changes(steps=30) == plain  # only the steps differ


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


def test_live_pictures_stay_out_of_the_image_history(qtbot, qapp, tmp_path):
    history = History(tmp_path / "history")
    runner = JobRunner(JobQueue(), EngineWorker(FakeEngine, history=history))
    try:
        session = LiveSession(runner)
        session.set_enabled(True)
        session.submit(request(prompt="stroke 1"))
        qtbot.waitUntil(lambda: not session.updating, timeout=WAIT_MS)
        assert session.result is not None
        mine = runner.submit(request(prompt="an artist's job"))
        qtbot.waitUntil(lambda: mine.state is JobState.DONE, timeout=WAIT_MS)
        assert mine.saved_to
        assert [entry.prompt for entry in history.entries()] == ["an artist's job"]
    finally:
        runner.shutdown()
