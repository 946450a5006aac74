"""Generate panel: the refiner with Image to image / Inpaint is queued, no longer refused."""

from __future__ import annotations

import pytest

from t2ia_desktop.core.document.document import Layer, blank_pixels
from t2ia_desktop.core.generation.jobs import JobState
from t2ia_desktop.core.generation.sdxl_extras import DEMO_REFINER

WAIT_MS = 30_000  # an upper bound for a slow machine, never a timing assertion


@pytest.mark.parametrize("mode", ["img2img", "inpaint"])
def test_the_refiner_is_queued_with_the_canvas_or_a_mask(qtbot, window, mode):
    doc = window.document
    if mode == "inpaint":
        pixels = blank_pixels(doc.width, doc.height)
        pixels[8:24, 8:40] = (255, 255, 255, 255)
        doc.add_layer(Layer("Mask", "mask", pixels))
    panel = window.generate_panel
    panel.settings.mode = mode
    panel.source.strength_slider.setValue(0.6)
    advanced = panel.advanced
    advanced.set_expanded(True)
    advanced.refiner_combo.setCurrentIndex(advanced.refiner_combo.findData(DEMO_REFINER))
    advanced.switch_slider.setValue(0.7)
    assert advanced.refiner_combo.isEnabled()
    assert advanced.switch_slider.isEnabled()
    assert "canvas or a mask" in advanced.refiner_combo.toolTip()

    with qtbot.waitSignal(window.runner.job_finished, timeout=WAIT_MS):
        job = window.generate()
        assert job is not None, window.statusBar().currentMessage()
    assert "Cannot generate" not in window.statusBar().currentMessage()
    assert job.request.mode == mode
    assert job.request.strength == 0.6
    assert job.request.refiner == DEMO_REFINER
    assert job.request.refiner_switch == 0.7
    assert job.state is JobState.DONE, job.error
