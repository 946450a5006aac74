"""SDXL extras on the demo models: the refiner ensemble, micro-conditioning and prompt 2."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import torch

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.sdxl_extras import DEMO_REFINER
from t2ia_desktop.engine.generate import Engine
from tests.builders import request

PROMPT, NEGATIVE, STEPS, GUIDANCE, SEED, SIZE = "a red barn", "fog", 5, 5.0, 77, 64


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory):
    from t2ia_desktop.engine.demo.model import write_demo_model

    root = tmp_path_factory.mktemp("demo")
    write_demo_model(root / "sdxl", "sdxl")
    return root


@pytest.fixture(scope="module")
def engine(demo_root):
    return Engine(demo_root=demo_root, device="cpu")


red_barn = partial(request, prompt=PROMPT, negative_prompt=NEGATIVE, steps=STEPS,
                   guidance_scale=GUIDANCE, seed=SEED, width=SIZE, height=SIZE)


def pixels(image) -> np.ndarray:
    return np.array(image.convert("RGB"))


def test_refiner_equals_the_diffusers_ensemble_of_experts(engine, demo_root):
    from diffusers import DiffusionPipeline

    steps_seen = []
    ours = engine.generate(red_barn(refiner=DEMO_REFINER, refiner_switch=0.6),
                           on_step=lambda step, total: steps_seen.append((step, total)))

    # As in the diffusers docs: the base stops at denoising_end and hands over its latents.
    base = DiffusionPipeline.from_pretrained(demo_root / "sdxl")
    refiner = DiffusionPipeline.from_pretrained(
        demo_root / "sdxl-refiner", text_encoder_2=base.text_encoder_2, vae=base.vae)
    assert refiner.config.requires_aesthetics_score
    assert refiner.text_encoder is None
    assert refiner.unet.config.projection_class_embeddings_input_dim \
        == 5 * 8 + base.text_encoder_2.config.hidden_size
    generator = torch.Generator("cpu").manual_seed(SEED)
    common = {"prompt": PROMPT, "negative_prompt": NEGATIVE, "num_inference_steps": STEPS,
                  "guidance_scale": GUIDANCE, "generator": generator}
    latents = base(**common, width=SIZE, height=SIZE, denoising_end=0.6,
                   output_type="latent").images
    theirs = refiner(**common, image=latents, denoising_start=0.6).images[0]
    np.testing.assert_array_equal(pixels(ours), pixels(theirs))
    assert steps_seen[-1] == (STEPS, STEPS)
    assert [step for step, _ in steps_seen] == sorted(step for step, _ in steps_seen)

    without = engine.generate(red_barn())
    assert not np.array_equal(pixels(ours), pixels(without))


def test_refiner_off_equals_the_plain_sdxl_pipeline(engine, demo_root):
    from diffusers import StableDiffusionXLPipeline

    ours = engine.generate(red_barn(refiner=None, refiner_switch=0.3))
    pipe = StableDiffusionXLPipeline.from_pretrained(demo_root / "sdxl")
    theirs = pipe(prompt=PROMPT, negative_prompt=NEGATIVE, num_inference_steps=STEPS,
                  guidance_scale=GUIDANCE, width=SIZE, height=SIZE,
                  generator=torch.Generator("cpu").manual_seed(SEED)).images[0]
    np.testing.assert_array_equal(pixels(ours), pixels(theirs))


def test_the_refiner_aesthetic_scores_reach_its_unet(engine):
    captured = []

    def grab(module, args, kwargs):
        captured.append(kwargs["added_cond_kwargs"]["time_ids"].clone())

    refiner = engine.refiners.refiner(DEMO_REFINER, engine.store.base("demo", "sdxl"))
    handle = refiner.unet.register_forward_pre_hook(grab, with_kwargs=True)
    try:
        engine.generate(red_barn(refiner=DEMO_REFINER, aesthetic_score=9.0,
                                 negative_aesthetic_score=1.0, original_size=(512, 256)))
    finally:
        handle.remove()
    negative, positive = captured[0].tolist()
    assert positive == [512, 256, 0, 0, 9.0]
    assert negative == [512, 256, 0, 0, 1.0]


def test_micro_conditioning_reaches_the_unet_time_ids(engine):
    captured = []

    def grab(module, args, kwargs):
        captured.append(kwargs["added_cond_kwargs"]["time_ids"].clone())

    unet = engine.store.base("demo", "sdxl").unet
    handle = unet.register_forward_pre_hook(grab, with_kwargs=True)
    try:
        engine.generate(red_barn(steps=1))
        engine.generate(red_barn(
            steps=1, original_size=(1024, 768), target_size=(896, 640),
            crops_coords_top_left=(16, 32), negative_original_size=(256, 256),
            negative_target_size=(128, 96), negative_crops_coords_top_left=(8, 0)))
    finally:
        handle.remove()
    default, changed = captured
    # Classifier-free guidance batches the negative row first.
    assert default.tolist() == [[SIZE, SIZE, 0, 0, SIZE, SIZE]] * 2
    assert changed[1].tolist() == [1024, 768, 16, 32, 896, 640]
    assert changed[0].tolist() == [256, 256, 8, 0, 128, 96]


def test_prompt_2_changes_the_picture(engine):
    plain = pixels(engine.generate(red_barn(steps=2)))
    same = pixels(engine.generate(red_barn(steps=2, prompt_2=PROMPT)))
    other = pixels(engine.generate(red_barn(steps=2, prompt_2="a blue boat")))
    negative = pixels(engine.generate(red_barn(steps=2, negative_prompt_2="sunshine")))
    np.testing.assert_array_equal(plain, same)  # prompt 2 defaults to the prompt
    assert not np.array_equal(plain, other)
    assert not np.array_equal(plain, negative)


@pytest.mark.parametrize(("changes", "words"), [
    ({"refiner": DEMO_REFINER, "refiner_switch": 1.0}, "refiner switch"),
    ({"refiner": DEMO_REFINER, "family": "sd15"}, "only with SDXL"),
    ({"prompt_2": "x", "family": "sd15"}, "prompt 2"),
    ({"original_size": (0, 512)}, "original size"),
    ({"crops_coords_top_left": (-1, 0)}, "crop top-left"),
    ({"aesthetic_score": 11.0}, "aesthetic score"),
    ({"refiner": ""}, "no refiner chosen"),
])
def test_bad_extras_are_refused_before_any_work(engine, changes, words):
    with pytest.raises(BadInput, match=words):
        engine.generate(red_barn(**changes))
