"""Cyclic garbage collection on the UI thread only.

Python's cyclic collector runs in whichever thread happens to allocate when a threshold is
crossed: the engine worker, the detector thread or a download thread. If the garbage it frees
holds a Qt object that lives on the UI thread (a closed dialog in a reference cycle, a panel of
a replaced document…), Qt destroys it from the wrong thread; its timers stay registered with
the UI thread's event dispatcher and the next timer event lands on freed memory (a crash in
``QCoreApplication::notifyInternal2``). The guard turns automatic collection off and runs the
same generational collection from a timer on the UI thread instead.

A full collection walks every tracked object: with torch, diffusers and transformers imported
that is about 0.8 million objects and some 330 ms on the UI thread. Modules, classes and loaded
models live as long as the app, so once they are loaded (after the window shows, and again when
the engine is ready) they are moved out of the collector's sight with :func:`gc.freeze`, and full
collections walk only what was made since. The interpreter's own rule for full collections
(only when a quarter more long-lived objects exist than at the last one) is not readable from
Python; :data:`FULL_COLLECTION_SECONDS` bounds how often the guard runs one instead.
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QTimer

CHECK_INTERVAL_MS = 250
FULL_COLLECTION_SECONDS = 30.0


class UiThreadGarbageCollector(QObject):
    """Collect cyclic garbage on the thread that created this object (the UI thread)."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = CHECK_INTERVAL_MS):
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._timer.start()
        self._last_full = time.monotonic()

    def check(self) -> int:
        """Run the collection the interpreter would have run by now; return its generation,
        or -1 when no threshold is crossed."""
        first, second, third = gc.get_count()
        limit0, limit1, limit2 = self._thresholds
        if first <= limit0:
            return -1
        generation = 0
        if second > limit1:
            generation = 1
            if third > limit2 and time.monotonic() - self._last_full >= FULL_COLLECTION_SECONDS:
                generation = 2
        gc.collect(generation)
        if generation == 2:
            self._last_full = time.monotonic()
        return generation

    def freeze_long_lived(self, *_args: object) -> None:
        """Collect once, then keep everything alive now (modules, models) out of later
        collections; call when a large, long-lived set of objects has just been loaded."""
        gc.collect()
        gc.freeze()
        self._last_full = time.monotonic()

    def stop(self) -> None:
        """Give collection back to the interpreter (on quit, or at the end of a test run)."""
        self._timer.stop()
        if self._was_enabled:
            gc.enable()
