"""The queue panel in the window: artists reorder (drag, Move to top), cancel (Del), pause,
retry, batch and clear jobs; the real worker and runner run them on the fake engine."""

from __future__ import annotations

import threading

from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from t2ia_desktop.core.generation.jobs import Job, JobState
from t2ia_desktop.ui.queue.panel import PAUSED_TEXT, QueuePanel
from t2ia_desktop.ui.window.main_window import MainWindow
from tests.builders import pixel_centre
from tests.ui.helpers import ask_for_batch, drag, finish_pending, run_until


def queue_jobs(window: MainWindow, *prompts: str) -> list[Job]:
    jobs = []
    for prompt in prompts:
        window.generate_panel.prompt_edit.setPlainText(prompt)
        jobs.append(window.generate())
    return jobs


def shown_order(panel: QueuePanel) -> list[Job]:
    widget = panel.list_widget
    return [panel.queue.get(widget.item(row).data(Qt.ItemDataRole.UserRole))
            for row in range(widget.count())]


def drag_row(panel: QueuePanel, job: Job, onto: Job, upper: bool = True) -> bool:
    """Drag ``job``'s row and drop it on the upper (or lower) half of ``onto``'s row, as the
    mouse would (QDrag's own loop cannot run headless, so its events are sent here)."""
    widget = panel.list_widget
    source = widget.item(panel.queue.index(job))
    target = widget.visualItemRect(widget.item(panel.queue.index(onto)))
    point = QPoint(target.center().x(), target.top() + 3 if upper else target.bottom() - 3)
    data = widget.mimeData([source])
    move, left = Qt.DropAction.MoveAction, Qt.MouseButton.LeftButton
    none = Qt.KeyboardModifier.NoModifier
    viewport = widget.viewport()
    enter = QDragEnterEvent(point, move, data, left, none)
    QApplication.sendEvent(viewport, enter)
    if not enter.isAccepted():
        return False
    QApplication.sendEvent(viewport, QDragMoveEvent(point, move, data, left, none))
    drop = QDropEvent(QPointF(point), move, data, left, none)
    QApplication.sendEvent(viewport, drop)
    return drop.isAccepted()


def select(panel: QueuePanel, job: Job) -> None:
    panel.select(job)
    assert panel.selected_job() is job


def menu_entry(panel: QueuePanel, text: str):
    (action,) = [a for a in panel.context_menu().actions() if a.text() == text]
    return action


def test_dragging_a_waiting_job_reorders_the_run(window, loop, engine, runner):
    engine.gate = threading.Event()  # the first job holds at its first step
    held, one, two, three = queue_jobs(window, "held", "one", "two", "three")
    panel = window.queue_panel
    assert shown_order(panel) == [held, one, two, three]  # the list shows the run order

    assert drag_row(panel, three, onto=one)  # dropped above "one"
    assert list(runner.queue) == [held, three, one, two]
    assert shown_order(panel) == [held, three, one, two]
    assert panel.selected_job() is three
    assert drag_row(panel, one, onto=two, upper=False)  # dropped below "two"
    assert shown_order(panel) == [held, three, two, one]
    # a running job cannot be dragged: its row offers no drag
    held_item = panel.list_widget.item(0)
    assert not held_item.flags() & Qt.ItemFlag.ItemIsDragEnabled
    assert panel.list_widget.item(1).flags() & Qt.ItemFlag.ItemIsDragEnabled

    engine.gate.set()
    finish_pending(loop, window)
    assert [call.prompt for call in engine.calls] == ["held", "three", "two", "one"]
    assert [layer.request.prompt for layer in window.document.layers[1:]] == [
        "held", "three", "two", "one"]


def test_move_to_top_by_menu_button_and_keyboard(qtbot, window, loop, engine, runner):
    engine.gate = threading.Event()
    held, one, two, three = queue_jobs(window, "held", "one", "two", "three")
    panel = window.queue_panel
    select(panel, held)
    assert not menu_entry(panel, "Move to top").isEnabled()  # it runs already
    select(panel, three)
    assert panel.top_button.isEnabled()
    menu_entry(panel, "Move to top").trigger()
    assert runner.queue.next_queued() is three
    select(panel, two)
    qtbot.mouseClick(panel.top_button, Qt.MouseButton.LeftButton)
    assert shown_order(panel) == [held, two, three, one]
    select(panel, one)
    panel.list_widget.setFocus()
    qtbot.keyClick(panel.list_widget, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    assert shown_order(panel) == [held, one, two, three]
    engine.gate.set()
    finish_pending(loop, window)
    assert [call.prompt for call in engine.calls] == ["held", "one", "two", "three"]


def test_delete_cancels_the_selected_job_queued_or_running(qtbot, window, loop, engine,
                                                           runner):
    engine.gate = threading.Event()
    running, queued, kept = queue_jobs(window, "running", "queued", "kept")
    panel = window.queue_panel
    layers_before = len(window.document.layers)
    panel.list_widget.setFocus()
    select(panel, queued)
    qtbot.keyClick(panel.list_widget, Qt.Key.Key_Delete)
    assert queued.state is JobState.CANCELLED
    assert len(window.document.layers) == layers_before  # Del did not delete a layer
    select(panel, running)
    qtbot.keyClick(panel.list_widget, Qt.Key.Key_Delete)
    assert panel.row_for(running).state_label.text() == "Cancelling…"
    assert not menu_entry(panel, "Cancel").isEnabled()  # asked already
    run_until(loop, runner, lambda: running.state is JobState.CANCELLED)  # within a step
    engine.gate.set()
    finish_pending(loop, window)
    assert kept.state is JobState.DONE
    assert [call.prompt for call in engine.calls] == ["running", "kept"]


def test_pause_finishes_the_running_job_and_resume_goes_on(qtbot, window, loop, engine,
                                                           runner):
    engine.gate = threading.Event()
    running, waiting = queue_jobs(window, "running", "waiting")
    panel = window.queue_panel
    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    assert runner.queue.paused
    assert panel.paused_label.isVisibleTo(panel)
    assert panel.paused_label.text() == PAUSED_TEXT
    assert panel.pause_button.text() == "Resume"
    assert panel.pause_button.isChecked()
    assert "queue paused" in window.job_status.job_label.text()
    assert menu_entry(panel, "Resume queue").isChecked()
    engine.gate.set()
    run_until(loop, runner, lambda: running.state is JobState.DONE)
    assert waiting.state is JobState.QUEUED
    assert len(engine.calls) == 1
    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)  # Resume
    assert not panel.paused_label.isVisibleTo(panel)
    assert panel.pause_button.text() == "Pause"
    finish_pending(loop, window)
    assert waiting.state is JobState.DONE
    assert [layer.request.prompt for layer in window.document.layers[1:]] == [
        "running", "waiting"]


