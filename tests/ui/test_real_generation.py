"""End to end in the window: a mouse stroke, Generate, the real engine on the demo model.

No fake here: the worker thread imports torch, writes the demo model, runs the diffusers
SDXL adapter pipeline, and the image comes back as a result layer.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.generation.jobs import JobQueue, JobState
from t2ia_desktop.core.image_history.store import History
from t2ia_desktop.core.paths import demo_model_root, history_dir
from t2ia_desktop.runtime.runner import JobRunner
from t2ia_desktop.runtime.worker import EngineWorker, default_engine_factory
from t2ia_desktop.session.tool_state import ToolState
from t2ia_desktop.ui.window.main_window import MainWindow
from tests.ui.conftest import MODELS
from tests.ui.helpers import drag, generate_and_wait, shown


@pytest.fixture
def real_window(qtbot, loop) -> Iterator[MainWindow]:
    worker = EngineWorker(default_engine_factory(str(demo_model_root())),
                          history=History(history_dir()))
    runner = JobRunner(JobQueue(), worker)
    main = shown(qtbot, MainWindow(Document.with_sketch_layer(128, 128), runner, list(MODELS),
                                   tool_state=ToolState(), history_folder=history_dir()))
    yield main
    main.close()
    runner.shutdown()
    assert not runner.worker._thread.isRunning()


@pytest.mark.slow
def test_stroke_then_generate_with_the_demo_model(real_window, loop):
    window = real_window
    canvas = window.canvas
    drag(canvas, [canvas.from_document(QPointF(x, y)).toPoint()
                  for x, y in ((20, 20), (64, 90), (110, 30))])
    sketch = window.document.sketch_layer()
    assert sketch.pixels[..., 3].any()

    panel = window.generate_panel
    panel.prompt_edit.setPlainText("a mountain path")
    panel.steps_spin.setValue(3)

    job, progress = generate_and_wait(loop, window)

    assert job is not None
    assert job.state is JobState.DONE, job.error
    result = window.document.layers[-1]
    assert result.kind == "result"
    assert result.request is job.request
    assert result.size == (128, 128)
    assert result.pixels[..., :3].std() > 0  # an image came back, not a blank layer
    assert np.array_equal(job.result.convert("RGBA"), result.pixels)
    assert max(progress) == 3  # per-step progress reached the queue
    assert (demo_model_root() / "sdxl" / "model_index.json").is_file()
    # the result was on disk in the history before the layer appeared
    assert job.saved_to.startswith(str(history_dir()))
    assert window.statusBar().currentMessage() == f"Done, saved to {job.saved_to}"
