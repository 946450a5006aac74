"""In the window with the real engine: Advanced → demo refiner, Generate, and the picture and its
PNG carry the refiner."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from t2ia_desktop.core.generation.jobs import JobState
from t2ia_desktop.core.generation.sdxl_extras import DEMO_REFINER
from t2ia_desktop.core.paths import demo_model_root
from tests.ui.helpers import generate_and_wait


@pytest.mark.slow
def test_generate_with_the_demo_refiner(real_window, loop):
    window = real_window
    panel = window.generate_panel
    panel.prompt_edit.setPlainText("a mountain path")
    panel.steps_spin.setValue(4)
    advanced = panel.advanced
    advanced.set_expanded(True)
    combo = advanced.refiner_combo
    assert combo.itemText(combo.findData(DEMO_REFINER)) == "demo refiner (random weights)"
    combo.setCurrentIndex(combo.findData(DEMO_REFINER))
    advanced.switch_slider.setValue(0.5)

    job, progress = generate_and_wait(loop, window)

    assert job is not None
    assert job.state is JobState.DONE, job.error
    assert job.request.refiner == DEMO_REFINER
    assert job.request.refiner_switch == 0.5
    assert max(progress) == 4  # base and refiner steps counted as one run
    assert (demo_model_root() / "sdxl-refiner" / "model_index.json").is_file()
    with Image.open(job.saved_to) as saved:
        metadata = json.loads(saved.text["t2ia"])
    assert metadata["refiner"] == DEMO_REFINER
    assert metadata["refiner_switch"] == 0.5
