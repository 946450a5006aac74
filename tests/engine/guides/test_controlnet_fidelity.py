"""ControlNet layers equal diffusers' own ControlNet pipelines, pixel for pixel.

One ControlNet, several (``MultiControlNetModel``) with ``control_guidance_start/end``, the
ControlNet Union model (``StableDiffusionXLControlNetUnionPipeline``), img2img and inpainting;
a mixed run with its adapters at scale 0 equals the ControlNet pipeline, with its ControlNets at
scale 0 the adapter pipeline. All on the demo model's tiny random-weight ControlNets.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import torch
from PIL import Image

from t2ia_desktop.core.generation.request import ControlSpec
from t2ia_desktop.engine.generate import Engine
from tests.builders import request

STEPS = 4
PROMPT = {"prompt": "a lighthouse at dusk", "negative_prompt": "blurry"}

dusk = partial(request, **PROMPT, steps=STEPS, width=128, height=128, guidance_scale=5.0,
               seed=1234)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return Engine(demo_root=tmp_path_factory.mktemp("demo-root"))


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    yy, xx = np.mgrid[:128, :128]
    pixels = np.stack([xx * 2, yy * 2, (xx + yy)], -1) + np.random.default_rng(3).integers(
        0, 20, (128, 128, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


@pytest.fixture(scope="module")
def mask() -> Image.Image:
    pixels = np.zeros((128, 128), np.uint8)
    pixels[32:96, 40:100] = 255
    return Image.fromarray(pixels, "L")


def controlnet(model, condition):
    from diffusers import ControlNetModel

    return ControlNetModel.from_pretrained(model / "controlnets" / condition)


def pipeline(name: str, model, **parts):
    import diffusers

    pipe = getattr(diffusers, name).from_pretrained(model, **parts)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def call(pipe, **kwargs) -> np.ndarray:
    image = pipe(**PROMPT, num_inference_steps=STEPS, guidance_scale=5.0,
                 generator=torch.Generator("cpu").manual_seed(1234), **kwargs).images[0]
    return np.array(image)


def ours(engine, model, family, *controls, **fields) -> np.ndarray:
    return np.array(engine.generate(dusk(model, family=family, controls=controls, **fields)))


def cn(condition, image, scale=1.0, start=0.0, end=1.0, guide="controlnet"):
    return ControlSpec(condition, image, None, scale, start, end, guide)


FAMILIES = {"sdxl": "StableDiffusionXLControlNetPipeline",
            "sd15": "StableDiffusionControlNetPipeline"}


@pytest.fixture
def demo(sdxl_demo, sd15_demo):
    return {"sdxl": sdxl_demo, "sd15": sd15_demo}


@pytest.mark.parametrize("family", ["sdxl", "sd15"])
def test_one_controlnet_equals_the_controlnet_pipeline(engine, demo, sketch_image, family):
    model = demo[family]
    mine = ours(engine, model, family, cn("canny", sketch_image, 0.8))
    assert engine.last_injection.controlnets.log == [(0,)] * STEPS
    theirs = call(pipeline(FAMILIES[family], model, controlnet=controlnet(model, "canny")),
                  width=128, height=128, image=sketch_image, controlnet_conditioning_scale=0.8)
    np.testing.assert_array_equal(mine, theirs)
    plain = ours(engine, model, family)
    assert not np.array_equal(mine, plain)  # the demo's ControlNet does change the image


@pytest.mark.parametrize("family", ["sdxl", "sd15"])
def test_two_controlnets_with_ranges_equal_the_multi_controlnet_pipeline(
    engine, demo, sketch_image, depth_image, family
):
    from diffusers import MultiControlNetModel

    model = demo[family]
    mine = ours(engine, model, family, cn("canny", sketch_image, 0.9, 0.0, 0.5),
                cn("depth-midas", depth_image, 0.6, 0.25, 1.0))
    assert engine.last_injection.controlnets.log == [(0,), (0, 1), (1,), (1,)]
    nets = MultiControlNetModel([controlnet(model, "canny"), controlnet(model, "depth-midas")])
    theirs = call(pipeline(FAMILIES[family], model, controlnet=nets), width=128, height=128,
                  image=[sketch_image, depth_image], controlnet_conditioning_scale=[0.9, 0.6],
                  control_guidance_start=[0.0, 0.25], control_guidance_end=[0.5, 1.0])
    np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("count", [1, 2])
def test_union_layers_equal_the_union_pipeline(engine, sdxl_demo, sketch_image, depth_image,
                                               count):
    from diffusers import ControlNetUnionModel

    layers = [cn("canny", sketch_image, 0.9, 0.0, 0.75, guide="union"),
              cn("depth-midas", depth_image, 0.7, 0.25, 1.0, guide="union")][:count]
    mine = ours(engine, sdxl_demo, "sdxl", *layers)
    union = engine.last_injection.controlnets.layers[0].model
    assert all(layer.model is union for layer in engine.last_injection.controlnets.layers)
    assert len(engine.last_injection.controlnets.units) == 1  # one call serves every layer
    model = ControlNetUnionModel.from_pretrained(sdxl_demo / "controlnets" / "union")
    theirs = call(pipeline("StableDiffusionXLControlNetUnionPipeline", sdxl_demo,
                           controlnet=model),
                  width=128, height=128, control_image=[sketch_image, depth_image][:count],
                  control_mode=[3, 1][:count], controlnet_conditioning_scale=[0.9, 0.7][:count],
                  control_guidance_start=[0.0, 0.25][:count],
                  control_guidance_end=[0.75, 1.0][:count])
    np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("family", ["sdxl", "sd15"])
def test_img2img_with_a_controlnet_equals_the_controlnet_img2img_pipeline(
    engine, demo, photo, sketch_image, family
):
    model = demo[family]
    name = ("StableDiffusionXLControlNetImg2ImgPipeline" if family == "sdxl"
            else "StableDiffusionControlNetImg2ImgPipeline")
    mine = ours(engine, model, family, cn("canny", sketch_image, 0.8, 0.0, 0.5),
                init_image=photo, strength=0.75)
    assert engine.last_injection.controlnets.log == [(0,), ()] + [()]  # 3 steps of 4 run
    theirs = call(pipeline(name, model, controlnet=controlnet(model, "canny")), image=photo,
                  control_image=sketch_image, strength=0.75, controlnet_conditioning_scale=0.8,
                  control_guidance_end=0.5)
    np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("family", ["sdxl", "sd15"])
def test_inpaint_with_a_controlnet_equals_the_controlnet_inpaint_pipeline(
    engine, demo, photo, mask, sketch_image, family
):
    from t2ia_desktop.engine.img2img import paste_back

    model = demo[family]
    name = ("StableDiffusionXLControlNetInpaintPipeline" if family == "sdxl"
            else "StableDiffusionControlNetInpaintPipeline")
    mine = ours(engine, model, family, cn("canny", sketch_image, 0.8),
                init_image=photo, mask_image=mask, strength=1.0)
    theirs = call(pipeline(name, model, controlnet=controlnet(model, "canny")), image=photo,
                  mask_image=mask, control_image=sketch_image, strength=1.0, width=128,
                  height=128, controlnet_conditioning_scale=0.8)
    # the engine keeps the unmasked pixels (engine/img2img.py's paste_back): so does the reference
    np.testing.assert_array_equal(mine, np.array(paste_back(Image.fromarray(theirs), photo, mask)))


@pytest.mark.parametrize("family", ["sdxl", "sd15"])
def test_mixed_run_with_adapters_muted_equals_the_controlnet_pipeline(
    engine, demo, sketch_image, depth_image, family
):
    model = demo[family]
    mine = ours(engine, model, family, ControlSpec("sketch", sketch_image, None, 0.0),
                cn("canny", sketch_image, 0.8), ControlSpec("depth-midas", depth_image, None, 0.0))
    assert engine.last_injection.layers == []
    theirs = call(pipeline(FAMILIES[family], model, controlnet=controlnet(model, "canny")),
                  width=128, height=128, image=sketch_image, controlnet_conditioning_scale=0.8)
    np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("family", ["sdxl", "sd15"])
def test_mixed_run_with_controlnets_muted_equals_the_adapter_pipeline(
    engine, demo, sketch_image, depth_image, family
):
    from diffusers import T2IAdapter

    model = demo[family]
    mine = ours(engine, model, family, cn("canny", sketch_image, 0.0),
                ControlSpec("sketch", sketch_image, None, 0.7),
                cn("depth-midas", depth_image, 0.5, 0.0, 0.2))  # keeps no step of 4
    assert engine.last_injection.controlnets is None
    name = ("StableDiffusionXLAdapterPipeline" if family == "sdxl"
            else "StableDiffusionAdapterPipeline")
    adapter = T2IAdapter.from_pretrained(model / "adapters" / "sketch")
    theirs = call(pipeline(name, model, adapter=adapter), width=128, height=128,
                  image=sketch_image, adapter_conditioning_scale=0.7)
    np.testing.assert_array_equal(mine, theirs)


def test_adapter_and_controlnet_both_reach_the_unet(engine, sdxl_demo, sketch_image,
                                                    depth_image):
    seen = []
    unet = engine.store.base(str(sdxl_demo), "sdxl").unet
    original = unet.forward

    def forward(*args, **kwargs):
        seen.append((kwargs.get("down_intrablock_additional_residuals") is not None,
                     kwargs.get("down_block_additional_residuals") is not None,
                     kwargs.get("mid_block_additional_residual") is not None))
        return original(*args, **kwargs)

    unet.forward = forward
    try:
        both = ours(engine, sdxl_demo, "sdxl", ControlSpec("sketch", sketch_image, None, 0.7,
                                                           0.0, 0.5),
                    cn("depth-midas", depth_image, 0.6, 0.5, 1.0))
    finally:
        del unet.forward
    assert seen == [(True, False, False)] * 2 + [(False, True, True)] * 2
    adapter_only = ours(engine, sdxl_demo, "sdxl",
                        ControlSpec("sketch", sketch_image, None, 0.7, 0.0, 0.5))
    assert not np.array_equal(both, adapter_only)
