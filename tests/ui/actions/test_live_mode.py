"""Live mode in the window: strokes make live pictures in the live steps, at most one running
and one waiting, none in the Queue; the picture shows in the Live dock beside the canvas, not
over it; Live off lets a job past half finish; Keep adds an undoable result layer."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolBar

from t2ia_desktop.core.generation.jobs import JobState
from t2ia_desktop.core.settings import DEFAULT_LIVE_STEPS, SettingsStore
from tests.builders import pixel_centre
from tests.fakes import FakeEngine
from tests.ui.helpers import drag, settings_controller

WAIT_MS = 20_000  # an upper bound for a slow machine, never a timing assertion


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine(step_seconds=0.03)  # a live picture takes longer than a stroke


class Watch:
    """The worst counts of running and waiting live jobs, and of Queue rows, at every change."""

    def __init__(self, window) -> None:
        self.window = window
        self.running = self.waiting = self.queue_rows = 0
        self.texts: list[str] = []
        live_jobs = window.runner.live_jobs
        live_jobs.job_added.connect(self.check)
        live_jobs.job_changed.connect(self.check)

    def check(self, *_args) -> None:
        live = self.window.live
        jobs = [job for job in self.window.runner.live_jobs if not job.state.finished]
        running = sum(1 for job in jobs if job.state is JobState.RUNNING)
        waiting = sum(1 for job in jobs if job.state is JobState.QUEUED)
        waiting += live.session.waiting is not None
        self.running = max(self.running, running)
        self.waiting = max(self.waiting, waiting)
        self.queue_rows = max(self.queue_rows, self.window.queue_panel.list_widget.count(),
                              len(self.window.runner.queue))
        self.texts.append(live.indicator.text())


def stroke(window, x: int) -> None:
    drag(window.canvas, [pixel_centre(window.canvas, x, 30),
                         pixel_centre(window.canvas, x + 10, 150)])


def test_strokes_make_live_pictures_in_the_live_steps_beside_the_canvas(qtbot, window,
                                                                       engine):
    live = window.live
    assert live.live_action in window.findChild(QToolBar, "tools_toolbar").actions()
    assert live.live_action in window.generate_menu.actions()
    assert live.dock.toggleViewAction() in window.view_menu.actions()
    assert "Ctrl+L" in live.live_action.toolTip()
    assert not live.dock.isVisible()  # until Live is turned on
    watch = Watch(window)
    window.generate_panel.steps_spin.setValue(30)
    window.generate_panel.new_seed_check.setChecked(True)  # live keeps its seed all the same
    seed = window.generate_panel.seed_spin.value()
    layers_before = list(window.document.layers)
    undo_steps = window.undo.undo_label

    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert live.live
    assert live.dock.isVisible()
    assert live.panel.steps_spin.value() == DEFAULT_LIVE_STEPS
    for number in range(12):  # strokes faster than a live picture
        stroke(window, 20 + (number * 13) % 200)
        qtbot.wait(40)
        watch.check()
    qtbot.waitUntil(lambda: not live.session.updating, timeout=WAIT_MS)

    assert (watch.running, watch.waiting) == (1, 1)
    assert watch.queue_rows == 0  # the Queue never shows a live job
    assert window.queue_panel.empty_label.isVisible()
    assert "Live: updating…" in watch.texts
    assert live.indicator.text() == "Live: up to date"
    assert live.panel.status_label.text() == "Live: up to date"
    assert {call.steps for call in engine.calls} == {DEFAULT_LIVE_STEPS}  # not the 30
    assert len(engine.calls) < 12
    shown = live.session.result_request
    sketch = window.document.controls()[0]
    assert shown.controls[0].image_hash() == sketch.image_hash()  # the last stroke's picture
    assert shown.seed == seed == window.generate_panel.seed_spin.value()
    # the picture is in the dock, the canvas is not covered
    picture = live.panel.picture
    assert picture.isVisible()
    assert picture.image is not None
    assert picture.image.pixelColor(0, 0).red() == seed % 256  # FakeEngine's colour
    assert picture.picture_rect().width() > 100
    assert not live.overlay.isVisible()
    assert live.dock.geometry().intersected(window.canvas.geometry()).isEmpty()
    # the live picture is no layer and no undo step; the strokes are
    assert list(window.document.layers) == layers_before
    assert window.undo.undo_label != undo_steps


def test_live_steps_from_the_dock_are_used_and_kept_for_the_next_launch(qtbot, window,
                                                                       engine, tmp_path):
    store = SettingsStore(tmp_path / "settings.json")
    controller = settings_controller(window, store)
    window.live.live_steps_changed.connect(controller.keep_live_steps)
    live = window.live
    live.set_live(True)
    qtbot.waitUntil(lambda: live.session.result is not None and not live.session.updating,
                    timeout=WAIT_MS)
    spin = live.panel.steps_spin
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "3")
    qtbot.waitUntil(lambda: live.session.result_request.steps == 3
                    and not live.session.updating, timeout=WAIT_MS)
    assert engine.calls[-1].steps == 3
    assert SettingsStore(tmp_path / "settings.json").settings.live_steps == 3
    again = SettingsStore(tmp_path / "settings.json")
    settings_controller(window, again)  # the next launch shows them in the dock
    assert spin.value() == 3


def test_keep_adds_the_live_picture_as_a_layer_and_undo_takes_it_away(qtbot, window):
    live = window.live
    assert not live.keep_action.isEnabled()
    live.set_live(True)
    qtbot.waitUntil(lambda: live.session.result is not None and not live.session.updating,
                    timeout=WAIT_MS)
    assert live.panel.keep_button.isEnabled()
    count = len(window.document.layers)
    qtbot.mouseClick(live.panel.keep_button, Qt.MouseButton.LeftButton)
    assert len(window.document.layers) == count + 1
    kept = window.document.layers[-1]
    assert kept.kind == "result"
    assert kept.request == live.session.result_request
    assert kept.request.steps == DEFAULT_LIVE_STEPS
    window.undo_actions.undo_step()
    assert len(window.document.layers) == count


def hold_live_picture(qtbot, window, engine, step: int):
    """Live on, its 4-step picture held once the steps before ``step`` are done."""
    engine.gate, engine.gate_step = threading.Event(), step
    window.live.panel.steps_spin.setValue(4)
    window.live.set_live(True)
    qtbot.waitUntil(lambda: window.live.session.job is not None
                    and window.live.session.job.step == step - 1, timeout=WAIT_MS)
    return window.live.session.job


def test_live_off_lets_a_picture_past_half_finish_in_the_dock(qtbot, window, engine):
    live = window.live
    job = hold_live_picture(qtbot, window, engine, 3)  # 2 of 4 steps done
    assert live.panel.status_label.text() == "Live: updating… step 2/4"
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert not live.live
    assert not live.indicator.isVisible()
    assert live.panel.status_label.text() == "Live is off: finishing this picture… step 2/4"
    engine.gate.set()
    qtbot.waitUntil(lambda: not live.session.updating, timeout=WAIT_MS)
    assert job.state is JobState.DONE
    assert live.panel.picture.image is not None
    assert live.keep_action.isEnabled()
    assert not live.overlay.isVisible()
    assert "Keep" in live.panel.status_label.text()
    assert len(window.runner.live_jobs) == 0  # nothing left behind in either queue
    assert len(window.runner.queue) == 0


def test_live_off_cancels_a_picture_not_half_done(qtbot, window, engine):
    live = window.live
    job = hold_live_picture(qtbot, window, engine, 2)  # 1 of 4 steps done
    live.set_live(False)
    assert not live.session.updating
    qtbot.waitUntil(lambda: job.state is JobState.CANCELLED, timeout=WAIT_MS)
    assert live.panel.picture.image is None
    assert not live.keep_action.isEnabled()
    assert live.panel.status_label.text() == "Live is off."
    window.generate_panel.prompt_edit.setPlainText("a blue kite")
    assert not live.scheduled  # off: a change asks for nothing


def test_a_setting_change_asks_again_and_over_canvas_is_a_choice(qtbot, window):
    live = window.live
    live.set_live(True)
    qtbot.waitUntil(lambda: live.session.result is not None and not live.session.updating,
                    timeout=WAIT_MS)
    window.generate_panel.prompt_edit.setPlainText("a red kite")
    qtbot.waitUntil(lambda: live.session.result_request.prompt == "a red kite"
                    and not live.session.updating, timeout=WAIT_MS)
    calls = len(window.runner.live_jobs)
    live.submit_now()  # nothing changed: no new picture
    assert len(window.runner.live_jobs) == calls
    assert not live.session.updating
    assert not live.overlay.isVisible()
    qtbot.mouseClick(live.panel.over_canvas_check, Qt.MouseButton.LeftButton)
    assert live.overlay.isVisible()
    assert live.overlay.image is live.panel.picture.image
    live.set_live(False)
    assert not live.overlay.isVisible()
    assert live.panel.picture.image is not None  # the dock keeps the last picture


def test_a_failed_live_picture_shows_its_reason(qtbot, window):
    live = window.live
    window.generate_panel.prompt_edit.setPlainText("fail: the model file is gone")
    live.set_live(True)
    qtbot.waitUntil(lambda: "failed" in live.indicator.text(), timeout=WAIT_MS)
    assert live.indicator.text() == "Live: failed: the model file is gone"
    assert live.panel.status_label.text() == "Live: failed: the model file is gone"
    assert live.panel.picture.image is None
    window.generate_panel.prompt_edit.setPlainText("a kite")  # the next change tries again
    qtbot.waitUntil(lambda: live.indicator.text() == "Live: up to date", timeout=WAIT_MS)
    assert live.panel.picture.image is not None


@pytest.mark.slow
def test_a_stroke_makes_a_live_picture_on_the_demo_model(qtbot, real_window):
    """No fake: the worker runs the demo model's SDXL adapter pipeline in the live steps."""
    from t2ia_desktop.core.paths import history_dir

    window = real_window
    live = window.live
    before = set(history_dir().glob("*")) if history_dir().is_dir() else set()
    live.panel.steps_spin.setValue(2)
    live.set_live(True)
    qtbot.waitUntil(lambda: live.session.result is not None and not live.session.updating,
                    timeout=300_000)  # the first picture also loads the model
    first = live.session.result_request
    stroke(window, 20)
    qtbot.waitUntil(lambda: live.session.result_request is not first
                    and not live.session.updating, timeout=300_000)
    request = live.session.result_request
    assert request.steps == 2
    assert request.controls[0].image_hash() == window.document.controls()[0].image_hash()
    assert live.session.result.size == (128, 128)
    assert live.panel.picture.image is not None
    assert not live.overlay.isVisible()
    assert len(window.runner.queue) == 0
    assert window.queue_panel.list_widget.count() == 0
    after = set(history_dir().glob("*")) if history_dir().is_dir() else set()
    assert after == before  # live pictures are not written to the image history
    count = len(window.document.layers)
    live.keep_action.trigger()
    assert len(window.document.layers) == count + 1
    assert window.document.layers[-1].request is request


