"""The restore benchmark: how long the UI thread is held when a saved queue of many jobs comes
back at launch (Restore), and the worst stall until the queue panel has no row work left.

The queue file is written, then read back as the app does: on the queue keeper's thread (the
state file reader, job by job), and the jobs are added a few milliseconds per turn of the event
loop (``AddInTurns``) to a paused queue drawn by the real queue panel and the status bar's
queue label, with a 5 ms UI-thread timer measuring the stalls. ``python -m
t2ia_desktop.bench.queue_restore [JOBS]`` prints the figures as JSON; they are measured, never
asserted. ``restore_ui_held_s`` is the longest the UI thread was held at once.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path


class _NoRunner:
    """What the panel asks of a runner (Cancel): nothing runs in this benchmark."""

    def cancel(self, _job) -> None:  # pragma: no cover - nobody clicks
        pass


def restore_figures(jobs: int = 10_000, size: int = 128) -> dict:
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication, QStatusBar

    from t2ia_desktop.bench.overhead import _request
    from t2ia_desktop.core.generation.jobs import JobQueue
    from t2ia_desktop.core.generation.queue_file import QueueStore
    from t2ia_desktop.runtime.queue_keeper import AddInTurns, QueueKeeper
    from t2ia_desktop.ui.queue.job_status import JobStatus
    from t2ia_desktop.ui.queue.panel import QueuePanel

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as folder:
        store = QueueStore(Path(folder) / "queue")
        request = _request(4, size)
        store.write([(request.with_changes(seed=seed), "queued") for seed in range(jobs)],
                    paused=True)
        queue = JobQueue()
        queue.set_paused(True)
        panel = QueuePanel(queue, _NoRunner())  # type: ignore[arg-type]
        panel.resize(380, 600)
        panel.show()
        status_bar = QStatusBar()
        JobStatus(queue, status_bar)
        app.processEvents()
        clock = QElapsedTimer()
        clock.start()
        gaps: list[float] = []
        last = [clock.nsecsElapsed()]

        def tick() -> None:
            now = clock.nsecsElapsed()
            gaps.append((now - last[0]) / 1e6)
            last[0] = now

        timer = QTimer()
        timer.setInterval(5)
        timer.timeout.connect(tick)
        timer.start()
        started = time.perf_counter()
        last[0] = clock.nsecsElapsed()
        keeper = QueueKeeper(queue, store)
        moments: dict[str, float] = {}
        waiting = QEventLoop()

        def on_read(saved) -> None:
            moments["read"] = time.perf_counter() - started
            adding = AddInTurns(saved.requests, queue.add, parent=keeper)
            adding.finished.connect(waiting.quit)
            adding.start()

        keeper.saved_read.connect(on_read)
        keeper.read_saved()
        waiting.exec()
        moments["queued"] = time.perf_counter() - started
        settle = QEventLoop()
        while panel._build_timer.isActive() or panel._turn_timer.isActive():
            QTimer.singleShot(10, settle.quit)
            settle.exec()
        settled = time.perf_counter() - started
        timer.stop()
        rows = len(panel.rows)
        keeper.close()
        panel.close()
        panel.deleteLater()
        status_bar.deleteLater()
        app.processEvents()
    return {
        "restore_jobs": jobs,
        "restore_read_s": round(moments["read"], 3),
        "restore_all_queued_s": round(moments["queued"], 3),
        "restore_ui_held_s": round(max(gaps, default=0.0) / 1000, 3),
        "restore_rows_settled_s": round(settled, 3),
        "restore_ui_stall_worst_ms": round(max(gaps, default=0.0), 1),
        "restore_row_widgets": rows,
        "cores": os.cpu_count(),
    }


if __name__ == "__main__":
    print(json.dumps(restore_figures(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)))
