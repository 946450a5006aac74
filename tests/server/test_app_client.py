"""The app as a server's client, against a real Ray Serve: Settings → Engine finds the server
and says why when it cannot; the queue sends jobs there, two at once on two replicas, and the
results are kept in this computer's history before the queue hears of them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from t2ia_desktop.core.generation.jobs import JobQueue, JobState
from t2ia_desktop.core.image_history.store import History
from t2ia_desktop.core.settings import Settings
from t2ia_desktop.runtime.engines.choice import EngineChoice, check_server
from t2ia_desktop.runtime.engines.server_watch import ServerWatch
from t2ia_desktop.runtime.runner import JobRunner
from t2ia_desktop.runtime.worker import EngineWorker
from tests.builders import request

pytestmark = [pytest.mark.slow, pytest.mark.server]

WAIT_MS = 240_000  # an upper bound for a loaded 2-core machine, never a timing assertion


@pytest.fixture
def settings_dialog(qtbot, tmp_path, monkeypatch):
    from t2ia_desktop.ui.dialogs.settings import SettingsDialog

    monkeypatch.setenv("T2IA_HOME", str(tmp_path / "home"))
    dialog = SettingsDialog(Settings(), {})
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def _test_connection(qtbot, group, url: str, token: str) -> str:
    from PySide6.QtCore import Qt

    qtbot.mouseClick(group.server_button, Qt.MouseButton.LeftButton)
    assert group.test_button.isEnabled()  # the server's fields wake up with its choice
    group.url_edit.setText(url)
    group.token_edit.setText(token)
    qtbot.mouseClick(group.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: group.test_button.isEnabled(), timeout=60_000)
    return group.result_label.text()


def test_settings_finds_the_server_and_its_replicas(qtbot, settings_dialog, server):
    group = settings_dialog.engine_group
    assert _test_connection(qtbot, group, server.url, server.token) == (
        "Connected: 2 replicas: CPU, CPU.")
    settings_dialog.accept()
    chosen = settings_dialog.result_settings
    assert (chosen.engine, chosen.server_url) == ("server", server.url)
    from t2ia_desktop.remote.saved_token import saved_token

    assert saved_token() == server.token  # kept apart from the settings file


def test_settings_says_why_a_server_cannot_be_used(qtbot, settings_dialog, server):
    group = settings_dialog.engine_group
    refused = _test_connection(qtbot, group, server.url, "not-the-token-0123456789")
    assert "refused the token" in refused
    unreachable = _test_connection(qtbot, group, "http://127.0.0.1:9", server.token)
    assert "Cannot reach the server at http://127.0.0.1:9" in unreachable
    group.url_edit.setText("")
    settings_dialog.accept()  # a server with no address is not accepted
    assert settings_dialog.result_settings is None
    assert "Enter the server's address" in group.result_label.text()


def test_the_queue_runs_two_jobs_at_once_on_two_replicas(qtbot, server, sdxl_demo, tmp_path):
    settings = replace(Settings(), engine="server", server_url=server.url)
    history = History(tmp_path / "history")

    def remote_only() -> EngineWorker:
        return EngineWorker(lambda: EngineChoice(lambda: settings, None,
                                                 token=lambda: server.token), history=history)

    queue = JobQueue()
    runner = JobRunner(queue, remote_only(), more_workers=remote_only)
    watch = ServerWatch(lambda: settings, check_server, token=lambda: server.token)
    watch.parallel_jobs.connect(runner.set_parallel_jobs)
    described: list[str] = []
    watch.described.connect(described.append)
    try:
        with qtbot.waitSignal(watch.parallel_jobs, timeout=60_000):
            watch.refresh()
        assert runner.parallel_jobs == 2
        assert described[-1] == f"Engine: server {server.url} · 2 replicas: CPU, CPU"
        together: list[int] = []
        queue.job_changed.connect(lambda _job: together.append(
            sum(job.state is JobState.RUNNING and job.step > 0 for job in queue)))
        jobs = [runner.submit(request(sdxl_demo, seed=seed, steps=6)) for seed in (1, 2)]
        qtbot.waitUntil(lambda: all(job.state.finished for job in jobs), timeout=WAIT_MS)
        assert [job.state for job in jobs] == [JobState.DONE, JobState.DONE], [
            job.error for job in jobs]
        assert max(together) == 2  # both were denoising at the same moment
        for job in jobs:  # written here, before the queue heard of it
            assert Path(job.saved_to).is_file()
            assert (tmp_path / "history") in Path(job.saved_to).parents
        assert jobs[0].result.tobytes() != jobs[1].result.tobytes()  # each its own seed
    finally:
        runner.shutdown()