def test_retry_queues_the_same_request_and_its_picture_arrives(qtbot, window, loop, engine,
                                                              runner):
    engine.gate = threading.Event()
    (cancelled,) = queue_jobs(window, "a harbour at dusk")
    runner.cancel(cancelled)
    run_until(loop, runner, lambda: cancelled.state is JobState.CANCELLED)
    engine.gate.set()
    panel = window.queue_panel
    row = panel.row_for(cancelled)
    assert row.retry_button.isVisibleTo(row)
    assert row.cancel_button.isHidden()
    qtbot.mouseClick(row.retry_button, Qt.MouseButton.LeftButton)
    again = list(runner.queue)[-1]
    assert again is not cancelled
    assert again.request is cancelled.request
    finish_pending(loop, window)
    assert again.state is JobState.DONE
    assert window.document.layers[-1].request is cancelled.request  # delivered as a layer

    (failed,) = queue_jobs(window, "fail: the adapter weights are missing")
    finish_pending(loop, window)
    select(panel, failed)
    assert panel.retry_button.isEnabled()
    menu_entry(panel, "Retry").trigger()
    assert list(runner.queue)[-1].request is failed.request
    finish_pending(loop, window)

    qtbot.mouseClick(panel.clear_button, Qt.MouseButton.LeftButton)  # Clear finished
    assert len(runner.queue) == 0
    assert panel.rows == {}
    assert panel.list_widget.count() == 0
    assert panel.empty_label.isVisibleTo(panel)


def test_batch_queues_n_jobs_with_seeds_counting_up(window, loop, engine, runner):
    panel = window.generate_panel
    ask_for_batch(window, "variations", 500, 3)
    first = window.generate()
    finish_pending(loop, window)
    assert first.request.seed == 500
    assert [call.seed for call in engine.calls] == [500, 501, 502]
    results = [layer for layer in window.document.layers if layer.kind == "result"]
    assert [layer.request.seed for layer in results] == [500, 501, 502]

    panel.new_seed_check.setChecked(True)  # a random s, then s+1, s+2
    panel.batch_spin.setValue(3)
    window.generate()
    finish_pending(loop, window)
    seeds = [call.seed for call in engine.calls[3:]]
    assert seeds == [seeds[0], seeds[0] + 1, seeds[0] + 2]
    assert panel.seed_spin.value() == seeds[0]


def test_a_row_shows_controls_step_preview_and_result(qtbot, window, loop, engine, runner):
    # ink on the sketch
    drag(window.canvas, [pixel_centre(window.canvas, x, 60) for x in (20, 90, 160)])
    engine.gate = threading.Event()
    (job,) = queue_jobs(window, "with a sketch")
    row = window.queue_panel.row_for(job)
    (thumb,) = row.control_labels
    assert not thumb.pixmap().isNull()
    assert "sketch" in thumb.toolTip()
    assert row.preview_label.text() == "…"  # no picture yet
    preview = Image.new("RGB", (32, 24), (200, 20, 20))
    runner.queue.mark_progress(job, 1, job.request.steps, preview=preview)
    shown = row.preview_label.pixmap().toImage()
    assert shown.pixelColor(shown.width() // 2, shown.height() // 2).red() == 200
    engine.gate.set()
    finish_pending(loop, window)
    shown = row.preview_label.pixmap().toImage()
    colour = shown.pixelColor(shown.width() // 2, shown.height() // 2)
    assert (colour.red(), colour.green()) == (job.request.seed % 256, 128)  # the result


def test_the_progress_bar_tells_the_time_left(window, runner, engine):
    engine.gate = threading.Event()
    (job,) = queue_jobs(window, "slow")
    row = window.queue_panel.row_for(job)
    job.first_step, job.first_step_at = 1, 10.0
    runner.queue.mark_progress(job, 1, 30)
    assert row.progress_bar.text() == "1/30"
    job.first_step_at -= 4.0  # as if 4 s went by for step 1 → 3 (2 s a step)
    runner.queue.mark_progress(job, 3, 30)
    assert row.progress_bar.text() == "3/30 · 54 s left"
    engine.gate.set()
