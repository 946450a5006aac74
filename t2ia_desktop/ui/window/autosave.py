"""Autosave and crash recovery: unsaved work is written to a recovery folder, and the next launch
after a crash offers it back.

Each running window has a *session* folder under ``data_dir()/recovery`` holding a lock file
(``QLockFile``: the folder of a process that died, even by ``kill -9``, can be locked again) and,
once there are unsaved changes, ``document.t2ia``: an ordinary project, written atomically, that
carries its own description (name, file, when), so a kill at any instant leaves the previous
recovery or the new one (the folder's format: :mod:`t2ia_desktop.core.files.recovery`). Unsaved
changes are written at most ``interval`` seconds after they happen: the pixels are copied on the
UI thread, which is quick, and compressed and written on a thread of their own, so painting
never waits. A save, a "Don't save" or a clean exit removes the files; a session folder whose
owner is gone and that holds a document is offered at the next launch, whatever state its
description is in, and only the artist's Restore or Discard removes it. In a data folder that
cannot be written the work is still offered; it stays there, and the message says so.
"""

from __future__ import annotations

import copy
import logging
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLockFile, QObject, QTimer, Signal

from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.core.document.selection import adopt_selection, document_selection
from t2ia_desktop.core.errors import T2IAError
from t2ia_desktop.core.files.project import load_project, save_project
from t2ia_desktop.core.files.recovery import (
    DOCUMENT,
    INFO,
    LOCK,
    RecoveryInfo,
    holds_nothing_else,
    holds_work,
    read_info,
)
from t2ia_desktop.core.generation.settings import GenerationSettings
from t2ia_desktop.core.paths import data_dir
from t2ia_desktop.session.session import Session
from t2ia_desktop.ui.actions.projects import ProjectFiles
from t2ia_desktop.ui.canvas.view import CanvasView

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 30.0
INTERVAL_ENV = "T2IA_AUTOSAVE_SECONDS"
"""Overrides the interval (seconds), e.g. for the crash-recovery test."""
STROKE_RETRY_MS = 500
"""A stroke being painted is not copied half-way: the autosave waits for it this long."""
UNREADABLE_LOCK_S = 10.0
"""A lock file Qt cannot read (empty, damaged, a folder) older than this belongs to no running
session: Qt writes a lock's content the instant it creates it."""


def recovery_root() -> Path:
    return data_dir() / "recovery"


def interval_from_environment(default: float = DEFAULT_INTERVAL_S) -> float:
    """The autosave interval: ``T2IA_AUTOSAVE_SECONDS`` when set to a positive number."""
    text = os.environ.get(INTERVAL_ENV, "")
    try:
        value = float(text)
    except ValueError:
        return default
    return value if value > 0 else default


def copy_document(document: Document) -> Document:
    """A copy of ``document`` whose pixels the painter can no longer change (for a writer on
    another thread); ids, settings and requests are kept."""
    copied = Document(document.width, document.height)
    for layer in document.layers:
        copied.layers.append(Layer(
            layer.name, layer.kind, layer.pixels.copy(), visible=layer.visible,
            opacity=layer.opacity, request=layer.request,  # frozen: shared safely
            condition=copy.deepcopy(layer.condition), id=layer.id,
            blend_mode=layer.blend_mode, locked=layer.locked,
        ))
        copied.layers[-1].revision = layer.revision  # the same pixels: encoded bytes reuse
    if document.active is not None:
        copied.active = copied.layer_by_id(document.active.id)
    copied.custom_area = document.custom_area  # frozen: shared safely
    selection = document_selection(document)
    adopt_selection(copied, None if selection.is_empty() else selection.mask)  # copies it
    return copied


