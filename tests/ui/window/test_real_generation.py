"""End to end in the window: a mouse stroke, Generate, the real engine on the demo model.

No fake here: the worker thread imports torch, writes the demo model, runs the diffusers
SDXL adapter pipeline, and the image comes back as a result layer.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from t2ia_desktop.core.generation.jobs import JobState
from t2ia_desktop.core.paths import demo_model_root, history_dir
from tests.ui.helpers import drag, generate_and_wait


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
