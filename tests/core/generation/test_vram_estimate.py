"""The peak-memory estimate: its order of magnitude and how it moves with the settings."""

from __future__ import annotations

import pytest

from t2ia_desktop.core.generation.memory_policy import GB, DeviceFacts, choose_memory_plan
from t2ia_desktop.core.generation.vram_estimate import (
    CONTROLNET_RESIDUAL_VALUES,
    GIB,
    estimate_for_plan,
    estimate_peak_memory,
    working_size,
)


def gib(*args, **kwargs) -> float:
    return estimate_peak_memory(*args, **kwargs).gib


def test_sdxl_at_1024_in_fp16_is_the_published_order_of_magnitude():
    # Weights alone: (2.567 + 0.818 + 0.084) B parameters × 2 bytes ≈ 6.5 GiB.
    estimate = estimate_peak_memory("sdxl", 1024, 1024, dtype="float16")
    assert 7.5 < estimate.gib < 11
    assert estimate.weights == pytest.approx(3.469e9 * 2, rel=0.01)
    assert estimate.text() == f"≈ {estimate.gib:.1f} GB VRAM"
    assert 2 < gib("sd15", 512, 512, dtype="float16") < 4


@pytest.mark.parametrize("family", ["sdxl", "sd15"])
def test_a_bigger_picture_needs_more(family):
    sizes = [(512, 512), (768, 768), (1024, 1024), (1536, 1024), (2048, 2048)]
    values = [gib(family, w, h) for w, h in sizes]
    assert values == sorted(values)
    assert len(set(values)) == len(values)


@pytest.mark.parametrize("offload", ["none", "model", "sequential"])
def test_guidance_never_needs_less_and_more_while_denoising_peaks(offload):
    with_cfg = estimate_peak_memory("sdxl", 1024, 1024, guidance=True, offload=offload)
    without = estimate_peak_memory("sdxl", 1024, 1024, guidance=False, offload=offload)
    assert with_cfg.peak >= without.peak
    if with_cfg.phase == "denoising":
        assert with_cfg.peak > without.peak
    # model offload: the UNet alone is resident while denoising, which then peaks
    assert estimate_peak_memory("sdxl", 1024, 1024, offload="model").phase == "denoising"


def test_guidance_doubles_the_unets_activations():
    def activations(guidance: bool) -> int:
        terms = dict(estimate_peak_memory("sdxl", 1024, 1024, guidance=guidance,
                                          offload="model").terms)
        return next(v for k, v in terms.items() if k.startswith("UNet activations"))

    assert activations(True) == 2 * activations(False)


@pytest.mark.parametrize(("family", "size"), [("sdxl", 1024), ("sdxl", 2048), ("sd15", 512)])
def test_offloading_needs_less(family, size):
    none, model, sequential = (gib(family, size, size, offload=o)
                               for o in ("none", "model", "sequential"))
    assert none > model > sequential


def test_adapters_refiner_and_fp32_need_more_tiling_less():
    base = gib("sdxl", 1024, 1024)
    assert gib("sdxl", 1024, 1024, adapters=2) > gib("sdxl", 1024, 1024, adapters=1) > base
    assert gib("sdxl", 1024, 1024, refiner=True) > base + 4  # the refiner UNet: 2.26 B × 2
    assert gib("sdxl", 1024, 1024, dtype="float32") > 1.9 * base - 1
    assert gib("sdxl", 3072, 3072, vae_tiling=True) < gib("sdxl", 3072, 3072)
    assert gib("sd15", 512, 512, refiner=True) == gib("sd15", 512, 512)  # SD1.5 has none


def test_on_the_cpu_it_is_ram_and_nothing_is_offloaded():
    estimate = estimate_peak_memory("sdxl", 1024, 1024, dtype="float32", offload="sequential",
                                    device="cpu")
    assert estimate.memory == "RAM"
    assert estimate.text().endswith("GB RAM")
    assert estimate.weights > 12 * GIB  # fp32 weights, all in RAM
    assert "RAM" in estimate.describe()
    assert "weights resident" in estimate.describe()


def test_the_plan_the_engine_would_choose_sets_the_terms():
    card = DeviceFacts("cuda", 8 * GB, int(7.5 * GB))
    plan = choose_memory_plan(card, "sdxl", "auto")
    assert plan.offload == "model"
    estimate = estimate_for_plan("sdxl", 1000, 1000, guidance_scale=7.5, adapters=1,
                                 refiner=False, plan=plan, device="cuda")
    assert estimate.peak == estimate_peak_memory("sdxl", *working_size(1000, 1000, "sdxl"),
                                                 adapters=1, offload="model").peak
    assert not estimate.exceeds(card.free_memory)
    assert estimate.exceeds(2 * GB)
    assert not estimate.exceeds(None)
    no_guidance = estimate_for_plan("sdxl", 1000, 1000, guidance_scale=1.0, adapters=1,
                                    refiner=False, plan=plan, device="cuda")
    assert no_guidance.peak < estimate.peak


@pytest.mark.parametrize(("family", "params"), [("sdxl", 1.251e9), ("sd15", 0.361e9)])
def test_each_controlnet_adds_its_weights_and_residuals(family, params):
    def estimate(**kwargs):  # large enough for denoising to peak over a tiled decode
        return estimate_peak_memory(family, 2048, 2048, dtype="float16", vae_tiling=True,
                                    **kwargs)

    none, one, two = estimate(), estimate(controlnets=1), estimate(controlnets=2)
    assert two.phase == "denoising"
    assert one.weights - none.weights == pytest.approx(params * 2, rel=0.01)
    residuals = dict(two.terms)["ControlNet residuals"]
    # several ControlNets add into one set of residuals (as MultiControlNetModel sums them)
    assert residuals == dict(one.terms)["ControlNet residuals"]
    assert residuals == 2 * CONTROLNET_RESIDUAL_VALUES * 256 * 256 * 2  # CFG batch, fp16
    assert two.weights - one.weights == one.weights - none.weights
    assert none.peak < one.peak < two.peak
    adapter = estimate(adapters=1)
    assert one.peak - none.peak > 4 * (adapter.peak - none.peak)  # the seed's cost argument
    plan = choose_memory_plan(DeviceFacts("cuda", 24 * GB, 24 * GB), family)
    assert estimate_for_plan(family, 1024, 1024, guidance_scale=5.0, adapters=0, refiner=False,
                             plan=plan, device="cuda", controlnets=1).peak > estimate_for_plan(
        family, 1024, 1024, guidance_scale=5.0, adapters=0, refiner=False, plan=plan,
        device="cuda").peak
