"""The worker writes each result to the history before the UI hears it is done."""

from __future__ import annotations

import json

from PIL import Image

from t2ia_desktop.core.generation.jobs import JobQueue, JobState
from t2ia_desktop.core.image_history.store import History
from t2ia_desktop.runtime.runner import JobRunner
from t2ia_desktop.runtime.worker import EngineWorker
from tests.fakes import FakeEngine
from tests.runtime.rig import request


def run_one(qtbot, history: History, prompt: str = "a kite"):
    engine = FakeEngine(step_seconds=0.001)
    runner = JobRunner(JobQueue(), EngineWorker(lambda: engine, history=history))
    try:
        with qtbot.waitSignal(runner.job_finished, timeout=10_000) as finished:
            job = runner.submit(request(seed=42, prompt=prompt))
        assert finished.args[0] is job
        return job
    finally:
        runner.shutdown()


def test_a_finished_job_is_already_in_the_history(qtbot, tmp_path):
    history = History(tmp_path / "history")
    job = run_one(qtbot, history)
    assert job.state is JobState.DONE
    assert job.warning == ""
    with Image.open(job.saved_to) as saved:
        assert saved.size == job.result.size
        assert json.loads(saved.text["t2ia"])["seed"] == 42
    assert [e.image.name for e in history.entries()] == [job.saved_to.rsplit("/", 1)[-1]]


def test_a_failed_job_writes_nothing(qtbot, tmp_path):
    history = History(tmp_path / "history")
    job = run_one(qtbot, history, prompt="fail: no luck")
    assert job.state is JobState.FAILED
    assert job.saved_to == ""
    assert history.entries() == []


def test_an_unwritable_history_keeps_the_result_and_says_why(qtbot, tmp_path):
    blocker = tmp_path / "history"
    blocker.write_text("a file where the folder should be")
    job = run_one(qtbot, History(blocker))
    assert job.state is JobState.DONE
    assert job.result is not None
    assert job.saved_to == ""
    assert "history folder" in job.warning
