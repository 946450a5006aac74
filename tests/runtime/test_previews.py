"""Live previews: debounce, latest wins, one run at a time per layer, errors per layer."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from PIL import Image, ImageDraw

from t2ia_desktop.runtime.previews import PreviewScheduler


class RecordingDetector:
    """A detector at the engine boundary: paints its ``level`` param, records concurrency."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.calls: list[dict] = []
        self.active = 0
        self.most_active = 0
        self.lock = threading.Lock()

    def __call__(self, condition, image, params):
        with self.lock:
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        try:
            self.calls.append(dict(params))
            if params.get("explode"):
                raise ValueError("detector exploded")
            time.sleep(self.seconds)
            return Image.new("L", image.size, int(params.get("level", 0)))
        finally:
            with self.lock:
                self.active -= 1


@pytest.fixture
def make_scheduler(qapp):
    made = []

    def make(detector):
        scheduler = PreviewScheduler(lambda: detector)
        made.append(scheduler)
        return scheduler

    yield make
    for scheduler in made:
        scheduler.shutdown()
        assert not scheduler._thread.isRunning()


def source() -> Image.Image:
    return Image.new("RGB", (64, 64), "white")


def test_a_hundred_changes_in_a_second_run_the_detector_at_most_twice(qtbot, make_scheduler):
    detector = RecordingDetector()
    scheduler = make_scheduler(detector)
    with qtbot.waitSignal(scheduler.preview_ready, timeout=10_000,
                          check_params_cb=lambda _id, image: image.getpixel((0, 0)) == 99) as got:
        for level in range(100):
            scheduler.schedule("layer", "depth-midas", {"level": level}, source)
            qtbot.wait(10)
    assert got.args[0] == "layer"
    assert scheduler.runs["layer"] <= 2
    assert detector.calls[-1] == {"level": 99}


def test_latest_request_wins_and_runs_never_overlap(qtbot, make_scheduler):
    detector = RecordingDetector(seconds=0.3)
    scheduler = make_scheduler(detector)
    scheduler.schedule("layer", "canny", {"level": 1}, source, delay_ms=0)
    qtbot.waitUntil(lambda: scheduler.runs["layer"] == 1)
    for level in (2, 3, 4):  # arrive while the first run is in flight
        scheduler.schedule("layer", "canny", {"level": level}, source, delay_ms=0)
        qtbot.wait(5)
    with qtbot.waitSignal(scheduler.preview_ready, timeout=10_000,
                          check_params_cb=lambda _id, image: image.getpixel((0, 0)) == 4):
        pass
    assert [call["level"] for call in detector.calls] == [1, 4]
    assert detector.most_active == 1
    qtbot.waitUntil(lambda: not scheduler.is_busy("layer"))


def test_layers_are_independent_and_an_error_stays_on_its_layer(qtbot, make_scheduler):
    scheduler = make_scheduler(RecordingDetector())
    with qtbot.waitSignal(scheduler.preview_failed, timeout=10_000) as failed:
        scheduler.schedule("bad", "canny", {"explode": True}, source, delay_ms=0)
    assert failed.args == ["bad", "ValueError: detector exploded"]
    with qtbot.waitSignal(scheduler.preview_ready, timeout=10_000) as ready:
        scheduler.schedule("good", "canny", {"level": 7}, source, delay_ms=0)
    assert ready.args[0] == "good"
    assert ready.args[1].getpixel((0, 0)) == 7


def test_a_forgotten_layer_gets_no_result(qtbot, make_scheduler):
    detector = RecordingDetector(seconds=0.2)
    scheduler = make_scheduler(detector)
    results = []
    scheduler.preview_ready.connect(lambda layer_id, image: results.append(layer_id))
    scheduler.schedule("gone", "canny", {"level": 1}, source, delay_ms=0)
    qtbot.waitUntil(lambda: scheduler.runs["gone"] == 1)
    scheduler.forget("gone")
    with qtbot.waitSignal(scheduler.preview_ready, timeout=10_000):
        scheduler.schedule("kept", "canny", {"level": 2}, source, delay_ms=0)
    assert results == ["kept"]


def test_real_canny_through_the_engine_detectors(qtbot, qapp):
    scheduler = PreviewScheduler()  # the real detector factory, imported in its thread
    try:
        picture = Image.new("RGB", (128, 96), "white")
        ImageDraw.Draw(picture).rectangle((30, 20, 90, 70), fill="black")
        with qtbot.waitSignal(scheduler.preview_ready, timeout=60_000) as got:
            scheduler.schedule("edges", "canny", {"low_threshold": 50, "high_threshold": 150},
                               lambda: picture)
        edges = np.array(got.args[1].convert("L"))
        assert edges.shape == (96, 128)
        assert edges.max() > 0
        assert edges[:10, :10].max() == 0
    finally:
        scheduler.shutdown()


def test_forgetting_a_busy_layer_says_it_is_no_longer_busy(qtbot, make_scheduler):
    scheduler = make_scheduler(RecordingDetector(seconds=0.2))
    states = []
    scheduler.busy_changed.connect(lambda layer_id, busy: states.append(busy))
    scheduler.schedule("layer", "canny", {"level": 1}, source, delay_ms=0)
    qtbot.waitUntil(lambda: scheduler.runs["layer"] == 1)
    scheduler.forget("layer")
    assert states[-1] is False
    assert not scheduler.is_busy("layer")
