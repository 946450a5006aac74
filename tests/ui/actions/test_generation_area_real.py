"""End to end with the real engine on the demo model: a generation area smaller than the canvas
gives a picture of the area's size that lands on it, the rest of the layer transparent."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from t2ia_desktop.core.document.generation_area import GenerationArea
from t2ia_desktop.core.generation.jobs import JobState
from t2ia_desktop.ui.canvas.generation_area import TOOL
from tests.ui.helpers import drag, finish_pending


@pytest.mark.slow
def test_a_real_generation_fills_only_the_area(real_window, loop):
    window = real_window
    canvas = window.canvas
    drag(canvas, [canvas.from_document(QPointF(x, y)).toPoint()
                  for x, y in ((40, 70), (70, 110), (100, 80))])
    window.area_actions.set_area(GenerationArea(0, 0, 64, 64))
    window.tool_state.set_tool(TOOL)  # drag the frame by (32, 48) on the 128 × 128 canvas
    drag(canvas, [canvas.from_document(QPointF(x, y)).toPoint()
                  for x, y in ((20, 20), (40, 50), (52, 68))])
    assert window.document.generation_area == GenerationArea(32, 48, 64, 64)

    window.generate_panel.prompt_edit.setPlainText("a mountain path")
    window.generate_panel.steps_spin.setValue(2)
    job = window.generate()
    finish_pending(loop, window)

    assert job is not None
    assert job.state is JobState.DONE, job.error
    assert (job.request.width, job.request.height) == (64, 64)
    assert job.request.controls[0].image.size == (64, 64)
    assert job.result.size == (64, 64)
    result = window.document.layers[-1]
    assert result.kind == "result"
    assert result.size == (128, 128)
    inside = result.pixels[48:112, 32:96]
    assert np.array_equal(inside, np.asarray(job.result.convert("RGBA")))
    assert inside[..., :3].std() > 0
    alpha = result.pixels[..., 3].copy()
    alpha[48:112, 32:96] = 0
    assert not alpha.any()  # nothing outside the area
