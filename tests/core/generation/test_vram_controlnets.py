"""The peak-memory estimate counts ControlNets: their weights stay on the device beside the
UNet and their residuals are summed, once however many ControlNets run."""

from __future__ import annotations

import pytest

from t2ia_desktop.core.generation.vram_estimate import (
    CONTROLNET_RESIDUAL_VALUES,
    FAMILIES,
    estimate_peak_memory,
)


@pytest.mark.parametrize("family", ["sdxl", "sd15"])
def test_a_controlnet_adds_its_weights_and_its_residuals(family):
    size = 3072 if family == "sdxl" else 2048  # decoded in tiles: denoising peaks
    plain, one, two = (estimate_peak_memory(family, size, size, controlnets=count,
                                            vae_tiling=True) for count in (0, 1, 2))
    assert plain.phase == one.phase == two.phase == "denoising"
    weights = int(FAMILIES[family].controlnet * 2)  # fp16
    residuals = 2 * CONTROLNET_RESIDUAL_VALUES * (size // 8) ** 2 * 2  # CFG batch, fp16
    assert one.peak - plain.peak == weights + residuals
    assert two.peak - one.peak == weights  # one set of residuals, summed
    assert ("ControlNet residuals", residuals) in one.terms


def test_a_controlnet_costs_far_more_than_an_adapter():
    adapter = estimate_peak_memory("sdxl", 1024, 1024, adapters=1)
    controlnet = estimate_peak_memory("sdxl", 1024, 1024, controlnets=1)
    assert controlnet.peak - adapter.peak > 2.0e9  # 1251 M against 79 M parameters
