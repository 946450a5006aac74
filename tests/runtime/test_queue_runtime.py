"""The runner follows the steered queue (order, pause), and the keeper keeps the queue file in
step with it on its own thread — the real worker and runner, a fake engine at the boundary."""

from __future__ import annotations

import threading

import pytest

from t2ia_desktop.core.generation.jobs import JobState
from t2ia_desktop.core.generation.queue_file import QueueStore
from t2ia_desktop.runtime.queue_keeper import QueueKeeper
from tests.runtime.rig import request

WAIT_MS = 10_000  # an upper bound for a slow machine, never a timing assertion


def test_a_reordered_queue_runs_in_its_new_order(qtbot, gated_rig):
    rig = gated_rig
    held, *waiting = (rig.runner.submit(request(seed=seed)) for seed in range(4))
    assert held.state is JobState.RUNNING
    rig.queue.move(waiting[2], 1)  # seed 3 before seeds 1 and 2
    assert rig.queue.move_to_top(waiting[1])  # seed 2 first of all
    rig.engine.gate.set()
    qtbot.waitUntil(lambda: all(job.state is JobState.DONE for job in waiting), timeout=WAIT_MS)
    assert [call.seed for call in rig.engine.calls] == [0, 2, 3, 1]


def test_pause_lets_the_running_job_finish_and_starts_none_until_resumed(qtbot, gated_rig):
    rig = gated_rig
    running, waiting = rig.runner.submit(request(seed=1)), rig.runner.submit(request(seed=2))
    rig.runner.set_paused(True)
    with qtbot.waitSignal(rig.runner.job_finished, timeout=WAIT_MS):
        rig.engine.gate.set()
    assert running.state is JobState.DONE  # the running job finished
    qtbot.wait(50)  # time enough for a wrongly started job to show
    assert waiting.state is JobState.QUEUED
    assert len(rig.engine.calls) == 1
    later = rig.runner.submit(request(seed=3))  # a new job does not start either
    assert later.state is JobState.QUEUED
    with qtbot.waitSignal(rig.runner.job_finished, timeout=WAIT_MS,
                          check_params_cb=lambda job: job is later):
        rig.runner.set_paused(False)
    assert [call.seed for call in rig.engine.calls] == [1, 2, 3]


def test_the_keeper_writes_pending_jobs_on_changes_not_on_steps(qtbot, gated_rig, tmp_path):
    rig = gated_rig
    store = QueueStore(tmp_path / "queue")
    keeper = QueueKeeper(rig.queue, store)
    threads: list[str] = []
    real_write = store.write

    def write(jobs, paused=False):
        threads.append(threading.current_thread().name)
        real_write(jobs, paused)

    store.write = write
    try:
        first = rig.runner.submit(request(seed=1, steps=5))
        second = rig.runner.submit(request(seed=2, steps=5))
        assert not store.exists()  # nothing is written before start()
        keeper.start()
        keeper.wait()
        saved = store.read()
        assert [r.seed for r in saved.requests] == [1, 2]
        assert saved.running == 1
        rig.queue.set_paused(True)
        keeper.wait()
        assert store.read().paused
        writes = keeper.writes
        with qtbot.waitSignal(rig.runner.job_finished, timeout=WAIT_MS):
            rig.engine.gate.set()  # five progress steps, then done
        keeper.wait()
        assert keeper.writes == writes + 1  # steps changed nothing worth writing; done did
        assert [r.seed for r in store.read().requests] == [2]
        rig.queue.cancel(second)
        keeper.wait()
        assert not store.exists()  # nothing pending: no file to offer
        assert threads
        assert all(name.startswith("t2ia-queue-file") for name in threads)
        assert first.state is JobState.DONE
    finally:
        keeper.close()


