"""Detector-weight downloads on the command line: progress on stderr, Ctrl+C stops them.

``detect`` and ``generate`` call their detectors through :func:`fetching_weights`: a detector
that lacks weights raises ``WeightsMissing``; when the hub may be asked (offline mode is off)
the files are downloaded, with progress on stderr, and the detector runs again. Offline, the
error's message (which file, where to put it) is what the artist sees. Ctrl+C during a download
removes the partial file and exits with status 130.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO, TypeVar

from t2ia_desktop.core.conditions.registry import ConditionRegistry
from t2ia_desktop.core.errors import BadInput

T = TypeVar("T")


class StderrProgress:
    """Prints ``progress(done, total, file)`` reports: one updating line on a terminal, a line
    per tenth otherwise (logs stay short)."""

    def __init__(self, stream: TextIO | None = None, interval: float = 0.2) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.interval = interval
        self._started = time.monotonic()
        self._last = 0.0
        self._tenth = -1
        self._file = ""

    def __call__(self, done: int, total: int | None, name: str) -> None:
        now = time.monotonic()
        speed = done / max(now - self._started, 1e-6)
        amount = f"{done / 1e6:.1f} of {total / 1e6:.1f} MB" if total else f"{done / 1e6:.1f} MB"
        percent = f" ({100 * done // total} %)" if total else ""
        line = f"downloading {name or self._file}: {amount}{percent}, {speed / 1e6:.1f} MB/s"
        finished = total is not None and done >= total
        if self.tty:
            if finished or now - self._last >= self.interval:
                self._last = now
                end = "\n" if finished else ""
                print(f"\r{line}\x1b[K", end=end, file=self.stream, flush=True)
            return
        tenth = 10 * done // total if total else -1
        if name and name != self._file or tenth > self._tenth or finished:
            self._tenth = tenth
            print(line, file=self.stream, flush=True)
        self._file = name or self._file


def download(files: Sequence[str], annotators: Path | None = None,
             stream: TextIO | None = None) -> list[Any]:
    """Download detector weight ``files`` into the ``annotators`` folder (None: the app's own),
    telling it on stderr."""
    from t2ia_desktop.engine.model_store.downloads import download_annotator_weights
    from t2ia_desktop.engine.model_store.weights import annotators_folder

    out = stream or sys.stderr
    print(f"fetching {', '.join(files)} from lllyasviel/Annotators into "
          f"{annotators_folder(annotators)}", file=out, flush=True)
    return download_annotator_weights(files, annotators=annotators,
                                      progress=StderrProgress(out))


def fetching_weights(run: Callable[..., T], annotators: Path | None = None) -> Callable[..., T]:
    """``run`` (a detector call that takes ``annotators=``) reading the ``annotators`` folder,
    which downloads missing weights there once, then runs again."""

    def call(*args: Any, **kwargs: Any) -> T:
        from t2ia_desktop.engine.model_store import hub
        from t2ia_desktop.engine.model_store.weights import WeightsMissing

        kwargs["annotators"] = annotators
        try:
            return run(*args, **kwargs)
        except WeightsMissing as missing:
            if hub.offline():
                raise
            download(missing.files, annotators)
        return run(*args, **kwargs)

    return call


def files_for(name: str, registry: ConditionRegistry) -> tuple[str, ...]:
    """The weight files of a condition (``depth-midas``) or a detector (``midas``, ``pidinet``)."""
    from t2ia_desktop.engine.model_store.weights import WEIGHT_FILES

    if name in WEIGHT_FILES:
        return WEIGHT_FILES[name]
    if name == "sketch":  # its photo method: PiDiNet soft edges
        return WEIGHT_FILES["pidinet"]
    if name not in registry:
        known = ", ".join(dict.fromkeys([*registry.ids(), *WEIGHT_FILES]))
        raise BadInput(f"unknown condition or detector {name!r} (known: {known})")
    return registry.get(name).weight_files


def download_weights(names: Sequence[str], registry: ConditionRegistry,
                     annotators: Path | None = None) -> int:
    """``t2ia-desktop download-weights CONDITION...``: fetch what is missing into the
    ``annotators`` folder (None: the app's own), say where it is."""
    from t2ia_desktop.engine.model_store.weights import find_weights, missing_files

    groups = {name: files_for(name, registry) for name in names}  # all checked first
    for name, files in groups.items():
        if not files:
            print(f"{name}: its detector needs no weights")
            continue
        missing = missing_files(files, annotators)
        if missing:
            download(missing, annotators)
        print(f"{name}: {', '.join(files)} in {find_weights(files, annotators)}")
    return 0
