"""File → Open recent: the projects last opened or saved, kept in a small JSON file.

The list lives in ``recent.json`` under the app's data folder (``T2IA_HOME`` in tests). It is
read through the state file reader (:mod:`t2ia_desktop.core.files.state_file`): a file that is
not a list of recent files (not JSON, nested too deeply, too large) is set aside with a
:attr:`RecentFiles.note` and the list starts empty; an entry that is not a path is left out. A
file that cannot be written is logged and forgotten: a list of recent files is never worth an
error dialog.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from t2ia_desktop.core.files.atomic_file import atomic_write
from t2ia_desktop.core.files.state_file import Unreadable, read_json, unreadable_note
from t2ia_desktop.core.paths import data_dir

log = logging.getLogger(__name__)

LIMIT = 10
FILE_NAME = "recent.json"
MAX_BYTES = 256 * 1024
MAX_PATH = 4096


class RecentFiles:
    """Paths, most recent first, at most :data:`LIMIT`; each change is written at once."""

    def __init__(self, path: Path | None = None, limit: int = LIMIT) -> None:
        self.path = path or data_dir() / FILE_NAME
        self.limit = limit
        self.note = ""
        """What the artist should be told about the file, once ("" when it read back)."""

    def paths(self) -> list[Path]:
        try:
            data = read_json(self.path, max_bytes=MAX_BYTES)
            if data is None:
                return []
            entries = data.get("recent") if isinstance(data, dict) else None
            if not isinstance(entries, list):
                raise Unreadable("is not a list of recent files")
        except Unreadable as error:
            self.note = unreadable_note(self.path, "The list of recent files", str(error),
                                        "it starts again empty")
            return []
        return [Path(entry) for entry in entries if _is_path(entry)][: self.limit]

    def add(self, path: str | Path) -> None:
        """Put ``path`` first (once)."""
        path = Path(path).absolute()
        self._write([path, *(p for p in self.paths() if p != path)])

    def remove(self, path: str | Path) -> None:
        path = Path(path).absolute()
        self._write([p for p in self.paths() if p != path])

    def clear(self) -> None:
        self._write([])

    def _write(self, paths: list[Path]) -> None:
        text = json.dumps({"recent": [str(p) for p in paths[: self.limit]]}, indent=1)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_write(self.path, "w", encoding="utf-8") as stream:
                stream.write(text)
        except OSError as error:
            log.warning("could not write the recent files list %s: %s", self.path, error)


def _is_path(entry: object) -> bool:
    return isinstance(entry, str) and 0 < len(entry) <= MAX_PATH and "\0" not in entry
