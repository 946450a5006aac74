"""Live detector previews: debounced, latest request wins, on a detector thread of their own.

Detectors run on their own thread rather than on the generation worker, so a preview never waits
behind a 30-step generation, and a generation never waits for a preview. Per condition layer
there is at most one run in flight and one pending request; a newer request replaces the pending
one, and a burst of changes within the debounce interval becomes a single run.

A plugin's detector runs on a helper thread of its own, with a time limit (engine/
plugin_detector.py): one that raises (SystemExit included) or hangs is its layer's error, and the
detector thread goes on with the other layers. When the app quits, the detector thread stops
waiting for a plugin's detector after a short grace and ends; the detector is abandoned.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image
from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from t2ia_desktop.core.conditions.plugin_guard import abandon_when
from t2ia_desktop.core.conditions.registry import ConditionRegistry, default_registry
from t2ia_desktop.core.errors import T2IAError
from t2ia_desktop.core.settings import current_annotators_root

log = logging.getLogger(__name__)

Detect = Callable[[str, Image.Image, dict[str, Any]], Image.Image]
DetectFactory = Callable[[], Detect]

#: Weightless detectors answer in tens of milliseconds: a short debounce keeps them live.
FAST_DETECTORS = frozenset({"sketch", "canny", "color"})
FAST_DEBOUNCE_MS = 40
DEBOUNCE_MS = 150


def registry_detect_factory(
    registry: ConditionRegistry | None = None,
    annotators: Callable[[], Path | None] = current_annotators_root,
) -> DetectFactory:
    """The engine's detectors, each condition looked up in ``registry`` (the built-in
    conditions when None) and the weights in the folder ``annotators()`` gives, at every run
    (the app passes its store's ``annotators_root``; by default the settings file is read).
    The engine is imported when the factory is called, inside the detector thread (torch
    loads there)."""

    def build() -> Detect:
        from t2ia_desktop.engine.detectors import detect

        conditions = registry if registry is not None else default_registry()
        return lambda condition, image, params: detect(conditions.get(condition), image, params,
                                                       annotators())

    return build


@dataclass
class PreviewJob:
    layer_id: str
    ticket: int
    condition: str
    image: Image.Image = field(repr=False)
    params: dict[str, Any]


class _DetectorExecutor(QObject):
    done = Signal(str, int, object)  # layer id, ticket, control image
    failed = Signal(str, int, str)  # layer id, ticket, message for the artist
    needs_weights = Signal(str, int, object)  # layer id, ticket, weight files to download

    def __init__(self, factory: DetectFactory) -> None:
        super().__init__()
        self._factory = factory
        self._detect: Detect | None = None
        self.quitting = threading.Event()
        """Set when the app quits: waits for a plugin's detector end soon after."""

    @Slot(object)
    def run(self, job: PreviewJob) -> None:
        try:
            if self._detect is None:
                self._detect = self._factory()
            with abandon_when(self.quitting):
                image = self._detect(job.condition, job.image, job.params)
        except T2IAError as error:
            files = getattr(error, "files", None)  # the engine's WeightsMissing
            if files:
                self.needs_weights.emit(job.layer_id, job.ticket, tuple(files))
            self.failed.emit(job.layer_id, job.ticket, str(error))
        except MemoryError:
            self.failed.emit(job.layer_id, job.ticket,
                             "Out of memory in the detector: lower its detect resolution.")
        except (Exception, SystemExit, KeyboardInterrupt) as error:  # this preview's end only
            log.error("detector %s failed", job.condition, exc_info=error)
            self.failed.emit(job.layer_id, job.ticket,
                             f"{type(error).__name__}: {error}".strip().rstrip(":"))
        else:
            self.done.emit(job.layer_id, job.ticket, image)


class PreviewScheduler(QObject):
    """Schedules detector runs per layer; results arrive as signals on the UI thread."""

    preview_ready = Signal(str, object)  # layer id, control image
    preview_failed = Signal(str, str)  # layer id, message
    busy_changed = Signal(str, bool)  # layer id, whether a run is pending or in flight
    weights_missing = Signal(str, object)  # layer id, the weight files its detector lacks

    _submit = Signal(object)

    def __init__(self, detect_factory: DetectFactory | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("t2ia-detect")
        self._executor = _DetectorExecutor(detect_factory or registry_detect_factory())
        self._executor.moveToThread(self._thread)
        self._submit.connect(self._executor.run)
        self._executor.done.connect(self._on_done)
        self._executor.failed.connect(self._on_failed)
        self._executor.needs_weights.connect(self._on_needs_weights)
        self._thread.start()
        self._pending: dict[str, tuple[str, dict[str, Any], Callable[[], Image.Image]]] = {}
        self._timers: dict[str, QTimer] = {}
        self._running: dict[str, int] = {}
        self._tickets = 0
        self.runs: Counter[str] = Counter()  # detector runs started per layer
        self.missing_weights: dict[str, tuple[str, ...]] = {}  # layer id → files to download

    def schedule(self, layer_id: str, condition: str, params: dict[str, Any],
                 source: Callable[[], Image.Image], delay_ms: int | None = None) -> None:
        """Ask for a preview; ``source`` is called on the UI thread when the run starts."""
        self._pending[layer_id] = (condition, dict(params), source)
        if delay_ms is None:
            delay_ms = FAST_DEBOUNCE_MS if condition in FAST_DETECTORS else DEBOUNCE_MS
        timer = self._timers.get(layer_id)
        if timer is None:
            timer = QTimer(self)
            timer.setSingleShot(True)
            timer.timeout.connect(lambda: self._dispatch(layer_id))
            self._timers[layer_id] = timer
        timer.start(delay_ms)  # restarting it is the debounce
        self.busy_changed.emit(layer_id, True)

    def flush(self) -> None:
        """Start every pending run now (tests, and "Re-detect")."""
        for layer_id, timer in list(self._timers.items()):
            if timer.isActive():
                timer.stop()
                self._dispatch(layer_id)

    def forget(self, layer_id: str) -> None:
        """Drop a layer's pending request and ignore its running one (the layer went away)."""
        was_busy = self.is_busy(layer_id)
        self._pending.pop(layer_id, None)
        self.missing_weights.pop(layer_id, None)
        timer = self._timers.get(layer_id)
        if timer is not None:
            timer.stop()  # kept, not deleted: it dies with the scheduler
        self._running.pop(layer_id, None)
        if was_busy:
            self.busy_changed.emit(layer_id, False)

    def cancel(self, layer_id: str) -> bool:
        """Cancel a layer's detection: its pending request is dropped and the result of its
        running one thrown away, so the layer keeps its control image. A detector cannot be
        stopped mid-call: it runs to its end on the detector thread (later runs wait for it).
        False when nothing was pending or running."""
        if not self.is_busy(layer_id):
            return False
        self._pending.pop(layer_id, None)
        timer = self._timers.get(layer_id)
        if timer is not None:
            timer.stop()
        self._running.pop(layer_id, None)  # its result arrives with a ticket no one waits for
        self.busy_changed.emit(layer_id, False)
        return True

    def is_busy(self, layer_id: str) -> bool:
        return layer_id in self._pending or layer_id in self._running

    def shutdown(self) -> None:
        """Stop the detector thread (on application exit). A plugin's detector still running
        is abandoned after a short grace; a built-in one is waited for (at most 30 s)."""
        for layer_id in list(self._timers):
            self.forget(layer_id)
        self._executor.quitting.set()
        self._thread.quit()
        self._thread.wait(30_000)

    def _dispatch(self, layer_id: str) -> None:
        if layer_id in self._running:
            return  # it starts when the run in flight ends: latest wins, never two at once
        pending = self._pending.pop(layer_id, None)
        if pending is None:
            return
        condition, params, source = pending
        try:
            image = source()
        except Exception as error:
            self.preview_failed.emit(layer_id, f"Cannot read the source layer: {error}")
            self.busy_changed.emit(layer_id, False)
            return
        self._tickets += 1
        self._running[layer_id] = self._tickets
        self.runs[layer_id] += 1
        self._submit.emit(PreviewJob(layer_id, self._tickets, condition, image, params))

    def _finish(self, layer_id: str, ticket: int) -> bool:
        """Whether this result is current; starts the next pending run if there is one."""
        if self._running.get(layer_id) != ticket:
            return False
        del self._running[layer_id]
        timer = self._timers.get(layer_id)
        if layer_id in self._pending and not (timer and timer.isActive()):
            self._dispatch(layer_id)
        if not self.is_busy(layer_id):
            self.busy_changed.emit(layer_id, False)
        return True

    def _on_needs_weights(self, layer_id: str, ticket: int, files: tuple[str, ...]) -> None:
        if self._running.get(layer_id) == ticket:  # its ``failed`` follows
            self.missing_weights[layer_id] = files
            self.weights_missing.emit(layer_id, files)

    def _on_done(self, layer_id: str, ticket: int, image: Image.Image) -> None:
        if self._finish(layer_id, ticket):
            self.missing_weights.pop(layer_id, None)
            self.preview_ready.emit(layer_id, image)

    def _on_failed(self, layer_id: str, ticket: int, message: str) -> None:
        if self._finish(layer_id, ticket):
            self.preview_failed.emit(layer_id, message)