def test_the_live_dock_opens_beside_the_canvas_without_squeezing_generate(qtbot, window):
    window.resize(1280, 800)
    qtbot.waitUntil(lambda: window.height() == 800)
    generate = window.generate_dock.geometry()
    left = window.preview_dock.width()
    window.live.set_live(True)
    qtbot.waitUntil(lambda: window.live.dock.height() >= 200)
    dock = window.live.dock.geometry()
    assert dock.right() < window.canvas.geometry().left()  # the column left of the canvas
    assert dock.top() > window.preview_dock.geometry().top()
    assert window.generate_dock.geometry() == generate  # Generate keeps its controls
    assert window.preview_dock.width() == left  # the panel does not widen its column
    picture = window.live.panel.picture
    assert min(picture.width(), picture.height()) >= 150
    assert window.live.panel.keep_button.isVisible()


def test_take_height_takes_from_below_first_and_keeps_each_minimum():
    from t2ia_desktop.ui.actions.generate.live import take_height

    minimums = [120, 120, 120]
    assert take_height([300, 200, 200], [False, True, True], 100, minimums) == [300, 120, 180]
    assert take_height([300, 200, 200], [False, True, True], 250, minimums) == [210, 120, 120]
    assert take_height([130, 150], [True, True], 100, [120, 140]) == [120, 140]
