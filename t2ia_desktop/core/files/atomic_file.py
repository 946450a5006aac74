"""Writing a file atomically: into a temporary file beside it, flushed to disk, then renamed
over it, so that a crash or a failed write leaves the old file (or none), never half a file.

- A path that is a symbolic link is written through: its target gets the new content and the
  link stays a link (the folder it points into sees the new version).
- The new file has ordinary permissions: an existing file keeps its own, a new one gets what
  the umask allows (0644 for the usual 022), as a file made with ``open()`` would — not the
  0600 of a bare :func:`tempfile.mkstemp`.
- A temporary file is named ``.NAME.t2ia-XXXXXXXX.tmp`` and locked while it is written. One
  left behind by a killed save (possibly as large as the whole project) is removed at the next
  save of NAME, and by :func:`remove_stale_temporaries` at launch; one still being written (by
  this or another instance) is never touched.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

try:  # POSIX: a temporary file being written holds an advisory lock
    import fcntl
except ImportError:  # Windows: a file open in another process cannot be deleted anyway
    fcntl = None  # type: ignore[assignment]

MARK = "t2ia-"
"""Between the target's name and the random part of the app's temporary files."""
STALE_AFTER_S = 60.0
"""A temporary file untouched for this long and not locked is a leftover of a killed write.
The age also covers the instant between creating a temporary file and locking it."""

_RANDOM = r"[a-z0-9_]{8}"  # tempfile.mkstemp's random part
_OURS = re.compile(rf"^\.(?P<name>.+)\.{MARK}{_RANDOM}\.tmp$")
_EARLIER = re.compile(rf"^\.(?P<name>.+)\.{_RANDOM}\.tmp$")
"""The naming before the mark (``.NAME.XXXXXXXX.tmp``): recognised only for a NAME asked for
or present in the folder, or for a project (``.NAME.t2ia.*.tmp``)."""


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK_AT_START = _read_umask()  # at import: changing the umask briefly is not thread-safe


def current_umask() -> int:
    """The process's umask (read from /proc where it can be, without changing it)."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status",
                                                         errors="replace") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return _UMASK_AT_START


def write_target(path: str | Path) -> Path:
    """The file a write to ``path`` changes: the target of a symbolic link, else ``path``."""
    target = Path(path)
    if target.is_symlink():
        return Path(os.path.realpath(target))
    return target


@contextmanager
def atomic_write(path: str | Path, mode: str = "wb", *, encoding: str | None = None,
                 suffix: str = ".tmp") -> Iterator[IO[Any]]:
    """The stream to write ``path``'s new content to; it replaces ``path`` when the block ends
    well. On any error the temporary file is removed and the error goes on (an ``OSError``
    for a folder in the way, a missing or read-only folder, a full disk).

    ``suffix`` is accepted for older callers; every temporary file ends in ``.tmp``."""
    del suffix
    target = write_target(path)
    if target.is_dir():  # found now, not after the whole content is written
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(target))
    folder = target.parent
    remove_stale_temporaries(folder, names=(target.name,))
    permissions = _permissions_for(target)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.{MARK}", suffix=".tmp",
                                         dir=folder)
    try:
        with os.fdopen(handle, mode, encoding=encoding) as stream:
            _lock(stream.fileno())
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
            _set_permissions(stream.fileno(), temporary, permissions)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_folder(folder)


def _permissions_for(target: Path) -> int:
    """An existing file's own permissions; for a new file, what the umask leaves of 0666."""
    with contextlib.suppress(OSError):
        if target.is_file():
            return target.stat().st_mode & 0o7777
    return 0o666 & ~current_umask()


def _set_permissions(descriptor: int, name: str, permissions: int) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(descriptor, permissions)
    else:  # Windows keeps only the read-only bit
        os.chmod(name, permissions)


def _lock(descriptor: int) -> None:
    if fcntl is not None:
        with contextlib.suppress(OSError):  # a file system without locks: the age still guards
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable where the platform allows it (not on Windows)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)


# -- leftovers of killed writes ---------------------------------------------------------------

def temporary_target(name: str, beside: Iterable[str] = ()) -> str | None:
    """The name of the file that ``name`` is a temporary file for, if it is one of the app's
    own naming: marked ones always; those of the earlier naming for a file of ``beside`` or a
    project."""
    ours = _OURS.match(name)
    if ours is not None:
        return ours.group("name")
    earlier = _EARLIER.match(name)
    if earlier is None:
        return None
    target = earlier.group("name")
    return target if target in beside or target.endswith(".t2ia") else None


def remove_stale_temporaries(folder: str | Path, names: Iterable[str] | None = None,
                             older_than_s: float = STALE_AFTER_S) -> list[Path]:
    """Remove the leftovers of killed writes in ``folder`` (only those for ``names`` when
    given): temporary files of the app's own naming, untouched for ``older_than_s`` seconds and
    not being written. Never raises; returns what was removed."""
    try:
        entries = [entry for entry in os.scandir(folder) if entry.name.startswith(".")]
        present = set(os.listdir(folder)) if names is None else set(names)
    except OSError:
        return []
    removed = []
    limit = time.time() - older_than_s
    for entry in entries:
        target = temporary_target(entry.name, present)
        if target is None or target not in present and names is not None:
            continue
        with contextlib.suppress(OSError):
            if (entry.is_file(follow_symlinks=False)
                    and entry.stat(follow_symlinks=False).st_mtime <= limit
                    and _remove_unless_in_use(Path(entry.path))):
                removed.append(Path(entry.path))
    return removed


def remove_stale_temporaries_under(root: str | Path, depth: int = 2) -> list[Path]:
    """:func:`remove_stale_temporaries` in ``root`` and its folders ``depth`` levels down
    (links not followed): at launch, for the app's own data folder."""
    removed = remove_stale_temporaries(root)
    if depth <= 0:
        return removed
    try:
        folders = [entry.path for entry in os.scandir(root) if entry.is_dir(follow_symlinks=False)]
    except OSError:
        return removed
    for folder in folders:
        removed += remove_stale_temporaries_under(folder, depth - 1)
    return removed


def _remove_unless_in_use(path: Path) -> bool:
    """Delete ``path`` unless a writer holds it (its lock on POSIX; open, on Windows)."""
    if fcntl is None:
        try:
            path.unlink()
        except OSError:
            return False
        return True
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # being written right now
        except OSError:
            pass  # no locks on this file system: its age decides
        path.unlink()
        return True
    finally:
        os.close(descriptor)
