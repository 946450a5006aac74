"""Live mode's benchmark: stroke end → live picture shown in the Live dock, in the real window.

A window of the app's real parts (the canvas with its brush, the session and its undo steps,
the detector thread, the Generate settings, the live controller with its Live dock, the runner
and worker) on the demo model; each stroke is real mouse events on the canvas; the clock starts
when the button is released and stops once the Live dock has painted the picture that answers
it. A stroke waits
for the previous picture, so each one measures a whole update. The first stroke, which also
starts the engine, is left out. The same strokes with the Generate steps (30: what live mode
ran before it took the Live steps) come after, for comparison. Figures are printed, never
asserted.

    python -m t2ia_desktop.bench.live [--size 512] [--strokes 6] [--compare 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from t2ia_desktop.core.settings import DEFAULT_LIVE_STEPS

WAIT_S = 600.0


def _figures(times: list[float]) -> dict:
    if not times:
        return {}
    return {"median_ms": round(statistics.median(times) * 1000),
            "min_ms": round(min(times) * 1000), "max_ms": round(max(times) * 1000),
            "strokes": len(times)}


def live_figures(size: int = 512, strokes: int = 6, compare: int = 2,
                 steps: int = DEFAULT_LIVE_STEPS) -> dict:
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import asyncio

    import qasync
    from PySide6.QtCore import QEvent, QEventLoop, QPointF, Qt, QTimer
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication, QMainWindow

    from t2ia_desktop.core.conditions.registry import default_registry
    from t2ia_desktop.core.document.document import Document
    from t2ia_desktop.core.generation.jobs import JobQueue
    from t2ia_desktop.core.generation.request import DEMO_MODEL
    from t2ia_desktop.core.generation.settings import GenerationSettings
    from t2ia_desktop.core.paths import demo_model_root
    from t2ia_desktop.runtime.condition_updates import ConditionUpdater
    from t2ia_desktop.runtime.previews import PreviewScheduler
    from t2ia_desktop.runtime.runner import JobRunner
    from t2ia_desktop.runtime.worker import EngineWorker, default_engine_factory
    from t2ia_desktop.session.session import Session
    from t2ia_desktop.session.tool_state import ToolState
    from t2ia_desktop.ui.actions.generate.live import LiveController
    from t2ia_desktop.ui.canvas.view import CanvasView
    from t2ia_desktop.ui.tools.painting import painting_tools

    app = QApplication.instance() or QApplication([])
    asyncio.set_event_loop(qasync.QEventLoop(app))
    document = Document.with_sketch_layer(size, size)
    runner = JobRunner(JobQueue(), EngineWorker(default_engine_factory(str(demo_model_root()))))
    scheduler = PreviewScheduler()
    session = Session(document, ConditionUpdater(document, default_registry(), scheduler))
    settings = GenerationSettings.for_models([("demo", DEMO_MODEL, "sdxl")], seed=7)
    tool_state = ToolState()
    window = QMainWindow()
    canvas = CanvasView(session, tool_state)
    for name, tool in painting_tools(canvas, tool_state).items():
        canvas.add_tool(name, tool)
    window.setCentralWidget(canvas)
    live = LiveController(session, settings, runner, canvas, window.statusBar().showMessage,
                          window)
    live.install(window, None, None, (None, None), window.statusBar())
    window.resize(1280, 800)
    window.show()
    shown_at: list[float] = []

    def picture_shown(*_args) -> None:  # after the dock took the picture (connected later)
        live.panel.picture.repaint()
        shown_at.append(time.perf_counter())

    live.session.result_ready.connect(picture_shown)

    def send(kind: QEvent.Type, x: float, y: float, buttons) -> None:
        point = canvas.from_document(QPointF(x, y))
        button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else (
            Qt.MouseButton.LeftButton)
        QApplication.sendEvent(canvas, QMouseEvent(
            kind, point, canvas.mapToGlobal(point), button, buttons,
            Qt.KeyboardModifier.NoModifier))

    def stroke(number: int) -> float:
        """One stroke of real mouse events; the moment its button came up."""
        x = size * (0.15 + 0.07 * (number % 10))
        held = Qt.MouseButton.LeftButton
        send(QEvent.Type.MouseButtonPress, x, size * 0.2, held)
        for move in range(1, 21):
            send(QEvent.Type.MouseMove, x + move * size * 0.01, size * (0.2 + move * 0.03), held)
        send(QEvent.Type.MouseButtonRelease, x + size * 0.2, size * 0.8,
             Qt.MouseButton.NoButton)
        return time.perf_counter()

    def wait_for_picture(count: int) -> None:
        waiting = QEventLoop()
        timer = QTimer()
        timer.timeout.connect(lambda: (len(shown_at) >= count and not live.session.updating)
                              and waiting.quit())
        timer.start(5)
        QTimer.singleShot(int(WAIT_S * 1000), waiting.quit)
        waiting.exec()
        timer.stop()
        if len(shown_at) < count:
            raise RuntimeError(f"no live picture within {WAIT_S:.0f} s: "
                               f"{live.indicator.text()}")

    def run(count: int) -> list[float]:
        times = []
        for _ in range(count):
            number = len(shown_at)
            ended = stroke(number)
            wait_for_picture(number + 1)
            times.append(shown_at[-1] - ended)
        return times

    try:
        live.set_live_steps(steps)
        live.set_live(True)
        wait_for_picture(1)  # the first picture also starts the engine: left out
        request = live.session.result_request
        fast = run(strokes)
        live.set_live_steps(settings.steps)
        slow = run(compare)
        return {
            "size": f"{request.width}x{request.height}", "model": request.model,
            "live_steps": steps, "stroke_to_live_picture": _figures(fast),
            "generate_steps": settings.steps,
            "stroke_to_picture_with_generate_steps": _figures(slow),
            "queue_rows": len(runner.queue),
            "load_average_1min": round(os.getloadavg()[0], 2),
        }
    finally:
        live.set_live(False)
        window.hide()
        runner.shutdown()
        scheduler.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m t2ia_desktop.bench.live",
        description="Stroke end → live picture shown, in the real window on the demo model.")
    parser.add_argument("--size", type=int, default=512, help="canvas side in pixels")
    parser.add_argument("--strokes", type=int, default=6, help="strokes measured")
    parser.add_argument("--steps", type=int, default=DEFAULT_LIVE_STEPS, help="live steps")
    parser.add_argument("--compare", type=int, default=2,
                        help="strokes measured again with the Generate steps (0: none)")
    args = parser.parse_args(argv)
    figures = live_figures(args.size, args.strokes, args.compare, args.steps)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
