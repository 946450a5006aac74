"""Downloads on a thread of their own, reported to the UI as Qt signals.

A :class:`DownloadTask` runs one download (a list of files) on its own :class:`QThread`, so
neither the window nor a generation waits for it; its signals arrive on the UI thread.
:class:`WeightDownloads` is the app's service for detector weights: what is missing, where it
goes, whether the hub can be asked at all, and a ``downloaded`` signal once files arrived.
The engine is imported inside the calls (no torch is involved: only the standard library and
huggingface_hub's cache lookup), so the window still opens before the engine loads.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal

from t2ia_desktop.core.errors import Cancelled, T2IAError
from t2ia_desktop.core.settings import current_annotators_root

log = logging.getLogger(__name__)

#: ``download(files, progress=..., cancel=...)``: the engine's download of detector weights.
Download = Callable[..., list[Any]]

#: Progress signals at most this often: a fast disk would otherwise flood the UI thread.
PROGRESS_INTERVAL_S = 0.05


class DownloadTask(QThread):
    """One download of ``files``; :meth:`cancel` stops it between two chunks."""

    progress = Signal(object, object, str)  # bytes done, bytes total (None: unknown), file
    succeeded = Signal(object)  # the files' paths
    failed = Signal(str)  # a message for the artist
    cancelled = Signal()

    def __init__(self, files: Sequence[str], download: Download,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("t2ia-download")
        self.files = tuple(files)
        self._download = download
        self._cancel = threading.Event()
        self._last = 0.0

    def cancel(self) -> None:
        self._cancel.set()

    def _report(self, done: int, total: int | None, name: str) -> None:
        now = time.monotonic()
        if now - self._last >= PROGRESS_INTERVAL_S or (total is not None and done >= total):
            self._last = now
            self.progress.emit(done, total, name)

    def run(self) -> None:
        try:
            paths = self._download(self.files, progress=self._report, cancel=self._cancel)
        except Cancelled:
            self.cancelled.emit()
        except T2IAError as error:
            self.failed.emit(str(error))
        except Exception as error:  # a bug in the download ends this download only
            log.exception("download of %s failed", ", ".join(self.files))
            self.failed.emit(f"The download failed: {type(error).__name__}: {error}")
        else:
            self.succeeded.emit(paths)


class WeightDownloads(QObject):
    """The app's detector-weight downloads: one at a time, with ``downloaded`` when done."""

    downloaded = Signal(tuple)  # the file names that arrived
    started = Signal(object)  # the DownloadTask

    def __init__(self, download: Download | None = None, parent: QObject | None = None, *,
                 annotators: Callable[[], Path | None] = current_annotators_root) -> None:
        """``download`` fetches files (default: detector weights into the annotators folder);
        ``annotators()`` is the chosen annotators folder (the app passes its settings store's
        ``annotators_root``; by default the settings file is read)."""
        super().__init__(parent)
        self._annotators = annotators
        self._download = download or self._download_weights
        self.task: DownloadTask | None = None

    def _download_weights(self, files: Sequence[str], **kwargs: Any) -> list[Any]:
        from t2ia_desktop.engine.model_store.downloads import download_annotator_weights

        return download_annotator_weights(files, annotators=self._annotators(), **kwargs)

    # -- what the UI asks before offering a download ----------------------------------------
    def missing(self, files: Sequence[str]) -> dict[str, int | None]:
        """The files to fetch (and their approximate sizes) so that all of ``files`` are here."""
        from t2ia_desktop.engine.model_store.weights import APPROXIMATE_SIZES, missing_files

        return {f: APPROXIMATE_SIZES.get(f)
                for f in missing_files(tuple(files), self._annotators())}

    def offline(self) -> bool:
        """Offline mode is on: the hub is not asked at all."""
        from t2ia_desktop.engine.model_store import hub

        return hub.offline()

    def folder(self) -> str:
        """Where downloads land (and where to put files by hand)."""
        from t2ia_desktop.engine.model_store.weights import annotators_folder

        return str(annotators_folder(self._annotators()))

    def source_url(self) -> str:
        from t2ia_desktop.engine.model_store.weights import ANNOTATORS_URL

        return ANNOTATORS_URL

    # -- downloading ------------------------------------------------------------------------
    def is_running(self) -> bool:
        """A download is started (its thread may begin at the next turn of the event loop)."""
        return self.task is not None and not self.task.isFinished()

    def start(self, files: Sequence[str]) -> DownloadTask:
        """Start downloading ``files``; connect to the task's signals before the event loop
        runs again. Its thread begins at the next turn of the loop: a download that fails at
        once (offline, a bad name) never reports before its listeners are connected."""
        if self.is_running():
            raise T2IAError("A download is already running: wait for it or cancel it first.")
        task = DownloadTask(files, self._download, self)
        task.succeeded.connect(lambda _paths: self.downloaded.emit(task.files))
        task.finished.connect(lambda: self._finished(task))
        self.task = task
        QTimer.singleShot(0, task.start)
        self.started.emit(task)
        return task

    def _finished(self, task: DownloadTask) -> None:
        if self.task is task:
            self.task = None
        task.deleteLater()

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Cancel a running download and wait for its thread (the app is closing)."""
        task = self.task
        if task is not None:
            task.cancel()
            task.wait(timeout_ms)
