"""The queue benchmark: the worst UI-thread stall while a 50-job queue runs on the demo model.

The real queue panel (rows with control thumbnails, progress and previews), the real runner
and worker, the history writing each result, and the queue file rewritten as jobs finish —
what the app does — with a 5 ms UI-thread timer. A stall is the longest gap between two of its
ticks, from the moment the 50 jobs are queued (their rows are built in that moment too) to the
last one done. Figures are printed, never asserted.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from t2ia_desktop.bench.overhead import _request


def queue_figures(jobs: int = 50, steps: int = 4, size: int = 128) -> dict:
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from t2ia_desktop.core.generation.jobs import JobQueue
    from t2ia_desktop.core.generation.queue_file import QueueStore
    from t2ia_desktop.core.image_history.store import History
    from t2ia_desktop.runtime.queue_keeper import QueueKeeper
    from t2ia_desktop.runtime.runner import JobRunner
    from t2ia_desktop.runtime.worker import EngineWorker, default_engine_factory
    from t2ia_desktop.ui.queue.panel import QueuePanel

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        queue = JobQueue()
        worker = EngineWorker(default_engine_factory(str(root / "demo")),
                              history=History(root / "history"))
        runner = JobRunner(queue, worker)
        keeper = QueueKeeper(queue, QueueStore(root / "queue"))
        panel = QueuePanel(queue, runner)
        panel.resize(380, 600)
        panel.show()
        keeper.start()
        clock = QElapsedTimer()
        clock.start()
        gaps: list[float] = []
        last = [clock.nsecsElapsed()]

        def tick() -> None:
            now = clock.nsecsElapsed()
            gaps.append((now - last[0]) / 1e6)
            last[0] = now

        def run_until_idle() -> None:
            done = QEventLoop()

            def check(_job) -> None:
                if all(job.state.finished for job in queue):
                    done.quit()

            runner.job_finished.connect(check)
            done.exec()
            runner.job_finished.disconnect(check)

        try:
            request = _request(steps, size)
            runner.submit(request)  # warm-up: the worker imports torch, writes and loads
            run_until_idle()
            queue.clear_finished()
            timer = QTimer()
            timer.setInterval(5)
            timer.timeout.connect(tick)
            last[0] = clock.nsecsElapsed()
            timer.start()
            started = time.perf_counter()
            queue.add_batch(request, jobs)
            submitted = time.perf_counter() - started
            run_until_idle()
            seconds = time.perf_counter() - started
            timer.stop()
            keeper.wait()
            writes = keeper.writes
        finally:
            keeper.close()
            runner.shutdown()
            panel.close()
            panel.deleteLater()
        app.processEvents()
    return {
        "queue_jobs": jobs, "queue_steps": steps, "queue_size": size,
        "queue_ui_stall_worst_ms": round(max(gaps), 1),
        "queue_ui_tick_median_ms": round(statistics.median(gaps), 1),
        "queue_ui_ticks": len(gaps),
        "queue_submit_ms": round(submitted * 1000, 1),
        "queue_seconds": round(seconds, 2),
        "queue_file_writes": writes,
        "cores": os.cpu_count(),
    }
