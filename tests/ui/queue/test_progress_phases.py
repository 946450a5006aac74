"""Progress for every phase in the window: a job loading its model shows a busy bar and can be
cancelled (it stops once the load returns, before any step); a slow detector run shows a busy
bar on its layer row and its Cancel keeps the previous control image."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from PIL import Image
from PySide6.QtCore import Qt

from t2ia_desktop.core.generation.jobs import Job, JobState
from t2ia_desktop.core.generation.phases import LOADING_ADAPTERS, LOADING_MODEL
from t2ia_desktop.runtime.detection_cancel import CANCELLED_NOTE
from t2ia_desktop.runtime.previews import PreviewScheduler
from t2ia_desktop.ui.queue.job_row import JobRow
from tests.ui.helpers import (
    DETECT_TIMEOUT,
    click_row,
    detected,
    finish_pending,
    menu_action,
    run_until,
)

WAIT_MS = 10_000


# -- model loading ----------------------------------------------------------------------------
@contextmanager
def generating_held_in(window, loop, engine, runner, phase: str,
                       fraction: float | None) -> Iterator[tuple[Job, JobRow]]:
    """Generate with the engine held loading in ``phase`` (at ``fraction`` done) until the
    block ends; yields the job and its queue row."""
    load = threading.Event()
    engine.phases = [(phase, fraction)]
    engine.loading_gate = load
    try:
        job = window.generate()
        row = window.queue_panel.row_for(job)
        run_until(loop, runner, lambda: job.phase == phase)
        yield job, row
    finally:
        load.set()  # the model has loaded


def test_a_loading_job_shows_a_busy_bar_and_cancels_before_its_first_step(
        qtbot, window, loop, engine, runner):
    with generating_held_in(window, loop, engine, runner, LOADING_MODEL, None) as (job, row):
        assert row.state_label.text() == "Loading model…"
        assert (row.progress_bar.minimum(), row.progress_bar.maximum()) == (0, 0)  # busy
        assert row.progress_bar.isVisible()
        assert window.job_status.job_label.text() == "Loading model…"
        assert window.job_status.progress_bar.maximum() == 0
        assert window.job_status.progress_bar.isVisible()

        qtbot.mouseClick(row.cancel_button, Qt.MouseButton.LeftButton)
        assert job.state is JobState.RUNNING  # a load cannot be interrupted…
        assert row.state_label.text() == "Cancelling after the model has loaded…"
        assert window.job_status.job_label.text() == "Cancelling after the model has loaded…"
        assert not row.cancel_button.isEnabled()
    # …the model has loaded now (the block ended)
    run_until(loop, runner, lambda: job.state is JobState.CANCELLED)
    finish_pending(loop, window)
    assert engine.steps_run == 0  # not one denoising step ran
    assert row.state_label.text() == "Cancelled"
    assert row.retry_button.isVisible()


def test_the_row_fills_with_the_share_loaded_then_counts_steps(qtbot, window, loop, engine,
                                                               runner):
    with generating_held_in(window, loop, engine, runner, LOADING_ADAPTERS, 0.5) as (job, row):
        assert row.state_label.text() == "Loading adapters…"
        assert (row.progress_bar.maximum(), row.progress_bar.value()) == (100, 50)
        assert row.progress_bar.text() == "Loading adapters… 50 %"
        assert window.job_status.job_label.text() == "Loading adapters… 50 %"
    run_until(loop, runner, lambda: job.state is JobState.DONE)
    finish_pending(loop, window)
    steps = job.request.steps
    assert row.state_label.text() == "Done"
    assert (row.progress_bar.maximum(), row.progress_bar.value()) == (steps, steps)
    assert engine.steps_run == steps


# -- detector runs ----------------------------------------------------------------------------
class HeldDetector:
    """A detector at the engine boundary that paints grey levels 60, 140, 220… one per call,
    and, while ``hold`` is set, waits in mid-run (as a slow Zoe would) until ``release``."""

    def __init__(self) -> None:
        self.hold = False
        self.release = threading.Event()
        self.started = threading.Event()
        self.ended = threading.Event()
        self.calls = 0

    def __call__(self, condition, image, params) -> Image.Image:
        self.calls += 1
        level = 60 + 80 * (self.calls - 1)
        self.started.set()
        if self.hold:
            self.release.wait(30)
        self.ended.set()
        return Image.new("L", image.size, level)


@pytest.fixture
def detector() -> HeldDetector:
    return HeldDetector()


@pytest.fixture
def scheduler(qapp, detector) -> Iterator[PreviewScheduler]:
    previews = PreviewScheduler(lambda: detector)
    yield previews
    detector.release.set()
    previews.shutdown()
    assert not previews._thread.isRunning()


def grey(layer) -> int:
    height, width = layer.pixels.shape[:2]
    return int(layer.pixels[height // 2, width // 2, 0])


def test_a_slow_detector_shows_busy_and_cancel_keeps_the_previous_control_image(
        qtbot, window, square_photo, detector):
    photo = window.import_photo(square_photo)
    click_row(qtbot, window, photo)
    with detected(qtbot, window.document) as got:
        menu_action(window, "canny").trigger()
    layer = got.args[0]
    assert grey(layer) == 60  # the first control image

    panel = window.layers_panel
    detector.hold, detector.started, detector.ended = True, threading.Event(), threading.Event()
    qtbot.mouseClick(panel.row_for(layer).redetect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(detector.started.is_set, timeout=DETECT_TIMEOUT)  # running, held mid-run
    row = panel.row_for(layer)
    assert row.busy_bar.isVisible()
    assert row.cancel_detect_button.isVisible()
    assert (row.busy_bar.minimum(), row.busy_bar.maximum()) == (0, 0)  # indeterminate
    assert "finishes in the background" in row.cancel_detect_button.toolTip()

    qtbot.mouseClick(row.cancel_detect_button, Qt.MouseButton.LeftButton)
    row = panel.row_for(layer)
    assert not row.busy_bar.isVisible()
    assert not row.cancel_detect_button.isVisible()
    assert layer.condition.error == CANCELLED_NOTE
    assert row.error_label.text() == "⚠ Detection cancelled: the previous control image is kept."
    assert row.error_label.toolTip() == CANCELLED_NOTE

    painted: list[int] = []
    window.document.pixels_changed.connect(
        lambda changed, _rect: painted.append(grey(changed)) if changed is layer else None)
    detector.hold = False
    detector.release.set()  # the cancelled run ends; its result (140) must be dropped
    qtbot.waitUntil(detector.ended.is_set, timeout=WAIT_MS)
    with detected(qtbot, window.document, layer):
        qtbot.mouseClick(panel.row_for(layer).redetect_button, Qt.MouseButton.LeftButton)
    assert painted == [220]  # only the run after the cancel landed
    assert layer.condition.error == ""  # and it took the note away
    assert not panel.row_for(layer).busy_bar.isVisible()
