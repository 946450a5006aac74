"""The queue survives a restart: pending jobs are in the queue file, and a new window offers
them back (Restore / Discard); a file from a newer version is kept aside and told."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator

import numpy as np
import pytest

from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.generation.jobs import JobQueue, JobState
from t2ia_desktop.core.generation.queue_file import QUEUE_FILE, QueueStore
from t2ia_desktop.core.paths import queue_dir
from t2ia_desktop.runtime.queue_keeper import QueueKeeper
from t2ia_desktop.runtime.runner import JobRunner
from t2ia_desktop.runtime.worker import EngineWorker
from t2ia_desktop.ui.queue.panel import BUILT_AROUND_VIEW
from t2ia_desktop.ui.window.main_window import MainWindow
from tests import builders
from tests.builders import pixel_centre
from tests.ui.conftest import DOC_HEIGHT, DOC_WIDTH
from tests.ui.helpers import ask_for_batch, drag, finish_pending, main_window


@pytest.fixture
def launch(qtbot, loop, engine, models, scheduler) -> Iterator[Callable[[], MainWindow]]:
    """Opens a window as the app does: its own queue, runner and queue keeper on the user's
    queue folder. Each call is a new session of the app."""
    opened: list[tuple[MainWindow, JobRunner, QueueKeeper]] = []

    def open_window() -> MainWindow:
        runner = JobRunner(JobQueue(), EngineWorker(lambda: engine))
        keeper = QueueKeeper(runner.queue, QueueStore(queue_dir()))
        window = main_window(Document.with_sketch_layer(DOC_WIDTH, DOC_HEIGHT), runner, models,
                             scheduler=scheduler, queue_keeper=keeper)
        qtbot.addWidget(window)
        window.show()
        opened.append((window, runner, keeper))
        return window

    yield open_window
    if engine.gate is not None:
        engine.gate.set()
    for window, runner, _keeper in opened:
        quit_session(window)
        runner.shutdown()
        assert not runner.worker._thread.isRunning()


def run_loop_until(loop, done: Callable[[], bool], timeout_s: float = 20.0) -> None:
    """Turn the event loop (timers, asyncio tasks) until ``done()`` holds."""

    async def wait() -> None:
        while not done():
            await asyncio.sleep(0.01)

    loop.run_until_complete(asyncio.wait_for(wait(), timeout_s))


def offer(loop, window: MainWindow) -> list:
    """What the launch does once the window shows: offer the saved queue (read on the keeper's
    thread, restored in turns, in the running event loop as in the app); the jobs restored."""
    offered: list[list] = []
    window.queue_control.offered.connect(offered.append)
    window.queue_control.offer_restore()
    run_loop_until(loop, lambda: bool(offered))
    window.queue_control.offered.disconnect(offered.append)
    return offered[0]


def quit_session(window: MainWindow) -> None:
    """What quitting the app does: close the window, finish the queue file, stop the worker."""
    window.close()
    window.queue_control.keeper.close()
    window.runner.shutdown()  # cancels the running job; the file keeps it


def test_waiting_jobs_come_back_after_a_restart_and_run(launch, loop, engine):
    first = launch()
    assert offer(loop, first) == []  # nothing saved: nothing asked
    drag(first.canvas, [pixel_centre(first.canvas, x, 50) for x in (20, 90, 160)])
    engine.gate = threading.Event()  # the first job holds at its first step
    ask_for_batch(first, "a lighthouse at night", 40, 3)
    running = first.generate()
    assert running.state is JobState.RUNNING
    sent = [job.request for job in first.runner.queue]
    first.queue_control.keeper.wait()
    assert (queue_dir() / QUEUE_FILE).is_file()
    quit_session(first)  # the running job was cut short: it is pending too

    engine.gate.set()
    calls_before = len(engine.calls)
    second = launch()
    asked: list[str] = []
    second.queue_control.ask_restore = lambda found: asked.append(found) or True
    said: list[str] = []
    second.statusBar().messageChanged.connect(said.append)  # the jobs run meanwhile
    restored = offer(loop, second)
    assert len(asked) == 1
    assert "3 jobs waiting" in asked[0]
    assert "a lighthouse" in asked[0]
    assert [job.request for job in restored] == sent
    assert [job.request.seed for job in restored] == [40, 41, 42]
    assert any("Restored 3 waiting job(s)" in text for text in said)
    for job, request in zip(restored, sent, strict=True):
        (control,) = job.request.controls
        assert np.array_equal(np.array(control.image), np.array(request.controls[0].image))
    finish_pending(loop, second)
    assert all(job.state is JobState.DONE for job in restored)
    assert [call.seed for call in engine.calls[calls_before:]] == [40, 41, 42]
    results = [layer for layer in second.document.layers if layer.kind == "result"]
    assert [layer.request.seed for layer in results] == [40, 41, 42]
    second.queue_control.keeper.wait()
    assert not (queue_dir() / QUEUE_FILE).exists()  # nothing pending any more


def test_discard_removes_the_saved_queue_and_a_paused_queue_comes_back_paused(launch, loop,
                                                                             engine):
    first = launch()
    offer(loop, first)
    engine.gate = threading.Event()
    first.runner.queue.set_paused(True)
    first.generate_panel.prompt_edit.setPlainText("kept for later")
    job = first.generate()
    assert job.state is JobState.QUEUED  # paused: it waits
    first.queue_control.keeper.wait()
    quit_session(first)

    second = launch()
    second.queue_control.ask_restore = lambda _found: True
    (restored,) = offer(loop, second)
    assert second.runner.queue.paused
    assert restored.state is JobState.QUEUED
    assert second.queue_panel.paused_label.isVisibleTo(second.queue_panel)
    assert "Resume" in second.statusBar().currentMessage()
    quit_session(second)

    third = launch()
    third.queue_control.ask_restore = lambda _found: False  # Discard
    assert offer(loop, third) == []
    third.queue_control.keeper.wait()
    assert len(third.runner.queue) == 0
    assert not (queue_dir() / QUEUE_FILE).exists()


def test_a_queue_file_from_a_newer_version_is_kept_aside_and_told(launch, loop, engine):
    folder = queue_dir()
    folder.mkdir(parents=True)
    (folder / QUEUE_FILE).write_text(json.dumps(
        {"format": "t2ia-queue", "format_version": 99, "app_version": "7.1", "jobs": []}))
    window = launch()
    window.queue_control.ask_restore = lambda _found: pytest.fail("nothing to ask")
    assert offer(loop, window) == []
    text = window.queue_control.error_box.text()
    assert "newer version of t2ia desktop 7.1" in text
    assert "update the app" in text
    (aside,) = folder.parent.glob("queue-unreadable-*")
    assert str(aside) in text
    assert json.loads((aside / QUEUE_FILE).read_text())["format_version"] == 99  # kept whole
    window.queue_control.error_box.close()

    engine.gate = threading.Event()
    window.generate_panel.prompt_edit.setPlainText("after the old file")
    window.generate()
    window.queue_control.keeper.wait()  # the new queue is saved afresh
    saved = QueueStore(folder).read()
    assert [r.prompt for r in saved.requests] == ["after the old file"]


def test_a_bad_job_is_left_out_the_others_restored_and_the_file_kept(launch, loop):
    folder = queue_dir()
    requests = [builders.request(prompt=f"a lighthouse {seed}", seed=seed, width=DOC_WIDTH,
                                 height=DOC_HEIGHT, controls=(builders.control(shade=seed),))
                for seed in (1, 2, 3)]
    QueueStore(folder).write([(each, "queued") for each in requests], paused=True)
    data = json.loads((folder / QUEUE_FILE).read_text())
    data["jobs"][1]["request"]["prompt"] = 5  # a number as prompt
    (folder / QUEUE_FILE).write_text(json.dumps(data))

    window = launch()
    asked: list[str] = []
    window.queue_control.ask_restore = lambda found: asked.append(found) or True
    restored = offer(loop, window)
    assert [job.request.seed for job in restored] == [1, 3]
    assert "1 job could not be read and is left out: job 2: " in asked[0]
    text = window.queue_control.error_box.text()
    assert "job 2: " in text
    (kept,) = folder.parent.glob("queue-unreadable-*")
    assert str(kept) in text
    assert json.loads((kept / QUEUE_FILE).read_text())["jobs"][1]["request"]["prompt"] == 5
    window.queue_control.error_box.close()
    window.queue_control.keeper.wait()  # the file follows the queue: the good jobs only
    assert [r.seed for r in QueueStore(folder).read().requests] == [1, 3]
    assert QueueStore(folder).read().skipped == ()  # told once


def test_a_long_restored_queue_gets_row_widgets_only_near_the_view(qtbot, launch, loop):
    """Each row widget slows every later change of the list: 10 000 restored jobs build rows
    for those in view (and near it) only, and the others as the artist scrolls to them."""
    count = 400
    base = builders.request(prompt="a lighthouse", width=DOC_WIDTH, height=DOC_HEIGHT)
    QueueStore(queue_dir()).write([(base.with_changes(seed=seed), "queued")
                                   for seed in range(count)], paused=True)
    window = launch()
    window.queue_control.ask_restore = lambda _found: True
    restored = offer(loop, window)
    assert len(restored) == count
    panel = window.queue_panel
    assert panel.list_widget.count() == count

    run_loop_until(loop, lambda: not panel._build_timer.isActive())
    assert 0 < len(panel.rows) < 2 * BUILT_AROUND_VIEW + 30
    assert restored[0].id in panel.rows
    assert restored[-1].id not in panel.rows
    last = panel.list_widget.item(count - 1)
    run_loop_until(loop, lambda: panel.list_widget.visualItemRect(last).isValid())  # laid out
    panel.list_widget.scrollToBottom()
    run_loop_until(loop, lambda: restored[-1].id in panel.rows)
    assert len(panel.rows) < 4 * BUILT_AROUND_VIEW + 60
    assert panel.row_for(restored[count // 2]).job is restored[count // 2]  # built when asked


def test_the_restore_benchmark_reports_its_figures(qapp):
    from t2ia_desktop.bench.queue_restore import restore_figures

    figures = restore_figures(jobs=30, size=64)
    assert figures["restore_jobs"] == 30
    assert 0 < figures["restore_row_widgets"] <= 30
    assert {"restore_read_s", "restore_ui_held_s", "restore_ui_stall_worst_ms"} <= set(figures)
