"""A screenshot tour of the real app: the states an artist meets in the first hour, one PNG each.

Run it through ``tour.sh`` (Xvfb at 1280×800 and 1920×1080), or by hand under any X display:

    xvfb-run -s "-screen 0 1280x800x24" .venv/bin/python packaging/screenshots/tour.py OUT_DIR

It starts the app as ``t2ia-desktop`` does (``app.run_gui``) with a fresh data folder, the demo
model (random weights, offline) and no detector weights, and drives the window from inside
(a timer started before the event loop): no window manager and no pointer are needed, so the
tour is the same on every run. States, in order:

1. ``1-first-launch``   the window as it opens the first time
2. ``2-photo-remix``    a photo dropped in and remixed into a Canny condition layer
3. ``3-failed-condition`` a Depth (Zoe) condition whose detector has no weights
4. ``4-queue``          three jobs in the Queue, the first one running
5. ``5-image-history``  the Image history tab with the finished pictures
6. ``6-live``           live mode on, after a stroke
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

STEP_TIMEOUT = 180.0
"""Seconds any one state may take to appear (a first job imports torch on a busy machine)."""


async def until(condition, timeout: float = STEP_TIMEOUT, what: str = "") -> bool:
    """Wait (running the event loop) until ``condition()`` holds; False after ``timeout``."""
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            print(f"tour: gave up waiting for {what or condition}", flush=True)
            return False
        await asyncio.sleep(0.1)
    return True


class Tour:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.shots: list[Path] = []

    def window(self):
        from PySide6.QtWidgets import QApplication

        from t2ia_desktop.ui.window.main_window import MainWindow

        return next((w for w in QApplication.topLevelWidgets()
                     if isinstance(w, MainWindow) and w.isVisible()), None)

    async def shoot(self, name: str) -> None:
        from PySide6.QtWidgets import QApplication

        await asyncio.sleep(0.6)  # let layouts, previews and repaints settle
        QApplication.processEvents()
        screen = QApplication.primaryScreen()
        picture = screen.grabWindow(0)  # the whole X screen, as the artist sees it
        path = self.out / f"{name}.png"
        picture.save(str(path))
        self.shots.append(path)
        print(f"tour: {path}", flush=True)

    async def run(self) -> None:
        from PySide6.QtWidgets import QApplication

        try:
            await until(lambda: self.window() is not None, what="the window")
            await self.scenario(self.window())
        except Exception as error:  # a broken state is told, the tour still ends
            import traceback

            traceback.print_exc()
            print(f"tour: stopped: {error}", flush=True)
        finally:
            window = self.window()
            if window is not None:
                window.files.ask_save_changes = lambda _name: "discard"
                window.close()
            QApplication.quit()

    async def scenario(self, window) -> None:
        import skimage

        from t2ia_desktop.core.files.photo import load_photo

        await asyncio.sleep(1.5)
        await self.shoot("1-first-launch")

        # 2. A photo remixed into a Canny condition layer (no weights needed).
        photo = load_photo(Path(skimage.__file__).parent / "data" / "astronaut.png")
        edges = window.condition_actions.remix(photo, "astronaut", "canny")
        await until(lambda: edges is None or not edges.is_blank(), 30, "the canny preview")
        panel = window.generate_panel
        panel.prompt_edit.setPlainText("an astronaut in a sunflower field, oil painting")
        await self.shoot("2-photo-remix")

        # 3. A condition whose detector lacks its weights (a fresh data folder has none).
        photo_layer = next((layer for layer in window.document.layers
                            if layer.kind == "photo"), None)
        window.condition_actions.add_condition("depth-zoe", photo_layer)
        await asyncio.sleep(4)
        await self.shoot("3-failed-condition")
        zoe = window.current_condition
        if zoe is not None and zoe.condition is not None \
                and zoe.condition.condition == "depth-zoe":
            zoe.condition.enabled = False  # Generate leaves it out without asking
            window.document.layer_changed.emit(zoe)

        # 5 first: finished pictures for the history (few steps, the demo model).
        panel.steps_spin.setValue(4)
        finished = [window.generate() for _ in range(3)]
        await until(lambda: all(job is None or job.state.finished for job in finished),
                    what="three finished pictures")

        # 4. Three jobs in the queue, the first running.
        window.runner.queue.clear_finished()
        panel.steps_spin.setValue(150)
        jobs = [window.generate() for _ in range(3)]
        window.queue_dock.raise_()
        await until(lambda: jobs[0] is not None and jobs[0].step >= 3, what="a running job")
        await self.shoot("4-queue")
        for job in reversed(jobs):
            if job is not None:
                window.runner.cancel(job)
        await until(lambda: all(job is None or job.state.finished for job in jobs), 60,
                    "the cancelled jobs")

        # 5. The Image history tab.
        history = window.results.image_history
        if history is not None:
            history.dock.show()
            history.dock.raise_()
            history.panel.pick_up_new()
            if history.panel.model.rowCount():
                history.panel.list_view.setCurrentIndex(history.panel.model.index(0))
        await self.shoot("5-image-history")

        # 6. Live mode, after a stroke on the sketch.
        window.queue_dock.raise_()
        sketch = window.document.sketch_layer()
        window.layers_panel.select(sketch)
        panel.steps_spin.setValue(4)
        window.live.live_action.trigger()
        self.stroke(window)
        await asyncio.sleep(1)
        await until(lambda: window.runner.queue.running() is None, 120, "the live picture")
        await self.shoot("6-live")
        window.live.live_action.trigger()

    @staticmethod
    def stroke(window) -> None:
        """A wavy stroke across the canvas with the left button held."""
        import math

        from PySide6.QtCore import QEvent, QPointF, Qt
        from PySide6.QtGui import QMouseEvent
        from PySide6.QtWidgets import QApplication

        canvas = window.canvas
        size = window.document.width
        points = [canvas.from_document(QPointF(x, size / 2 + size / 6 * math.sin(x / 40)))
                  for x in range(size // 8, size * 7 // 8, 8)]
        left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
        for index, point in enumerate(points):
            kind = (QEvent.Type.MouseButtonPress if index == 0 else
                    QEvent.Type.MouseButtonRelease if index == len(points) - 1 else
                    QEvent.Type.MouseMove)
            button = none if kind == QEvent.Type.MouseMove else left
            held = none if kind == QEvent.Type.MouseButtonRelease else left
            QApplication.sendEvent(canvas, QMouseEvent(
                kind, point, canvas.mapToGlobal(point), button, held,
                Qt.KeyboardModifier.NoModifier))


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    os.environ["T2IA_HOME"] = tempfile.mkdtemp(prefix="t2ia-tour-")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from t2ia_desktop.app import run_gui

    app = QApplication(argv[:1])
    tour = Tour(out)
    QTimer.singleShot(0, lambda: asyncio.ensure_future(tour.run()))
    code = run_gui(argv[:1])
    del app
    print(f"tour: {len(tour.shots)} screenshots in {out}", flush=True)
    return code if len(tour.shots) == 6 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
