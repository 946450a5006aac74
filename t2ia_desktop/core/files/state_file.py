"""Reading the app's own state files so that a damaged one never stops the app.

Settings, the queue file, the history index and stars, the model list and the recent files are
small JSON files the app writes for itself. Each is read through :func:`read_json` (or
:func:`parse_json` for one line or one PNG text chunk), which refuses a file that is too large,
not UTF-8, not JSON or nested too deeply (a 100 000-deep ``[[[…]]]`` is refused with the others,
never a ``RecursionError``) with :class:`Unreadable`. Each reader then checks its own schema,
entry by entry where the file is a list, so one bad entry costs only that entry.

A file that cannot be used is set aside as ``NAME-unreadable-YYYYMMDD-HHMMSS`` next to it
(:func:`set_aside`: kept, never deleted) and :func:`unreadable_note` words the note the app shows
once: the next launch finds no damaged file to tell about. A file only some of whose entries
were skipped is copied aside the same way (:func:`keep_copy`) before the app writes it again.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MAX_BYTES = 4 * 1024 * 1024
"""The size a state file may have unless its reader says otherwise (they are a few KB)."""
MAX_DEPTH = 16
"""How deeply lists and objects may nest; the app's own files nest at most 5 levels."""
UNREADABLE = "unreadable"


class Unreadable(ValueError):
    """A state file, or an entry of one, that cannot be used; the message says why, as the end
    of a sentence that starts with the file ("… is not valid JSON")."""


def read_json(path: Path, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value in ``path``; ``None`` when there is no such file.

    Raises :class:`Unreadable` for a file that is a folder, cannot be read, is larger than
    ``max_bytes``, is not UTF-8 JSON, or nests deeper than ``max_depth``.
    """
    try:
        with open(path, "rb") as stream:
            data = stream.read(max_bytes + 1)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise Unreadable("is a folder, not a file") from None
    except OSError as error:
        raise Unreadable(f"cannot be read ({error.strerror or error})") from None
    if len(data) > max_bytes:
        raise Unreadable(f"is larger than {max_bytes // 1024} KB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable("is not UTF-8 text") from None
    value = parse_json(text, max_depth)
    if value is None:  # None means "no file" to the caller
        raise Unreadable("holds only null")
    return value


def parse_json(text: str, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value of ``text``; :class:`Unreadable` when it is not JSON or nests deeper
    than ``max_depth``."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise Unreadable(f"nests deeper than {max_depth} levels") from None
    except ValueError as error:  # JSONDecodeError, or a number of more than 4300 digits
        raise Unreadable(f"is not valid JSON ({str(error)[:80]})") from None
    # Fewer brackets than levels cannot nest too deeply: no walk (one history line each).
    if text.count("[") + text.count("{") > max_depth and _deeper_than(value, max_depth):
        raise Unreadable(f"nests deeper than {max_depth} levels")
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether lists and objects in ``value`` nest deeper than ``limit`` (without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, (dict, list)):
            continue
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, (dict, list)))
    return False


# -- checking values ------------------------------------------------------------------------

def whole_number(value: Any, low: int, high: int) -> bool:
    """Whether ``value`` is an int (not a bool) from ``low`` to ``high``."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def finite_number(value: Any, low: float, high: float) -> bool:
    """Whether ``value`` is an int or float (not a bool, NaN or infinite) in the range; a
    400-digit int is compared as it is (``math.isfinite`` would overflow on it)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return low <= value <= high


def check_version(data: dict, supported: int, what: str) -> int:
    """``data["version"]`` (1 when there is none); :class:`Unreadable` when it is not a whole
    number from 1 or is newer than ``supported``."""
    version = data.get("version", 1)
    if not whole_number(version, 1, 1_000_000):
        raise Unreadable(f"has a version that is not valid ({str(version)[:20]!r})")
    if version > supported:
        raise Unreadable(f"comes from a newer version of the app ({what} version {version}, "
                         f"this app reads {supported})")
    return version


# -- setting a file aside -------------------------------------------------------------------

def aside_path(path: Path) -> Path:
    """A free ``NAME-unreadable-YYYYMMDD-HHMMSS`` (``-2``, ``-3``… when taken) beside ``path``."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}-{UNREADABLE}-{stamp}")
    number = 1
    while os.path.lexists(target):
        number += 1
        target = path.with_name(f"{path.name}-{UNREADABLE}-{stamp}-{number}")
    return target


def set_aside(path: Path) -> Path:
    """Rename ``path`` (a file or a folder) out of the way, beside it; returns the new path.
    Raises ``OSError`` when it cannot be renamed."""
    target = aside_path(path)
    os.rename(path, target)
    return target


def keep_copy(path: Path) -> Path:
    """Copy ``path`` (a file or a folder) beside it under an unreadable name, for a file whose
    bad entries were skipped; returns the copy. Raises ``OSError`` when it cannot."""
    target = aside_path(path)
    if path.is_dir():
        shutil.copytree(path, target, symlinks=True)
    else:
        shutil.copy2(path, target)
    return target


def unreadable_note(path: Path, what: str, why: str, then: str = "", *,
                    copy: bool = False) -> str:
    """Set ``path`` aside (with ``copy``: keep a copy aside) and word the note that tells the
    artist so: ``what`` names the file ("The settings file"), ``why`` ends its sentence ("is
    not valid JSON") and ``then`` says what the app does instead ("the default settings are
    used")."""
    try:
        aside = keep_copy(path) if copy else set_aside(path)
    except FileNotFoundError:
        kept = "it was unreadable and was set aside"  # by another reader, a moment ago
    except OSError as error:
        kept = f"it was unreadable and stays where it is ({error.strerror or error})"
    else:
        kept = (f"a copy of it was kept as {aside.name}" if copy
                else f"it was unreadable and was set aside as {aside.name}")
    note = f"{what} {path} {why}: {kept}" + (f"; {then}." if then else ".")
    log.warning(note)
    return note
