"""Live mode in the window: the toggle, strokes coalesced, the live picture, Keep live result."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolBar

from t2ia_desktop.core.generation.jobs import JobState
from tests.builders import pixel_centre
from tests.fakes import FakeEngine
from tests.ui.helpers import drag

WAIT_MS = 20_000  # an upper bound for a slow machine, never a timing assertion


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine(step_seconds=0.03)  # a live picture takes longer than a stroke


def live_jobs(window):
    return [job for job in window.runner.queue if not job.state.finished]


def test_fifty_strokes_at_ten_per_second_coalesce_and_the_last_one_is_shown(qtbot, window):
    live = window.live
    assert live.live_action in window.findChild(QToolBar, "tools_toolbar").actions()
    assert live.live_action in window.generate_menu.actions()
    assert "Ctrl+L" in live.live_action.toolTip()
    worst = {"running": 0, "pending": 0}
    texts = []

    def check(*_args) -> None:
        jobs = live_jobs(window)
        running = sum(1 for job in jobs if job.state is JobState.RUNNING)
        pending = sum(1 for job in jobs if job.state is JobState.QUEUED)
        pending += live.session.waiting is not None
        worst["running"] = max(worst["running"], running)
        worst["pending"] = max(worst["pending"], pending)
        texts.append(live.indicator.text())

    window.runner.queue.job_changed.connect(check)
    window.runner.queue.job_added.connect(check)
    window.generate_panel.steps_spin.setValue(4)
    window.generate_panel.new_seed_check.setChecked(True)  # live keeps its seed all the same
    seed = window.generate_panel.seed_spin.value()
    layers_before = list(window.document.layers)
    undo_steps = window.undo.undo_label

    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert live.live
    assert live.indicator.isVisible()
    for stroke in range(50):
        x = 20 + (stroke * 7) % 200
        drag(window.canvas, [pixel_centre(window.canvas, x, 30),
                             pixel_centre(window.canvas, x + 10, 150)])
        check()
        qtbot.wait(100)
    qtbot.waitUntil(lambda: not live.session.updating, timeout=WAIT_MS)

    assert worst == {"running": 1, "pending": 1}
    assert "Live: updating…" in texts
    assert live.indicator.text() == "Live: up to date"
    shown = live.session.result_request
    sketch = window.document.controls()[0]
    assert shown.controls[0].image_hash() == sketch.image_hash()  # the last stroke's picture
    assert shown.seed == seed == window.generate_panel.seed_spin.value()
    assert live.overlay.isVisible()
    assert live.overlay.image is not None
    assert live.overlay.image.pixelColor(0, 0).red() == seed % 256  # FakeEngine's colour
    # the live picture is no layer and no undo step; the 50 strokes are
    assert [layer for layer in window.document.layers] == layers_before
    assert window.undo.undo_label != undo_steps
    assert len(window.live.session.runner.queue) < 50


def test_keep_live_result_adds_an_undoable_result_layer(qtbot, window):
    live = window.live
    assert not live.keep_action.isEnabled()
    live.set_live(True)
    qtbot.waitUntil(lambda: live.session.result is not None and not live.session.updating,
                    timeout=WAIT_MS)
    assert live.keep_action.isEnabled()
    count = len(window.document.layers)
    live.keep_action.trigger()
    assert len(window.document.layers) == count + 1
    kept = window.document.layers[-1]
    assert kept.kind == "result"
    assert kept.request == live.session.result_request
    window.undo_actions.undo_step()
    assert len(window.document.layers) == count


def test_a_setting_change_asks_again_and_live_off_hides_the_picture(qtbot, window):
    live = window.live
    live.set_live(True)
    qtbot.waitUntil(lambda: live.session.result is not None and not live.session.updating,
                    timeout=WAIT_MS)
    window.generate_panel.prompt_edit.setPlainText("a red kite")
    qtbot.waitUntil(lambda: live.session.result_request.prompt == "a red kite"
                    and not live.session.updating, timeout=WAIT_MS)
    calls = len(window.runner.queue)
    live.submit_now()  # nothing changed: no new picture
    assert len(window.runner.queue) == calls
    assert not live.session.updating
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert not live.live
    assert not live.overlay.isVisible()
    assert not live.indicator.isVisible()
    window.generate_panel.prompt_edit.setPlainText("a blue kite")
    assert not live.scheduled  # off: a change asks for nothing
    live.flush()
    assert not live.session.updating


def test_a_failed_live_picture_shows_its_reason_in_the_indicator(qtbot, window):
    live = window.live
    window.generate_panel.steps_spin.setValue(4)
    window.generate_panel.prompt_edit.setPlainText("fail: the model file is gone")
    live.set_live(True)
    qtbot.waitUntil(lambda: "failed" in live.indicator.text(), timeout=WAIT_MS)
    assert live.indicator.text() == "Live: failed: the model file is gone"
    assert not live.overlay.isVisible()
    window.generate_panel.prompt_edit.setPlainText("a kite")  # the next change tries again
    qtbot.waitUntil(lambda: live.indicator.text() == "Live: up to date", timeout=WAIT_MS)
    assert live.overlay.isVisible()
