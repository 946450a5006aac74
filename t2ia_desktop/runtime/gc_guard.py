"""Cyclic garbage collection on the UI thread only.

Python's cyclic collector runs in whichever thread happens to allocate when a threshold is
crossed: the engine worker, the detector thread or a download thread. If the garbage it frees
holds a Qt object that lives on the UI thread (a closed dialog in a reference cycle, a panel of
a replaced document…), Qt destroys it from the wrong thread; its timers stay registered with
the UI thread's event dispatcher and the next timer event lands on freed memory (a crash in
``QCoreApplication::notifyInternal2``). The guard turns automatic collection off and runs the
same generational collection from a timer on the UI thread instead.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_INTERVAL_MS = 250


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

    def check(self) -> int:
        """Run the collection the interpreter would have run by now; return its generation,
        or -1 when no threshold is crossed."""
        first, second, third = gc.get_count()
        limit0, limit1, limit2 = self._thresholds
        if first <= limit0:
            return -1
        generation = 0
        if second > limit1:
            generation = 2 if third > limit2 else 1
        gc.collect(generation)
        return generation

    def stop(self) -> None:
        """Give collection back to the interpreter (on quit, or at the end of a test run)."""
        self._timer.stop()
        if self._was_enabled:
            gc.enable()
