"""The peak-memory estimate beside Generate: it follows the settings, the device the worker
reports, and turns orange when the run would not fit."""

from __future__ import annotations

import re
from dataclasses import replace

from t2ia_desktop.core.generation.jobs import JobState
from t2ia_desktop.core.generation.memory_policy import GB, DeviceFacts
from t2ia_desktop.core.settings import SettingsStore
from t2ia_desktop.ui.generate.vram_label import WARNING_STYLE
from tests.ui.helpers import finish_pending
from tests.ui.window.test_main_window import draw_line, set_prompt


def set_memory(setting: str) -> None:
    store = SettingsStore()
    store.save(replace(store.settings, memory_policy=setting))


def test_the_estimate_shows_beside_generate_and_counts_the_adapters(window, qtbot):
    panel = window.generate_panel
    label = panel.vram_label
    assert label.isVisible()
    assert label.parentWidget() is panel
    assert re.fullmatch(r"≈ \d+\.\d GB VRAM", label.text())
    assert "after the first job" in label.toolTip()
    assert "weights resident" in label.toolTip()
    assert not label.warning
    before = label.estimate.peak

    draw_line(window)  # the sketch layer now has strokes: one adapter more
    qtbot.waitUntil(lambda: label.estimate.peak > before, timeout=5000)
    assert label.adapters() == 1

    window.edits.set_condition(window.document.sketch_layer(), "enabled", False)  # muted
    qtbot.waitUntil(lambda: label.estimate.peak == before, timeout=5000)


def test_a_card_with_too_little_free_memory_turns_it_orange(window, qtbot):
    label = window.generate_panel.vram_label
    window.generate_panel.model_combo.setCurrentIndex(1)  # SDXL base: the demo fits anywhere
    set_memory("speed")  # everything on the GPU, whatever it has free
    executor = window.runner.worker.executor
    executor.device_memory.emit(DeviceFacts("cuda", 8 * GB, 5 * GB, "Small card"))
    assert label.warning
    assert label.styleSheet() == WARNING_STYLE
    assert label.estimate.gib > 5
    assert label.toolTip().startswith("More than the device has free")
    assert "Available: 5.0 GB of Small card memory" in label.toolTip()

    set_memory("low-vram")  # layer by layer: fits
    window.generate_panel.seed_spin.setValue(window.generate_panel.seed_spin.value() + 1)
    qtbot.waitUntil(lambda: not label.warning, timeout=5000)
    assert label.styleSheet() == ""
    assert label.estimate.gib < 5
    assert "sequential offload" in label.toolTip()


def test_after_a_job_on_the_cpu_it_tells_ram(window, loop, qtbot):
    label = window.generate_panel.vram_label
    set_prompt(window, "a kite")
    window.generate_panel.steps_spin.setValue(2)
    job = window.generate()
    finish_pending(loop, window)
    assert job is not None
    assert job.state is JobState.DONE
    qtbot.waitUntil(lambda: label.facts is not None, timeout=5000)
    assert label.facts.kind == "cpu"  # the fake engine has no device: the CPU
    assert label.text().endswith("GB RAM")
    assert "GB of RAM" in label.toolTip()


def test_the_demo_model_on_the_cpu_is_estimated_at_its_own_size(window, loop, qtbot):
    label = window.generate_panel.vram_label
    set_prompt(window, "a kite")
    window.generate_panel.steps_spin.setValue(2)
    window.generate()
    finish_pending(loop, window)
    qtbot.waitUntil(lambda: label.facts is not None, timeout=5000)
    assert window.generation_settings.model == "demo"
    assert 0.3 < label.estimate.gib < 2.0  # not the full SDXL's ≈ 14 GB
    tip = label.toolTip()
    for term in ("It counts:", "weights resident",
                 "PyTorch, diffusers and the app"):
        assert term in tip
    window.generate_panel.model_combo.setCurrentIndex(1)  # SDXL base 1.0: the real size
    label.refresh()
    assert label.estimate.gib > 8
