"""Step previews: the latent → RGB map, the x0 tap on every scheduler, and real generations."""

from __future__ import annotations

import inspect
from functools import partial

import diffusers
import numpy as np
import pytest
import torch

from t2ia_desktop.core.generation.request import SCHEDULERS, ControlSpec
from t2ia_desktop.engine.generate import Engine
from t2ia_desktop.engine.step_previews import (
    LATENT_RGB_BIAS,
    LATENT_RGB_FACTORS,
    X0Tap,
    latents_to_rgb,
    preview_image,
)
from tests.builders import request


def constant_latents(values, height=16, width=24) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float32)[:, None, None].expand(4, height, width)


@pytest.mark.parametrize("family", ["sdxl", "sd15"])
@pytest.mark.parametrize("channel", range(4))
def test_a_constant_latent_becomes_its_published_colour(family, channel):
    values = [0.0] * 4
    values[channel] = 1.0
    rgb = latents_to_rgb(constant_latents(values), family)

    assert rgb.shape == (16, 24, 3)
    assert rgb.dtype == np.uint8
    factors = np.array(LATENT_RGB_FACTORS[family][channel]) + LATENT_RGB_BIAS[family]
    expected = np.round((np.clip(factors, -1, 1) + 1) * 127.5)
    assert (rgb == expected.astype(np.uint8)).all()  # every pixel, exactly


def test_families_have_different_colours_and_values_clamp_to_the_byte_range():
    latents = constant_latents([0.7, -0.3, 0.2, -0.5])
    assert not np.array_equal(latents_to_rgb(latents, "sdxl"), latents_to_rgb(latents, "sd15"))
    bright = latents_to_rgb(constant_latents([50.0, 0, 0, 0]), "sd15")
    dark = latents_to_rgb(constant_latents([-50.0, 0, 0, 0]), "sd15")
    assert (bright == 255).all()
    assert (dark == 0).all()


def test_batches_half_precision_and_numpy_arrays_are_taken():
    latents = torch.randn(2, 4, 8, 8)
    first = latents_to_rgb(latents, "sdxl")
    np.testing.assert_array_equal(first, latents_to_rgb(latents[0].numpy(), "sdxl"))
    half = latents_to_rgb(latents.half(), "sdxl")
    assert np.abs(half.astype(int) - first.astype(int)).max() <= 1


def test_bad_latents_and_families_say_what_is_wrong():
    with pytest.raises(ValueError, match="4-channel"):
        latents_to_rgb(torch.zeros(3, 8, 8), "sdxl")
    with pytest.raises(ValueError, match="sdxl or sd15"):
        latents_to_rgb(torch.zeros(4, 8, 8), "flux")


def test_preview_image_is_small():
    image = preview_image(torch.zeros(1, 4, 128, 64), "sdxl", max_size=100)
    assert image.mode == "RGB"
    assert max(image.size) == 100
    assert image.size[1] == 100


@pytest.mark.parametrize("name", list(SCHEDULERS))
@pytest.mark.parametrize("prediction_type", ["epsilon", "v_prediction"])
def test_the_tap_recovers_x0_on_every_scheduler(sdxl_demo, name, prediction_type):
    """Noise a known x0 to the first timestep; the right model output must point back at it."""
    config = diffusers.EulerAncestralDiscreteScheduler.load_config(sdxl_demo / "scheduler")
    scheduler = getattr(diffusers, SCHEDULERS[name]).from_config(
        config, prediction_type=prediction_type, clip_sample=False)  # as SDXL and SD1.5 ship
    scheduler.set_timesteps(10)
    generator = torch.Generator().manual_seed(0)
    x0 = torch.randn(1, 4, 8, 8, generator=generator)
    noise = torch.randn(1, 4, 8, 8, generator=generator)
    t = scheduler.timesteps[2]
    sample = scheduler.add_noise(x0, noise, t[None])
    if prediction_type == "epsilon":
        model_output = noise
    else:  # v = alpha_t·noise − sigma_t·x0, in the variance-preserving convention
        alpha_prod = scheduler.alphas_cumprod[int(t)]
        model_output = alpha_prod.sqrt() * noise - (1 - alpha_prod).sqrt() * x0
    if hasattr(scheduler, "_step_index"):  # as if two steps ran before this one
        scheduler._step_index = 2
    with X0Tap(scheduler) as tap:
        # the pipelines pass a generator only where the signature shows one: keep it shown
        extra = ({"generator": generator}
                 if "generator" in inspect.signature(scheduler.step).parameters else {})
        assert bool(extra) == ("generator" in inspect.signature(type(scheduler).step).parameters)
        scheduler.step(model_output, t, sample, **extra)
    assert "step" not in vars(scheduler)  # the wrapper is gone afterwards
    torch.testing.assert_close(tap.latest, x0, atol=2e-3, rtol=2e-3)


fox = partial(request, prompt="a fox", steps=4, width=96, height=64, guidance_scale=4.0,
              seed=5)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return Engine(demo_root=tmp_path_factory.mktemp("demo-root"))


@pytest.mark.parametrize("family", ["sdxl", "sd15"])
@pytest.mark.parametrize("with_control", [True, False])
@pytest.mark.parametrize("scheduler", ["euler-a", "dpmpp-2m"])
def test_every_step_of_a_real_generation_gives_a_preview_and_the_image_is_unchanged(
    engine, sdxl_demo, sd15_demo, sketch_image, family, with_control, scheduler
):
    model = sdxl_demo if family == "sdxl" else sd15_demo
    controls = (ControlSpec("sketch", sketch_image),) if with_control else ()
    job = fox(model, family=family, controls=controls, scheduler=scheduler)
    previews = []
    image = engine.generate(job, on_preview=lambda render: previews.append(render()))
    plain = engine.generate(job)

    np.testing.assert_array_equal(np.array(image), np.array(plain))  # seeds still reach steps
    assert len(previews) == job.steps
    # 1/8 of the picture, without the padding the pipeline ran with (SD1.5 pads 96×64 to 128)
    assert all(p.size == (12, 8) and p.mode == "RGB" for p in previews)
    assert not np.array_equal(np.array(previews[0]), np.array(previews[-1]))


def test_a_busy_sink_that_skips_renders_costs_nothing(engine, sdxl_demo):
    calls = []
    engine.generate(fox(sdxl_demo), on_preview=lambda render: calls.append(render))
    assert len(calls) == 4  # offered each step; never rendered, no error
