"""A start of the app that did not finish.

The app writes a small marker file when it starts and removes it once its window has shown. A
marker found at the next launch means that the last start stopped on its way, most often because
a plugin ended the process (a crash in native code cannot be caught), so the app offers safe
mode. Every error here is logged and let go: the marker never stops the app.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from t2ia_desktop.core.paths import data_dir

log = logging.getLogger(__name__)


def start_marker_path() -> Path:
    return data_dir() / "start-unfinished"


class StartMarker:
    """The marker file at ``path``: :meth:`write` at the start, :meth:`remove` once shown."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def left_over(self) -> bool:
        """Whether a start before this one did not finish."""
        return self.path.exists() or self.path.is_symlink()

    def write(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(f"pid {os.getpid()} started {time.strftime('%Y-%m-%d %H:%M:%S')}"
                                 "\n", encoding="utf-8")
        except OSError as error:
            log.warning("cannot write the start marker %s: %s", self.path, error)

    def remove(self) -> None:
        try:
            self.path.unlink(missing_ok=True)
        except OSError as error:  # a folder in its place, a read-only data folder
            log.warning("cannot remove the start marker %s: %s", self.path, error)
