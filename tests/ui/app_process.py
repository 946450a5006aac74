"""The app (a driver script around the real window) in a process of its own, for tests that
``kill -9`` it: its output is read line by line on a thread, so a test can wait for a line."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def start_driver(driver: Path, arguments: Sequence[str], home: Path,
                 environment: dict[str, str] | None = None,
                 ) -> tuple[subprocess.Popen, queue.Queue, threading.Thread]:
    """Run ``driver`` offscreen with ``home`` as T2IA_HOME (plus ``environment``).

    Returns the process, the queue its output lines arrive in (``None`` once it ended) and the
    thread reading them (join it after the process ended).
    """
    env = {**os.environ, "T2IA_HOME": str(home), "QT_QPA_PLATFORM": "offscreen",
           **(environment or {}), "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, str(driver), *arguments], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue = queue.Queue()

    def read() -> None:
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    reader = threading.Thread(target=read, name="driver-output")
    reader.start()
    return process, lines, reader


def wait_for(lines: queue.Queue, prefix: str, seen: list[str], timeout_s: float) -> str:
    """The rest of the first line starting with ``prefix``; every line read lands in ``seen``.

    Fails with the app's last lines if it ends first.
    """
    while True:
        line = lines.get(timeout=timeout_s)
        if line is None:
            raise AssertionError("the app ended first:\n" + "\n".join(seen[-40:]))
        seen.append(line)
        if line.startswith(prefix):
            return line[len(prefix):].strip()
