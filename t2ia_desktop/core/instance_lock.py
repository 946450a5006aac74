"""One data folder, several running instances: which one owns the folder's shared state.

The first app instance to start on a data folder takes ``instance.lock`` in it with an OS lock
(``fcntl.flock`` on Linux and macOS, ``msvcrt.locking`` on Windows) and writes its process id
and start time into it. The operating system drops the lock when the process ends, however it
ends (``kill -9`` too), so a lock is never left stuck: a file without a live holder is simply
taken by the next instance. The holder owns the saved queue (it offers it back and writes it);
an instance that finds the lock held by another one leaves that queue alone.

Nothing here raises: a folder where no lock file can be made (read-only, and no instance ever
made one) belongs to whoever starts there, since no other instance can hold a lock in it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from t2ia_desktop.core.paths import data_dir

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

LOCK_NAME = "instance.lock"
WINDOWS_LOCK_OFFSET = 1 << 20
"""Windows locks bytes: the one locked lies far past the owner's description, which the other
instances must still be able to read."""
MAX_OWNER_BYTES = 4096


def instance_lock_path(folder: Path | None = None) -> Path:
    return (folder or data_dir()) / LOCK_NAME


@dataclass(frozen=True)
class Owner:
    """The instance holding the lock, as far as its file tells (its fields may be unknown)."""

    pid: int | None = None
    started: float | None = None

    def describe(self) -> str:
        """"process 1234, started 2026-12-07 08:12" (what is known of it)."""
        parts = []
        if self.pid is not None:
            parts.append(f"process {self.pid}")
        if self.started is not None:
            with contextlib.suppress(OverflowError, OSError, ValueError):
                when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.started))
                parts.append(f"started {when}")
        return ", ".join(parts)


class InstanceLock:
    """The lock file at ``path``: :meth:`acquire` once at start; held until :meth:`release` or
    the end of the process (keep the object alive as long as the app runs)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or instance_lock_path()
        self._descriptor: int | None = None
        self.held = False
        """This process owns the data folder's shared state (it holds the lock, or no lock
        can be made there)."""

    def acquire(self) -> bool:
        """Take the lock if no live instance holds it; whether this process now owns the
        folder's shared state."""
        if self._descriptor is not None:
            return True
        descriptor = _open(self.path)
        if descriptor is None:  # no lock file and none can be made: no one else holds one
            self.held = True
            return True
        if not _try_lock(descriptor):
            os.close(descriptor)
            self.held = False
            return False
        self._descriptor = descriptor
        self.held = True
        _describe_self(descriptor)
        return True

    def owner(self) -> Owner:
        """Who holds the lock, as its file says (unknown fields when it cannot be read)."""
        return read_owner(self.path)

    def release(self) -> None:
        descriptor, self._descriptor = self._descriptor, None
        self.held = False
        if descriptor is None:
            return
        with contextlib.suppress(OSError):
            _unlock(descriptor)
        with contextlib.suppress(OSError):
            os.close(descriptor)

    def __del__(self) -> None:  # pragma: no cover - the process's end releases it anyway
        self.release()


def read_owner(path: Path) -> Owner:
    try:
        with path.open("rb") as stream:
            data = json.loads(stream.read(MAX_OWNER_BYTES).rstrip(b"\0 \n").decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return Owner()
    if not isinstance(data, dict):
        return Owner()
    pid, started = data.get("pid"), data.get("started")
    pid = pid if isinstance(pid, int) and not isinstance(pid, bool) and pid > 0 else None
    started = (float(started) if isinstance(started, (int, float))
               and not isinstance(started, bool) and 0 < started < 1e11 else None)
    return Owner(pid, started)


# -- the platform's lock ----------------------------------------------------------------------

def _open(path: Path) -> int | None:
    """A descriptor of the lock file, made if needed; None where it neither exists nor can be
    made. A file that exists but cannot be written is opened to read (a read-only folder)."""
    flags = getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | flags, 0o644)
    except OSError as error:
        log.info("instance lock %s: %s", path, error)
    try:
        return os.open(path, os.O_RDONLY | flags)
    except OSError:
        return None


def _try_lock(descriptor: int) -> bool:
    if fcntl is None:  # pragma: no cover - Windows
        import msvcrt

        try:
            os.lseek(descriptor, WINDOWS_LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
        except OSError:  # held by another process
            return False
        return True
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as error:  # a file system without locks: nobody else can lock it either
        log.info("instance lock: %s", error)
    return True


def _unlock(descriptor: int) -> None:
    if fcntl is not None:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
    else:  # pragma: no cover - Windows
        import msvcrt

        os.lseek(descriptor, WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(descriptor, msvcrt.LK_UNLCK, 1)


def _describe_self(descriptor: int) -> None:
    """Write this process's id and start time at the start of the held lock file."""
    text = json.dumps({"pid": os.getpid(), "started": time.time()}).encode("utf-8") + b"\n"
    try:
        os.lseek(descriptor, 0, os.SEEK_SET)
        os.write(descriptor, text)
        os.ftruncate(descriptor, len(text))
    except OSError:  # opened to read only: the lock still holds, unnamed
        pass
