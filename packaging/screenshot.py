"""Make README's screenshot: the real app, a drawn sketch, one finished and one running job.

Run it under a virtual X server so it renders as on a desktop:

    xvfb-run -s "-screen 0 1600x1000x24" .venv/bin/python packaging/screenshot.py

Without a display it falls back to Qt's offscreen platform. It uses the demo model (random
weights), written to a temporary folder, so it works offline.
"""

from __future__ import annotations

import asyncio
import math
import os
import sys
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "resources" / "screenshot.png"


def sketch_points(size: int) -> list[list[tuple[float, float]]]:
    """Strokes of a small landscape: hills, a house, a sun, a path (document pixels)."""
    s = size / 512
    hills = [(x * s, (330 + 40 * math.sin(x / 70)) * s) for x in range(0, 513, 16)]
    house = [(150 * s, 330 * s), (150 * s, 250 * s), (200 * s, 205 * s), (250 * s, 250 * s),
             (250 * s, 330 * s)]
    roof = [(140 * s, 258 * s), (200 * s, 200 * s), (260 * s, 258 * s)]
    door = [(188 * s, 330 * s), (188 * s, 290 * s), (212 * s, 290 * s), (212 * s, 330 * s)]
    sun = [((400 + 38 * math.cos(a / 10)) * s, (110 + 38 * math.sin(a / 10)) * s)
           for a in range(64)]
    path = [((200 + 30 * t / 10 + 12 * math.sin(t / 3)) * s, (330 + 18 * t) * s)
            for t in range(11)]
    return [hills, house, roof, door, sun, path]


def draw(widget, points) -> None:
    """Drag the mouse through ``points`` (widget coordinates) with the left button held."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    kinds = [QEvent.Type.MouseButtonPress] + [QEvent.Type.MouseMove] * (len(points) - 2)
    kinds.append(QEvent.Type.MouseButtonRelease)
    for kind, point in zip(kinds, points, strict=True):
        button = none if kind == QEvent.Type.MouseMove else left
        held = none if kind == QEvent.Type.MouseButtonRelease else left
        event = QMouseEvent(kind, point, widget.mapToGlobal(point), button, held,
                            Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(widget, event)


def main() -> int:
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ["T2IA_HOME"] = tempfile.mkdtemp(prefix="t2ia-shot-")
    import qasync
    import skimage
    from PySide6.QtCore import QPointF
    from PySide6.QtWidgets import QApplication

    from t2ia_desktop.app import model_choices
    from t2ia_desktop.core.conditions.registry import default_registry
    from t2ia_desktop.core.document.document import Document
    from t2ia_desktop.core.files.photo import load_photo
    from t2ia_desktop.core.generation.jobs import JobQueue
    from t2ia_desktop.core.generation.settings import GenerationSettings
    from t2ia_desktop.core.paths import demo_model_root
    from t2ia_desktop.runtime.condition_updates import ConditionUpdater
    from t2ia_desktop.runtime.downloads import WeightDownloads
    from t2ia_desktop.runtime.previews import PreviewScheduler, registry_detect_factory
    from t2ia_desktop.runtime.runner import JobRunner
    from t2ia_desktop.runtime.worker import EngineWorker, default_engine_factory
    from t2ia_desktop.session.session import Session
    from t2ia_desktop.session.tool_state import ToolState
    from t2ia_desktop.ui.window.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    document = Document.with_sketch_layer(512, 512)
    runner = JobRunner(JobQueue(), EngineWorker(default_engine_factory(str(demo_model_root()))))
    models, status = model_choices(have_sdxl=False)
    tool_state = ToolState()
    scheduler = PreviewScheduler(registry_detect_factory(default_registry()))
    session = Session(document, ConditionUpdater(document, default_registry(), scheduler))
    window = MainWindow(session, runner, GenerationSettings.for_models(models),
                        tool_state=tool_state, downloads=WeightDownloads(),
                        status_message=status)
    window.show()

    canvas = window.canvas
    tool_state.set_brush_size(7)
    for stroke in sketch_points(512):
        draw(canvas, [canvas.from_document(QPointF(x, y)) for x, y in stroke])
    photo = load_photo(Path(skimage.__file__).parent / "data" / "chelsea.png")
    edges = window.condition_actions.remix(photo, "chelsea", "canny")
    panel = window.generate_panel
    panel.prompt_edit.setPlainText("a cottage on rolling hills at sunrise, watercolour")
    panel.negative_edit.setPlainText("blurry, low quality")
    panel.steps_spin.setValue(12)
    panel.conditioning_scale_slider.setValue(0.85)
    panel.step_fraction_slider.setValue(0.7)

    async def scenario() -> None:
        while edges is not None and edges.is_blank():  # the live canny preview
            await asyncio.sleep(0.05)
        window.condition_actions.updater.set_params(edges, low_threshold=60, high_threshold=140)
        await asyncio.sleep(0.5)
        first = window.generate()
        await asyncio.gather(*window.generation.pending_tasks)
        assert first is not None
        assert first.result is not None, first.error
        result = document.layers[-1]
        result.opacity = 0.3  # let the sketch show through the (noisy) demo result
        document.layer_changed.emit(result)
        row = len(document.layers) - 1 - document.layers.index(edges)  # the list shows top first
        window.layers_panel.list_widget.setCurrentRow(row)
        panel.steps_spin.setValue(400)
        second = window.generate()
        while second is not None and second.step < 60:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        OUT.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(OUT))
        runner.cancel(second)
        await asyncio.gather(*window.generation.pending_tasks)

    loop.run_until_complete(scenario())
    window.files.ask_save_changes = lambda name: "discard"  # a throwaway document
    window.close()
    runner.shutdown()
    scheduler.shutdown()
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
