"""Cyclic garbage is collected on the UI thread, never on a worker thread."""

from __future__ import annotations

import gc
import threading
from typing import ClassVar

from t2ia_desktop.runtime.gc_guard import UiThreadGarbageCollector


class _Cycle:
    freed_on: ClassVar[list[str]] = []

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        _Cycle.freed_on.append(threading.current_thread().name)


def test_a_worker_thread_that_allocates_never_runs_the_collector(qtbot):
    guard = UiThreadGarbageCollector()  # the session's guard is on already; this one too
    try:
        assert not gc.isenabled()
        _Cycle.freed_on.clear()
        _Cycle()  # unreachable at once, freed only by a cyclic collection

        kept: list[list] = []

        def allocate() -> None:  # crosses every threshold, and keeps the count up afterwards
            kept.extend([] for _ in range(50 * gc.get_threshold()[0]))

        worker = threading.Thread(target=allocate, name="worker")
        worker.start()
        worker.join()
        assert _Cycle.freed_on == []  # the worker did not collect
        qtbot.waitUntil(lambda: _Cycle.freed_on == [threading.main_thread().name], timeout=5000)
        kept.clear()
    finally:
        guard.stop()
        guard.deleteLater()


def test_check_runs_the_generation_the_interpreter_would_run(qtbot):
    guard = UiThreadGarbageCollector(interval_ms=60_000)
    try:
        gc.collect()
        assert guard.check() == -1  # nothing to do right after a full collection
        junk = [[] for _ in range(gc.get_threshold()[0] + 10)]
        assert guard.check() >= 0
        del junk
    finally:
        guard.stop()


def test_stop_gives_collection_back_when_it_was_on(qtbot):
    gc.enable()
    guard = UiThreadGarbageCollector()
    assert not gc.isenabled()
    guard.stop()
    assert gc.isenabled()
    gc.disable()  # the session guard keeps it off for the rest of the run


def test_full_collections_are_rate_limited_and_frozen_objects_are_skipped(qtbot, monkeypatch):
    from t2ia_desktop.runtime import gc_guard

    guard = UiThreadGarbageCollector(interval_ms=60_000)
    try:
        guard.freeze_long_lived()
        assert gc.get_freeze_count() > 0  # what was alive is out of the collector's sight
        runs: list[int] = []
        monkeypatch.setattr(gc_guard.gc, "collect", lambda generation=2: runs.append(generation))
        monkeypatch.setattr(gc_guard.gc, "get_count", lambda: (10**6, 10**6, 10**6))
        assert guard.check() == 1  # a full collection ran moments ago: a middle one instead
        monkeypatch.setattr(gc_guard.time, "monotonic",
                            lambda: guard._last_full + gc_guard.FULL_COLLECTION_SECONDS)
        assert guard.check() == 2
        assert runs == [1, 2]
    finally:
        guard.stop()
        gc.unfreeze()
