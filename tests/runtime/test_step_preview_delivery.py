"""Step previews travel from the engine through the worker to the job, one at a time."""

from __future__ import annotations

import threading
import time

from PIL import Image
from PySide6.QtCore import Qt

from t2ia_desktop.core.generation.jobs import JobQueue, JobState
from t2ia_desktop.core.generation.request import DEMO_MODEL, GenerationRequest
from t2ia_desktop.runtime.runner import JobRunner
from t2ia_desktop.runtime.worker import EngineWorker
from tests.runtime.rig import request

WAIT_MS = 60_000  # an upper bound for a slow machine, never a timing assertion


def test_previews_reach_the_running_job_and_the_last_one_stays(qtbot, rig):
    seen: list[Image.Image] = []
    rig.queue.job_changed.connect(
        lambda job: seen.append(job.preview)
        if job.preview is not None and (not seen or seen[-1] is not job.preview) else None)
    with qtbot.waitSignal(rig.runner.job_finished, timeout=WAIT_MS):
        job = rig.runner.submit(request(steps=6))

    assert job.state is JobState.DONE
    assert seen
    assert all(image.size == (8, 8) for image in seen)
    assert job.preview is seen[-1]
    levels = [image.getpixel((0, 0))[0] for image in seen]
    assert levels == sorted(levels)  # in step order, never an older one after a newer one


def test_a_busy_ui_thread_gets_one_preview_not_a_pile(qtbot, rig):
    """While the UI thread does not take previews, the worker renders and sends no more."""
    done = threading.Event()
    rig.worker.executor.finished.connect(lambda *_: done.set(),
                                         Qt.ConnectionType.DirectConnection)
    sent: list[int] = []
    rig.worker.executor.preview.connect(lambda job_id, _image: sent.append(job_id),
                                        Qt.ConnectionType.DirectConnection)
    job = rig.runner.submit(request(steps=12))
    deadline = time.monotonic() + WAIT_MS / 1000
    while not done.is_set() and time.monotonic() < deadline:  # the UI thread is "busy"
        time.sleep(0.005)
    assert done.is_set()
    assert sent == [job.id]  # 12 steps, one preview in flight, none rendered after it
    qtbot.waitUntil(lambda: job.state.finished, timeout=WAIT_MS)
    assert job.preview is not None
    # taken: the next preview goes through again
    assert rig.worker.executor._previews.offer(lambda: Image.new("RGB", (8, 8)), sent.append)


def test_a_real_generation_on_the_demo_model_sends_step_previews(qtbot, tmp_path):
    from t2ia_desktop.engine.generate import Engine

    runner = JobRunner(JobQueue(), EngineWorker(lambda: Engine(demo_root=tmp_path / "demo")))
    previews: list[Image.Image] = []
    runner.queue.job_changed.connect(
        lambda job: previews.append(job.preview)
        if job.preview is not None and job.preview not in previews else None)
    try:
        with qtbot.waitSignal(runner.job_finished, timeout=WAIT_MS * 3):
            job = runner.submit(GenerationRequest(model=DEMO_MODEL, prompt="a kite", steps=4,
                                                  width=128, height=96, seed=3))
    finally:
        runner.shutdown()
    assert job.state is JobState.DONE, job.error
    assert 1 <= len(previews) <= 4
    assert all(p.size == (16, 12) and p.mode == "RGB" for p in previews)
    assert job.preview is previews[-1]