@dataclass
class Recovery:
    """Unsaved work left by a session that did not end cleanly. ``lock`` is held by this
    process, or None where the session's lock could not be taken over (a data folder that
    cannot be written): such work can be restored, but its folder cannot be cleaned up."""

    folder: Path
    lock: QLockFile | None
    info: RecoveryInfo

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def original(self) -> Path | None:
        return self.info.original

    @property
    def document_path(self) -> Path:
        return self.folder / DOCUMENT

    def describe(self) -> str:
        return self.info.describe()

    def discard(self) -> bool:
        """Remove it (the artist's Discard); False when its folder could not be removed."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self.release()
        return not os.path.lexists(self.folder)

    def release(self) -> None:
        """Leave it for another launch."""
        if self.lock is not None:
            self.lock.unlock()


def find_recoveries(root: Path | None = None) -> list[Recovery]:
    """Sessions whose process is gone and that left a document, newest first; a folder that
    holds nothing else is removed. Each one found is locked by this process, where it can be,
    until it is restored, discarded or released. Damaged files never raise."""
    root = root or recovery_root()
    try:
        folders = [folder for folder in root.iterdir() if folder.is_dir()]
    except OSError:
        return []
    found = [recovery for recovery in map(_recovery_in, folders) if recovery is not None]
    found.sort(key=lambda recovery: recovery.info.sort_key, reverse=True)
    return found


def _recovery_in(folder: Path) -> Recovery | None:
    """The work a dead session left in ``folder``; None for a running session's folder, or
    one without a document (removed when nothing but the session's own files is in it)."""
    lock, owner_gone = claim_session(folder)
    if not owner_gone:
        return None  # a running window's session
    if holds_work(folder):
        return Recovery(folder, lock, read_info(folder))
    if lock is not None:
        if holds_nothing_else(folder):
            shutil.rmtree(folder, ignore_errors=True)  # a clean session, or nothing written
        lock.unlock()
    return None


def claim_session(folder: Path) -> tuple[QLockFile | None, bool]:
    """Take the lock of the session in ``folder``: (the lock, held now, or None where it
    cannot be taken; whether the session's process is gone)."""
    path = folder / LOCK
    lock = QLockFile(str(path))
    lock.setStaleLockTime(0)  # stale only when its process is gone, however long it ran
    if lock.tryLock(0):
        return lock, True
    if lock.getLockInfo()[0]:  # a lock Qt reads, and did not take over
        return None, _process_gone(path)  # gone: the folder cannot be written
    if not _older_than(path, UNREADABLE_LOCK_S):
        return None, False  # being written this instant
    try:
        path.unlink()  # no running session writes such a lock
    except OSError:
        return None, True  # a read-only folder, or a folder where the lock should be
    return (lock, True) if lock.tryLock(0) else (None, True)


def _process_gone(lock_path: Path) -> bool:
    """Whether the process that wrote the lock ``lock_path`` is gone, asked of Qt on a copy in a
    temporary folder (Qt takes a lock over only when its process is gone; the original's
    folder may not be writable)."""
    try:
        with tempfile.TemporaryDirectory(prefix="t2ia-lock-") as scratch:
            copied = Path(scratch) / LOCK
            shutil.copyfile(lock_path, copied)
            probe = QLockFile(str(copied))
            probe.setStaleLockTime(0)
            gone = probe.tryLock(0)
            if gone:
                probe.unlock()
            return gone
    except OSError:
        return False


def _older_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.lstat().st_mtime > seconds
    except OSError:
        return True  # gone meanwhile, or unreadable: nothing a running session holds


class Autosaver(QObject):
    """Writes the unsaved work of ``files`` (the document of ``session`` and
    ``generation_settings``) to its session folder, at most ``interval_s`` seconds after each
    change; :meth:`finish` (a clean close) removes it. A stroke being painted on ``canvas`` is
    waited for."""

    written = Signal(object)  # Path of the recovery project, once written
    failed = Signal(str)
    """A message for the artist, once when autosave stops working (not at each failed write:
    a data folder that cannot be written fails every time); again only after it recovered."""
    recovered = Signal(str)  # a message for the artist: autosave works again
    _done = Signal(object, str)  # from the writer thread: (path or None, error)

    def __init__(self, session: Session, generation_settings: GenerationSettings,
                 files: ProjectFiles, canvas: CanvasView, interval_s: float = DEFAULT_INTERVAL_S,
                 root: Path | None = None) -> None:
        super().__init__(files)
        self.session = session
        self.generation_settings = generation_settings
        self.files = files
        self.canvas = canvas
        self.root = root or recovery_root()
        self.folder = self.root / f"session-{uuid.uuid4().hex[:12]}"
        self._lock: QLockFile | None = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="t2ia-autosave")
        self._busy = False
        self._again = False
        self._closed = False
        self._has_files = False
        self.failing = False
        """The last write failed (the artist was told once)."""
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(max(1, round(interval_s * 1000)))
        self.timer.timeout.connect(self.save_now)
        self._done.connect(self._on_done)
        self._take_folder(self.folder)
        files.state_changed.connect(self._on_state_changed)
        files.replaced.connect(self._on_state_changed)

    @property
    def document_path(self) -> Path:
        return self.folder / DOCUMENT

    def set_interval(self, interval_s: float) -> None:
        """Write unsaved work at most ``interval_s`` seconds after it changes (Settings)."""
        self.timer.setInterval(max(1, round(interval_s * 1000)))

    def _take_folder(self, folder: Path) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            log.warning("no recovery folder %s: %s", folder, error)
            return
        lock = QLockFile(str(folder / LOCK))
        lock.setStaleLockTime(0)
        if lock.tryLock(0):
            self._lock = lock

    def adopt(self, recovery: Recovery) -> None:
        """Continue in a restored recovery's folder (it stays until this session saves)."""
        self._remove_own_folder()
        if self._lock is not None:
            self._lock.unlock()
        self.folder = recovery.folder
        self._lock = recovery.lock
        self._has_files = True

    # -- when to write --------------------------------------------------------------------------
    def _on_state_changed(self) -> None:
        if self._closed:
            return
        if self.files.is_dirty():
            if not self.timer.isActive() and not self._busy:
                self.timer.start()
            elif self._busy:
                self._again = True
        else:  # saved, undone back to the saved state, or a fresh document
            self.timer.stop()
            self._again = False
            self._discard_files()

    def save_now(self) -> None:
        """Write the unsaved work now (the timer calls it)."""
        if self._closed or not self.files.is_dirty():
            return
        if self._busy:
            self._again = True
            return
        if self.canvas.stroking:
            self.timer.start(STROKE_RETRY_MS)
            return
        files = self.files
        document = copy_document(self.session.document)  # the only work on the UI thread
        settings = self.generation_settings.to_dict()
        info = RecoveryInfo(files.name, files.path, time.time(), described=True).to_json()
        self._busy = True
        self._has_files = True
        self._executor.submit(self._write, self.folder, document, settings, info)

    def _write(self, folder: Path, document: Document, settings: dict[str, Any],
               info: dict[str, Any]) -> None:
        """On the writer thread."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
            # one file, the description inside: a kill leaves the old one or the new one
            save_project(document, folder / DOCUMENT, settings, recovery=info)
            (folder / INFO).unlink(missing_ok=True)  # an earlier version's, in a restored one
        except (T2IAError, OSError) as error:
            self._done.emit(None, str(error))
        except Exception as error:  # an autosave must never end the app
            log.exception("autosave failed")
            self._done.emit(None, f"{type(error).__name__}: {error}")
        else:
            self._done.emit(folder / DOCUMENT, "")

    def _on_done(self, path: Path | None, error: str) -> None:
        self._busy = False
        if path is None:
            log.warning("autosave failed: %s", error)
            if not self.failing:
                self.failing = True
                self.failed.emit(failure_message(error, self.folder))
        else:
            if self.failing:
                self.failing = False
                self.recovered.emit("Autosave works again: your unsaved work is protected "
                                    "against a crash.")
            self.written.emit(path)
        if self._again and not self._closed:
            self._again = False
            self.timer.start()

    # -- removing -------------------------------------------------------------------------------
    def _discard_files(self) -> None:
        if self._has_files:
            self._has_files = False
            # on the writer thread, after any write in flight: it cannot bring them back
            self._executor.submit(self._remove_files, self.folder)

    @staticmethod
    def _remove_files(folder: Path) -> None:
        for name in (DOCUMENT, INFO):  # the document holds the description
            (folder / name).unlink(missing_ok=True)

    def _remove_own_folder(self) -> None:
        self._executor.submit(shutil.rmtree, self.folder, True)

    def finish(self) -> None:
        """A clean end (the window closes after Save or Don't save): the writer thread
        finishes, and the session's folder goes."""
        if self._closed:
            return
        self._closed = True
        self.timer.stop()
        self._executor.submit(shutil.rmtree, self.folder, True)
        self._executor.shutdown(wait=True)
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None

    def wait(self) -> None:
        """Block until the writes asked for so far are done (tests)."""
        self._executor.submit(lambda: None).result()


def failure_message(error: str, folder: Path) -> str:
    """What the artist is told once when autosave stops working, and what to do."""
    return (f"Autosave failed: {error}. Your unsaved work is not protected against a crash "
            f"until it can write to {folder.parent}: free some space or make that folder "
            "writable, and save your work (File → Save as…) in a folder you can write. "
            "(Said once; autosave keeps trying.)")


def load_recovery(recovery: Recovery) -> tuple[Document, dict[str, Any]]:
    """The recovered document and settings; a damaged recovery raises ``BadInput``."""
    return load_project(recovery.document_path)


def offer_recovery(files: ProjectFiles, autosaver: Autosaver | None,
                   say: Callable[[str], None]) -> bool:
    """At launch: offer the unsaved work crashed sessions left, newest first, to ``files``
    (which asks and restores; ``autosaver``, when autosave is on, carries on in the restored
    one's folder); True when one was restored, and ``say`` tells it. A declined one is
    deleted; one that cannot be read is kept (its folder is named) and told; the others wait
    for the next launch."""
    restored = False
    for recovery in find_recoveries(autosaver.root if autosaver is not None else None):
        if restored:
            recovery.release()  # one at a time
            continue
        restored = _offer(recovery, files, autosaver, say)
    return restored


def _offer(recovery: Recovery, files: ProjectFiles, autosaver: Autosaver | None,
           say: Callable[[str], None]) -> bool:
    """Ask about one recovery and do what the artist chose; True when it was restored."""
    if not files.ask_restore(recovery.describe()):
        if not recovery.discard():
            say(f"The unsaved work you discarded could not be removed from {recovery.folder}; "
                "it will be offered again at the next launch.")
        return False
    try:
        document, settings = load_recovery(recovery)
    except (T2IAError, OSError, MemoryError) as error:
        recovery.release()
        files.show_error("Cannot restore the unsaved work",
                         f"{error}\n\nIt is kept in {recovery.folder}.")
        return False
    files.restore(document, settings, recovery.name, recovery.original)
    text = f"Restored {recovery.describe()}. Save it to keep it."
    if recovery.lock is None:  # not ours to clean up: a folder that cannot be written
        text += (f" Its recovery folder {recovery.folder} could not be cleaned up, so it will "
                 "be offered again at the next launch; save it in a folder you can write "
                 "(File → Save as…).")
    elif autosaver is not None:
        autosaver.adopt(recovery)  # its files stay until this session saves
    else:
        recovery.discard()
    say(text)
    return True
