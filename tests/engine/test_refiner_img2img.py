"""The refiner after img2img and inpainting: diffusers' documented ensemble, pixel for pixel."""

from __future__ import annotations

from contextlib import contextmanager
from functools import partial

import numpy as np
import pytest
import torch
from PIL import Image

from t2ia_desktop.core.generation.phases import DECODING, DENOISING, LOADING_REFINER, REFINING
from t2ia_desktop.core.generation.request import ControlSpec
from t2ia_desktop.core.generation.sdxl_extras import DEMO_REFINER
from t2ia_desktop.engine.generate import Engine
from t2ia_desktop.engine.img2img import paste_back
from tests.builders import request

PROMPT, NEGATIVE, STEPS, GUIDANCE, SEED, SIZE = "a red barn", "fog", 5, 5.0, 21, 64


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory):
    from t2ia_desktop.engine.demo.model import write_demo_model

    root = tmp_path_factory.mktemp("demo")
    write_demo_model(root / "sdxl", "sdxl")
    return root


@pytest.fixture(scope="module")
def engine(demo_root):
    return Engine(demo_root=demo_root, device="cpu")


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    rng = np.random.default_rng(5)
    yy, xx = np.mgrid[:SIZE, :SIZE]
    pixels = np.stack([xx * 4, yy * 4, xx + yy], -1) + rng.integers(0, 30, (SIZE, SIZE, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


@pytest.fixture(scope="module")
def mask() -> Image.Image:
    pixels = np.zeros((SIZE, SIZE), np.uint8)
    pixels[16:48, 8:40] = 255
    return Image.fromarray(pixels, "L")


@pytest.fixture(scope="module")
def diffusers_pair(engine, demo_root):
    """Plain diffusers pipelines as the docs build them: base, and the refiner sharing the
    base's text encoder 2 and VAE (img2img and inpaint classes of each)."""
    from diffusers import StableDiffusionXLImg2ImgPipeline, StableDiffusionXLInpaintPipeline

    engine.refiners.location(DEMO_REFINER)  # writes the demo refiner beside the demo model
    pipes = {}
    for name, cls in (("img2img", StableDiffusionXLImg2ImgPipeline),
                      ("inpaint", StableDiffusionXLInpaintPipeline)):
        base = cls.from_pretrained(demo_root / "sdxl")
        refiner = cls.from_pretrained(demo_root / "sdxl-refiner",
                                      text_encoder_2=base.text_encoder_2, vae=base.vae)
        for pipe in (base, refiner):
            pipe.set_progress_bar_config(disable=True)
        pipes[name] = (base, refiner)
    return pipes


refined_barn = partial(request, prompt=PROMPT, negative_prompt=NEGATIVE, steps=STEPS,
                       guidance_scale=GUIDANCE, seed=SEED, width=SIZE, height=SIZE,
                       refiner=DEMO_REFINER)


def pixels(image: Image.Image) -> np.ndarray:
    return np.array(image.convert("RGB"))


def common() -> dict:
    return {"prompt": PROMPT, "negative_prompt": NEGATIVE, "num_inference_steps": STEPS,
            "guidance_scale": GUIDANCE, "generator": torch.Generator("cpu").manual_seed(SEED)}


@contextmanager
def unet_calls(unet):
    """Record, per UNet call, whether adapter features came with it."""
    calls: list[bool] = []

    def record(module, args, kwargs, output):  # after the injection's pre-hook
        calls.append(kwargs.get("down_intrablock_additional_residuals") is not None)

    handle = unet.register_forward_hook(record, with_kwargs=True)
    try:
        yield calls
    finally:
        handle.remove()


def engine_unets(engine):
    base = engine.store.base("demo", "sdxl")
    return base.unet, engine.refiners.refiner(DEMO_REFINER, base).unet


def test_img2img_then_refiner_equals_the_diffusers_ensemble(engine, diffusers_pair, photo):
    steps_seen = []
    base_unet, refiner_unet = engine_unets(engine)
    with unet_calls(base_unet) as base_calls, unet_calls(refiner_unet) as refiner_calls:
        ours = engine.generate(refined_barn(init_image=photo, strength=0.8, refiner_switch=0.6),
                               on_step=lambda step, total: steps_seen.append((step, total)))

    base, refiner = diffusers_pair["img2img"]
    args = common()
    latents = base(**args, image=photo, strength=0.8, denoising_end=0.6,
                   output_type="latent").images
    theirs = refiner(**args, image=latents, denoising_start=0.6).images[0]
    np.testing.assert_array_equal(pixels(ours), pixels(theirs))

    # int(5 * 0.8) = 4 steps, shared: both models paint, counted as one run
    assert len(base_calls) >= 1
    assert len(refiner_calls) >= 1
    assert len(base_calls) + len(refiner_calls) == 4
    assert steps_seen[-1] == (4, 4)
    assert [step for step, _ in steps_seen] == sorted(step for step, _ in steps_seen)
    plain = engine.generate(refined_barn(init_image=photo, strength=0.8, refiner=None))
    assert not np.array_equal(pixels(ours), pixels(plain))


def test_inpaint_then_refiner_equals_the_diffusers_ensemble(engine, diffusers_pair, photo, mask):
    ours = engine.generate(refined_barn(init_image=photo, mask_image=mask, strength=0.9,
                                        refiner_switch=0.5))

    base, refiner = diffusers_pair["inpaint"]
    args = common()
    latents = base(**args, image=photo, mask_image=mask, strength=0.9, width=SIZE,
                   height=SIZE, denoising_end=0.5, output_type="latent").images
    theirs = refiner(**args, image=latents, mask_image=mask, width=SIZE, height=SIZE,
                     denoising_start=0.5).images[0]
    # the engine pastes the unmasked pixels back over the VAE's round trip
    np.testing.assert_array_equal(pixels(ours), pixels(paste_back(theirs, photo, mask)))
    keep = np.array(mask) == 0
    np.testing.assert_array_equal(pixels(ours)[keep], pixels(photo)[keep])
    assert not np.array_equal(pixels(ours)[~keep], pixels(photo)[~keep])
    plain = engine.generate(refined_barn(init_image=photo, mask_image=mask, strength=0.9,
                                         refiner=None))
    assert not np.array_equal(pixels(ours)[~keep], pixels(plain)[~keep])


@pytest.mark.parametrize("masked", [False, True])
def test_adapters_guide_only_the_base_part_within_their_range(engine, photo, mask,
                                                              sketch_image, masked):
    base_unet, refiner_unet = engine_unets(engine)
    source = {"init_image": photo, "strength": 1.0, "refiner_switch": 0.6,
              "mask_image": mask if masked else None}
    plain = pixels(engine.generate(refined_barn(**source)))

    whole = (ControlSpec("sketch", sketch_image),)
    with unet_calls(base_unet) as base_calls, unet_calls(refiner_unet) as refiner_calls:
        guided = pixels(engine.generate(refined_barn(**source, controls=whole)))
    assert base_calls == [True] * len(base_calls)
    assert len(base_calls) >= 2
    assert refiner_calls == [False] * len(refiner_calls)
    assert refiner_calls
    assert engine.last_injection.log == [(0,)] * len(base_calls)
    assert not np.array_equal(guided, plain)

    late = (ControlSpec("sketch", sketch_image, start=0.4),)  # from step 2 of 5
    with unet_calls(base_unet) as base_calls, unet_calls(refiner_unet) as refiner_calls:
        engine.generate(refined_barn(**source, controls=late))
    assert base_calls[:2] == [False, False]
    assert all(base_calls[2:])
    assert not any(refiner_calls)

    # a range that lies wholly after the switch: the refiner has no adapter, nothing changes
    after = (ControlSpec("sketch", sketch_image, start=0.8),)
    np.testing.assert_array_equal(pixels(engine.generate(refined_barn(**source, controls=after))),
                                  plain)
    assert not any(any(step) for step in engine.last_injection.log)


def test_at_a_strength_below_the_switch_the_refiner_alone_repaints(engine, diffusers_pair,
                                                                  photo):
    base_unet, refiner_unet = engine_unets(engine)
    steps_seen = []
    with unet_calls(base_unet) as base_calls, unet_calls(refiner_unet) as refiner_calls:
        ours = engine.generate(refined_barn(init_image=photo, strength=0.2, refiner_switch=0.5),
                               on_step=lambda step, total: steps_seen.append((step, total)))
    assert base_calls == []
    assert len(refiner_calls) == 1
    assert steps_seen[-1] == (1, 1)

    _base, refiner = diffusers_pair["img2img"]
    theirs = refiner(**common(), image=photo, strength=0.2).images[0]
    np.testing.assert_array_equal(pixels(ours), pixels(theirs))


def test_phases_show_loading_the_refiner_and_refining(demo_root, photo, mask):
    engine = Engine(demo_root=demo_root, device="cpu")  # fresh: the refiner loads
    for source, loads in (({"init_image": photo, "strength": 0.8}, True),
                          ({"init_image": photo, "mask_image": mask, "strength": 0.8}, False)):
        reported: list[str] = []
        engine.generate(refined_barn(**source, refiner_switch=0.5),
                        on_phase=lambda phase, _fraction, into=reported: into.append(phase))
        seen = [phase for k, phase in enumerate(reported) if k == 0 or reported[k - 1] != phase]
        refining = [REFINING, LOADING_REFINER, REFINING] if loads else [REFINING]
        assert seen[-(len(refining) + 2):] == [DENOISING, *refining, DECODING]
