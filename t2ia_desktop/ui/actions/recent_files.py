"""File → Open recent: the projects last opened or saved, kept in a small JSON file.

The list lives in ``recent.json`` under the app's data folder (``T2IA_HOME`` in tests). A file
that cannot be read is an empty list; one that cannot be written is logged and forgotten: a
list of recent files is never worth an error dialog.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

from t2ia_desktop.core.paths import data_dir

log = logging.getLogger(__name__)

LIMIT = 10
FILE_NAME = "recent.json"


class RecentFiles:
    """Paths, most recent first, at most :data:`LIMIT`; each change is written at once."""

    def __init__(self, path: Path | None = None, limit: int = LIMIT) -> None:
        self.path = path or data_dir() / FILE_NAME
        self.limit = limit

    def paths(self) -> list[Path]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        entries = data.get("recent") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            return []
        return [Path(entry) for entry in entries if isinstance(entry, str) and entry][
            : self.limit]

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
        temporary = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".recent.", dir=self.path.parent)
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.replace(temporary, self.path)
            temporary = None
        except OSError as error:
            log.warning("could not write the recent files list %s: %s", self.path, error)
        finally:
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)
