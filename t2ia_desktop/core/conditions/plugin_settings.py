"""Which plugins the artist turned off: ``plugins.json`` in the data folder.

``{"version": 1, "disabled": ["plugin-id", …]}``. The file is read through a validating loader:
a file that is not UTF-8 JSON, not of this shape, nested too deeply, too big, a folder or
unreadable gives :attr:`PluginState.unreadable` (why) and never raises. Its list of disabled
plugins is then unknown, so it must not turn plugins back on that the artist turned off: the
host sets the file aside (:func:`set_aside`, kept as ``plugins-unreadable-DATE.json``) and
keeps every plugin but the bundled ones off until the artist turns them on again.

One bad entry of the list (a number among the ids) is skipped on its own. A file of a newer
version is read as long as its ``disabled`` list is: it keeps its meaning across versions.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.files.atomic_file import atomic_write

log = logging.getLogger(__name__)

VERSION = 1
MAX_BYTES = 1_000_000
MAX_ENTRIES = 10_000
MAX_ID_LENGTH = 200


@dataclass(frozen=True)
class PluginState:
    """The plugins turned off; ``unreadable`` says why the file could not be read ("" when it
    could, or when there is none)."""

    disabled: frozenset[str] = frozenset()
    unreadable: str = ""


def parse_plugin_state(data: bytes) -> frozenset[str]:
    """The disabled plugin ids in a ``plugins.json``'s bytes; :class:`BadInput` says why not."""
    if len(data) > MAX_BYTES:
        raise BadInput(f"it is larger than {MAX_BYTES // 1_000_000} MB")
    try:
        content = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadInput("it is not UTF-8 text") from None
    except RecursionError:
        raise BadInput("it is nested too deeply") from None
    except ValueError as error:
        raise BadInput(f"it is not valid JSON ({error})") from None
    if not isinstance(content, dict):
        raise BadInput(f"it holds a JSON {type(content).__name__}, not an object")
    version = content.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise BadInput(f"its version is {version!r}, not a whole number from 1")
    disabled = content.get("disabled")
    if not isinstance(disabled, list):
        raise BadInput(f"its \"disabled\" is {type(disabled).__name__}, not a list of plugin ids")
    if len(disabled) > MAX_ENTRIES:
        raise BadInput(f"it lists {len(disabled)} plugins, more than {MAX_ENTRIES}")
    found = set()
    for entry in disabled:
        if isinstance(entry, str) and 0 < len(entry) <= MAX_ID_LENGTH:
            found.add(entry)
        else:  # one bad entry: skipped on its own, the others still count
            log.warning("plugins.json: skipping %.80r among the disabled plugins", entry)
    return frozenset(found)


def read_plugin_state(path: Path) -> PluginState:
    """What ``path`` says; no file: nothing is turned off. Never raises."""
    try:
        if not path.exists() and not path.is_symlink():
            return PluginState()
        with path.open("rb") as stream:
            data = stream.read(MAX_BYTES + 1)
        return PluginState(parse_plugin_state(data))
    except BadInput as problem:
        return PluginState(unreadable=str(problem))
    except OSError as error:
        return PluginState(unreadable=f"it cannot be read: {error.strerror or error}")


def set_aside(path: Path) -> Path:
    """Rename ``path`` (a file or whatever is in its place) to ``NAME-unreadable-DATE.json``
    beside it: kept for the artist, never deleted. Returns the new path; raises OSError."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}-unreadable-{stamp}{path.suffix}")
    number = 1
    while target.exists() or target.is_symlink():
        number += 1
        target = path.with_name(f"{path.stem}-unreadable-{stamp}-{number}{path.suffix}")
    path.rename(target)
    return target


def write_plugin_state(path: Path, disabled: Iterable[str]) -> None:
    """Write the disabled plugin ids atomically (the old file stays whole if this fails)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"version": VERSION, "disabled": sorted(set(disabled))}, indent=2)
    with atomic_write(path, "w", encoding="utf-8") as stream:
        stream.write(text + "\n")
