"""Keeps the queue file in step with the queue: whenever the pending jobs (or their order, or
the pause) change, they are written again, on a thread of their own.

The UI thread only takes a list of ``(request, state)`` pairs (requests are frozen, so the
writer may read them); hashing and encoding images and writing files happen on the writer
thread, the latest state wins when changes come faster than writes. The saved queue is read
back on that thread too (:meth:`QueueKeeper.read_saved`: reading 10 000 jobs takes a while),
and :class:`AddInTurns` queues many restored jobs a few milliseconds per turn of the event loop.

The queue file belongs to one instance of the app per data folder: the one holding the data
folder's instance lock (:mod:`t2ia_desktop.core.instance_lock`). Another instance
(``other_instance``) never reads, offers or writes it: it keeps its own pending jobs in a folder
of its own under ``queues/`` (:func:`own_queue_store`), locked while it runs. The owner offers
the jobs of such folders whose instance is gone with its own, and removes them once its queue
file holds what the artist chose.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from t2ia_desktop.core.errors import BadInput, T2IAError
from t2ia_desktop.core.files.state_file import set_aside
from t2ia_desktop.core.generation.jobs import Job, JobQueue
from t2ia_desktop.core.generation.queue_file import QueueStore, SavedQueue
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.core.instance_lock import InstanceLock, Owner

log = logging.getLogger(__name__)

Snapshot = tuple[list[tuple[GenerationRequest, str]], bool]
TURN_BUDGET_S = 0.025
"""UI-thread time per turn of the event loop for queueing restored jobs: 10 000 jobs come back
in about 20 turns here."""
MAX_TURNS = 40
"""Each turn queues at least this share of the jobs, however slow a loaded machine makes the
budget: every turn also lays out the queue panel and counts its jobs (time that grows with
the queue), so the number of turns is bounded to keep the whole restore linear."""


OWN_QUEUES = "queues"
"""Beside the queue folder: one folder per other instance that ran on the data folder."""
OWN_PREFIX = "instance-"


def own_queue_store(queue_folder: Path) -> tuple[QueueStore, InstanceLock]:
    """The queue store of an instance that does not own ``queue_folder`` (another one does): a
    folder of its own beside it, and the lock that marks it as in use until this one ends."""
    folder = queue_folder.parent / OWN_QUEUES / f"{OWN_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        log.warning("no queue folder of its own %s: %s", folder, error)
    lock = InstanceLock(folder / "instance.lock")
    lock.acquire()
    return QueueStore(folder), lock


def _left_by_gone_instances(root: Path) -> list[tuple[Path, InstanceLock]]:
    """The queue folders under ``root`` whose instance is gone, each locked now by this one."""
    try:
        folders = sorted(entry for entry in root.iterdir()
                         if entry.is_dir() and entry.name.startswith(OWN_PREFIX)
                         and "-unreadable-" not in entry.name)
    except OSError:
        return []
    found = []
    for folder in folders:
        lock = InstanceLock(folder / "instance.lock")
        if lock.acquire():
            found.append((folder, lock))
    return found


class QueueKeeper(QObject):
    """Writes ``queue``'s pending jobs through ``store`` once :meth:`start` is called (after the
    launch has offered the previous session's queue back, so that one is not overwritten)."""

    written = Signal()
    failed = Signal(str)  # a message for the artist
    saved_read = Signal(object)
    """What :meth:`read_saved` found: a SavedQueue, None (no file) or the BadInput that says
    why it cannot be read; emitted on the writer thread (slots run in their own thread)."""

    def __init__(self, queue: JobQueue, store: QueueStore, parent: QObject | None = None, *,
                 other_instance: Owner | None = None):
        super().__init__(parent)
        self.queue = queue
        self.store = store
        self.other_instance = other_instance
        """The live instance that owns the data folder's queue file, when it is not this one:
        ``store`` is then this instance's own (:func:`own_queue_store`) and nothing is read
        back at launch."""
        self._left: list[tuple[Path, InstanceLock]] = []  # gone instances' queues, offered
        self._last_write_ok = False
        self.writes = 0
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="t2ia-queue-file")
        self._lock = threading.Lock()
        self._latest: Snapshot | None = None
        self._future: Future | None = None
        self._scheduled = False
        self._key: object = None
        self._started = False
        # Changes in one turn of the event loop (a batch of 50 jobs queued) make one snapshot.
        self._coalesce = QTimer(self)
        self._coalesce.setSingleShot(True)
        self._coalesce.setInterval(0)
        self._coalesce.timeout.connect(self._snapshot)

    @property
    def started(self) -> bool:
        return self._started

    def read_saved(self) -> None:
        """Read the saved queue on the writer thread (before :meth:`start`); the result comes
        with :attr:`saved_read`."""
        if self.other_instance is not None:
            return
        self._executor.submit(self._read_saved)

    def _read_saved(self) -> None:
        try:
            found: Any = self.store.read()
        except BadInput as error:
            found = error
        except Exception as error:  # a read must never end the app: told as unreadable
            log.exception("queue file")
            found = BadInput(f"The saved queue {self.store.path} cannot be restored: "
                             f"{type(error).__name__}: {error}.")
        if not isinstance(found, BadInput):
            found = self._with_gone_instances(found)
        self.saved_read.emit(found)

    def _with_gone_instances(self, saved: SavedQueue | None) -> SavedQueue | None:
        """``saved`` with the jobs other instances left in their own folders and ended; their
        folders go once the queue file holds what the artist chose (:meth:`start`)."""
        requests = list(saved.requests) if saved else []
        paused, saved_at = (saved.paused, saved.saved_at) if saved else (False, 0.0)
        skipped = list(saved.skipped) if saved else []
        for folder, lock in _left_by_gone_instances(self.store.folder.parent / OWN_QUEUES):
            try:
                left = QueueStore(folder).read()
            except BadInput as error:
                lock.release()
                try:
                    log.warning("%s; kept in %s", error, set_aside(folder))
                except OSError:
                    log.warning("%s", error)
                continue
            self._left.append((folder, lock))
            if left is not None:
                requests += left.requests
                paused = paused or left.paused
                saved_at = max(saved_at, left.saved_at)
                skipped += left.skipped
        if saved is None and not self._left:
            return None
        return SavedQueue(requests, paused, saved_at, saved.running if saved else 0,
                          tuple(skipped))

    def _drop_gone_instances(self) -> None:
        """On the writer thread, after the first write: the queue file now holds the jobs of
        the gone instances' folders (or the artist discarded them): the folders go. Kept when
        that write failed, to be offered again."""
        left, self._left = self._left, []
        for folder, lock in left:
            if self._last_write_ok:
                shutil.rmtree(folder, ignore_errors=True)
            lock.release()

    def start(self) -> None:
        """Follow the queue from now on, writing its current state at once."""
        if self._started:
            return
        self._started = True
        for signal in (self.queue.job_added, self.queue.job_changed, self.queue.job_removed):
            signal.connect(self._on_change)
        self.queue.job_moved.connect(self._on_moved)
        self.queue.paused_changed.connect(self._on_paused)
        self._snapshot()
        if self._left:
            self._executor.submit(self._drop_gone_instances)  # after that first write

    def close(self) -> None:
        """Stop following the queue and finish the last write (on application exit)."""
        if self._coalesce.isActive():
            self._coalesce.stop()
            self._snapshot()
        if self._started:
            for signal in (self.queue.job_added, self.queue.job_changed,
                           self.queue.job_removed):
                signal.disconnect(self._on_change)
            self.queue.job_moved.disconnect(self._on_moved)
            self.queue.paused_changed.disconnect(self._on_paused)
            self._started = False
        self._executor.shutdown(wait=True)

    def wait(self, timeout: float = 30.0) -> None:
        """Block until the writes asked for so far are on disk (tests, benchmarks)."""
        if self._coalesce.isActive():
            self._coalesce.stop()
            self._snapshot()
        with self._lock:
            future = self._future
        if future is not None:
            future.result(timeout)

    # -- following the queue ------------------------------------------------------------------
    def _on_moved(self, _job: Job, _index: int) -> None:
        self._on_change()

    def _on_paused(self, _paused: bool) -> None:
        self._on_change()

    def _on_change(self, *_args: object) -> None:
        if not self._coalesce.isActive():
            self._coalesce.start()

    def _snapshot(self) -> None:
        pending = self.queue.pending()
        # Progress steps change no job's place or request: they need no write.
        key = (tuple((job.id, job.state) for job in pending), self.queue.paused)
        if key == self._key:
            return
        self._key = key
        snapshot = ([(job.request, job.state.value) for job in pending], self.queue.paused)
        with self._lock:
            self._latest = snapshot
            if not self._scheduled:
                self._scheduled = True
                self._future = self._executor.submit(self._write_latest)

    def _write_latest(self) -> None:
        while True:
            with self._lock:
                snapshot, self._latest = self._latest, None
                if snapshot is None:
                    self._scheduled = False  # the next change submits a new write
                    return
            jobs, paused = snapshot
            self._last_write_ok = False
            try:
                self.store.write(jobs, paused)
                self._last_write_ok = True
            except Exception as error:  # a failed write must not stop the next one
                if isinstance(error, (T2IAError, OSError)):
                    log.warning("queue file: %s", error)
                else:
                    log.exception("queue file")
                self.failed.emit(f"The queue could not be saved for the next launch: {error}")
            else:
                self.writes += 1
                self.written.emit()


class AddInTurns(QObject):
    """Calls ``add`` for each of ``items`` on the UI thread, for ``budget_s`` per turn of the
    event loop (at least 1/:data:`MAX_TURNS` of them each turn), so that restoring 10 000 jobs
    never holds the window long; :attr:`finished` comes after the last one. Call
    :meth:`start`."""

    finished = Signal()

    def __init__(self, items: Sequence[Any], add: Callable[[Any], None],
                 budget_s: float = TURN_BUDGET_S, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items = items
        self._add = add
        self._budget_s = budget_s
        self._next = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._turn)

    @property
    def done(self) -> bool:
        return self._next >= len(self._items)

    def start(self) -> None:
        self._turn()

    def _turn(self) -> None:
        ends = time.perf_counter() + self._budget_s
        items = self._items
        at_least = self._next + -(-len(items) // MAX_TURNS)
        while self._next < len(items):
            item = items[self._next]
            self._next += 1
            self._add(item)
            if self._next >= at_least and time.perf_counter() >= ends:
                break
        if self.done:
            self.finished.emit()
        else:
            self._timer.start()
