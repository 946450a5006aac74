"""The recovery folder's format: what a session that did not end cleanly leaves, and what a
damaged one means. (The lock that tells a running session from a dead one is Qt's:
:mod:`t2ia_desktop.ui.window.autosave`.)

Each session has a folder under ``data_dir()/recovery`` holding::

    session.lock     the lock of the process that owns it
    document.t2ia    the unsaved work: an ordinary project (core.files.project), written
                     atomically; its manifest's ``recovery`` entry describes it:
                     {"name": "harbour.t2ia", "original": "/path/harbour.t2ia" or null,
                      "saved_at": seconds since the epoch}
    info.json        the same description as a file of its own, as earlier versions wrote it
                     (after the document); read only when the document carries none

The work and its description are one file, so a kill at any instant of an autosave leaves the
previous recovery or the new one. A folder with a document in it is work: it is offered
whatever state its description is in (missing, truncated, of the wrong type, with a timestamp
that is no time), described as well as can be, and only the artist's Restore or Discard
removes it. A folder that holds nothing but a lock, a description and the temporary files of
interrupted writes holds no work.

Nothing here raises on damaged files: each reader returns what it could read.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from t2ia_desktop.core.errors import T2IAError
from t2ia_desktop.core.files.archive import ArchiveReader
from t2ia_desktop.core.files.project import MANIFEST

DOCUMENT = "document.t2ia"
INFO = "info.json"
"""The description as a file of its own (written by earlier versions; read, never written)."""
LOCK = "session.lock"
MANIFEST_KEY = "recovery"
MAX_INFO_BYTES = 64 * 1024
MAX_NAME_LENGTH = 200
MAX_PATH_LENGTH = 4096
LATEST_TIME = 253_402_300_799.0
"""9999-12-31 23:59:59 UTC: a later timestamp is no time the work was written."""
UNKNOWN_TIME = "from an unknown time"


@dataclass(frozen=True)
class RecoveryInfo:
    """What the unsaved work in a session folder is, as far as its files tell.

    ``described``: a description was read (else name and file are unknown); ``saved_at``:
    seconds since the epoch, or None when no time is known; ``from_file_time``: that time is
    the document file's, its description having none that is a time.
    """

    name: str = "Untitled"
    original: Path | None = None
    saved_at: float | None = None
    described: bool = False
    from_file_time: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "original": str(self.original) if self.original else None,
                "saved_at": self.saved_at}

    def describe(self) -> str:
        """One line for the artist: what it is and when it was written."""
        when = format_time(self.saved_at)
        if not self.described:
            if when is None:
                return f"Unsaved work {UNKNOWN_TIME} (its description is missing or damaged)"
            return f"Unsaved work written {when} (its description is missing or damaged)"
        where = f" (its file: {self.original})" if self.original else " (never saved)"
        if when is None:
            return f"“{self.name}”{where}, {UNKNOWN_TIME}"
        written = "written" if self.from_file_time else "autosaved"
        return f"“{self.name}”{where}, {written} {when}"

    @property
    def sort_key(self) -> float:
        return self.saved_at if self.saved_at is not None else -math.inf


def info_from_json(data: Any) -> RecoveryInfo | None:
    """The description in ``data`` (a parsed JSON value), each field checked on its own: a
    field of the wrong type or range is unknown; None when ``data`` is no description."""
    if not isinstance(data, dict):
        return None
    original = _path(data.get("original"))
    name = _name(data.get("name")) or (_name(original.name) if original else None)
    return RecoveryInfo(name=name or "Untitled", original=original,
                        saved_at=timestamp(data.get("saved_at")), described=True)


def timestamp(value: Any) -> float | None:
    """``value`` as a time to show (seconds since the epoch), or None when it is none: not a
    number, not finite, before 1970 or after the year 9999."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        seconds = float(value)
    except OverflowError:  # an int of 400 digits
        return None
    return seconds if math.isfinite(seconds) and 0.0 < seconds <= LATEST_TIME else None


def format_time(seconds: float | None) -> str | None:
    """``seconds`` as local date and time, or None where the platform cannot show it."""
    if seconds is None:
        return None
    try:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))
    except (OverflowError, OSError, ValueError):
        return None


def _name(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    name = "".join(character for character in value if character.isprintable()).strip()
    if len(name) > MAX_NAME_LENGTH:
        name = name[:MAX_NAME_LENGTH - 1] + "…"
    return name or None


def _path(value: Any) -> Path | None:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_PATH_LENGTH or "\0" in value:
        return None
    return Path(value)


# -- reading a session folder -------------------------------------------------------------------

def read_info(folder: Path) -> RecoveryInfo:
    """The description of the work in ``folder``: the one its document carries, else the
    ``info.json`` beside it, else an unknown one; a missing time is the document file's."""
    info = (info_from_json(_embedded_description(folder / DOCUMENT))
            or info_from_json(_read_json_file(folder / INFO))
            or RecoveryInfo())
    if info.saved_at is None:
        file_time = _file_time(folder / DOCUMENT)
        if file_time is not None:
            info = RecoveryInfo(info.name, info.original, file_time, info.described,
                                from_file_time=True)
    return info


def _embedded_description(document: Path) -> Any:
    """The ``recovery`` entry of the document's manifest (None when it cannot be read)."""
    try:
        with ArchiveReader(document, "a t2ia project") as archive:
            manifest = json.loads(archive.text(MANIFEST, "manifest"))
    except (T2IAError, OSError, ValueError, RecursionError):
        return None
    return manifest.get(MANIFEST_KEY) if isinstance(manifest, dict) else None


def _read_json_file(path: Path) -> Any:
    """The JSON value in ``path`` (None when it is missing, not a plain file, too large, not
    UTF-8 or not JSON)."""
    try:
        if not path.is_file():
            return None
        with path.open("rb") as stream:
            data = stream.read(MAX_INFO_BYTES + 1)
        if len(data) > MAX_INFO_BYTES:
            return None
        return json.loads(data.decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return None


def _file_time(path: Path) -> float | None:
    try:
        return timestamp(path.stat().st_mtime)
    except OSError:
        return None


def holds_work(folder: Path) -> bool:
    """Whether ``folder`` has a document in it (in whatever state: the artist decides)."""
    return os.path.lexists(folder / DOCUMENT)


def holds_nothing_else(folder: Path) -> bool:
    """Whether every entry of ``folder`` is one a session writes besides its document (the
    lock, a description, the temporary files of interrupted writes): removing it loses no
    work. False when it cannot be listed."""
    try:
        names = [entry.name for entry in folder.iterdir()]
    except OSError:
        return False
    own = (LOCK, f"{LOCK}.rmlock", INFO)
    temporary = (f".{DOCUMENT}.", f".{INFO}.")
    return all(name in own or name.startswith(temporary) for name in names)