def test_the_saved_queue_is_read_on_the_keepers_thread(qtbot, gated_rig, tmp_path):
    """Reading 10 000 jobs takes a while: it happens on the keeper's thread, never the UI's,
    and the result comes back to the UI thread."""
    from t2ia_desktop.core.generation.queue_file import SavedQueue

    store = QueueStore(tmp_path / "queue")
    store.write([(request(seed=seed), "queued") for seed in (1, 2)], paused=True)
    keeper = QueueKeeper(gated_rig.queue, store)
    threads: list[threading.Thread] = []
    real_read = store.read
    store.read = lambda: threads.append(threading.current_thread()) or real_read()
    try:
        with qtbot.waitSignal(keeper.saved_read, timeout=WAIT_MS) as found:
            keeper.read_saved()
            assert not threads or threads[0] is not threading.main_thread()
        (thread,) = threads
        assert thread is not threading.main_thread()
        assert isinstance(found.args[0], SavedQueue)
        assert [each.seed for each in found.args[0].requests] == [1, 2]
    finally:
        keeper.close()


def test_many_restored_jobs_are_queued_a_few_per_turn_of_the_event_loop(qtbot):
    """A timer of the window fires between the turns that queue restored jobs (with no time
    budget, one job per turn): the window answers while they come back."""
    from PySide6.QtCore import QTimer

    from t2ia_desktop.runtime.queue_keeper import AddInTurns

    happened: list[str] = []
    adding = AddInTurns(list(range(5)), lambda item: happened.append(f"add {item}"),
                        budget_s=0.0)
    ticker = QTimer()
    ticker.setInterval(0)
    ticker.timeout.connect(lambda: happened.append("tick"))
    ticker.start()
    with qtbot.waitSignal(adding.finished, timeout=WAIT_MS):
        adding.start()
        assert happened == ["add 0"]  # the rest in later turns
    ticker.stop()
    added = [each for each in happened if each.startswith("add")]
    assert added == [f"add {item}" for item in range(5)]
    between = happened[happened.index("add 0"):happened.index("add 4")]
    assert "tick" in between
    assert adding.done


def test_a_second_instance_keeps_its_jobs_apart_and_the_owner_offers_them_once_it_ended(
        qtbot, gated_rig, tmp_path):
    """The keeper of a second instance never reads or writes the owner's queue file: it keeps
    its own jobs in a folder of its own, locked while it runs; once it ended, the owner's next
    read offers them with its own, and its folder goes after the owner's file holds them."""
    from t2ia_desktop.core.instance_lock import Owner
    from t2ia_desktop.runtime.queue_keeper import own_queue_store

    main = QueueStore(tmp_path / "queue")
    main.write([(request(seed=7), "queued")])
    before = main.path.read_bytes()
    own, own_lock = own_queue_store(main.folder)
    second = QueueKeeper(gated_rig.queue, own, other_instance=Owner(pid=4242))
    second.saved_read.connect(lambda _found: pytest.fail("read the first one's queue"))
    second.read_saved()
    second.start()
    gated_rig.queue.set_paused(True)
    gated_rig.runner.submit(request(seed=8))
    second.wait()
    assert main.path.read_bytes() == before
    assert [r.seed for r in own.read().requests] == [8]

    from t2ia_desktop.core.generation.jobs import JobQueue

    owner = QueueKeeper(JobQueue(), main)
    with qtbot.waitSignal(owner.saved_read, timeout=WAIT_MS) as found:
        owner.read_saved()  # the second one still runs: its jobs are not offered
    assert [r.seed for r in found.args[0].requests] == [7]
    second.close()
    own_lock.release()  # the second instance ended
    with qtbot.waitSignal(owner.saved_read, timeout=WAIT_MS) as found:
        owner.read_saved()
    assert [r.seed for r in found.args[0].requests] == [7, 8]
    assert own.folder.is_dir()  # kept until the owner's file holds them
    owner.queue.set_paused(True)
    for each in found.args[0].requests:
        owner.queue.add(each)
    owner.start()
    owner.wait()
    owner.close()
    assert [r.seed for r in main.read().requests] == [7, 8]
    assert not own.folder.exists()
