"""img2img and inpainting through the standard pipelines, guided by adapters."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from PIL import Image

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.request import ControlSpec
from t2ia_desktop.engine.generate import Engine
from tests.builders import request


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return Engine(demo_root=tmp_path_factory.mktemp("demo-root"))


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[:128, :128]
    pixels = np.stack([xx * 2, yy * 2, (xx + yy)], -1) + rng.integers(0, 20, (128, 128, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


@pytest.fixture(scope="module")
def mask() -> Image.Image:
    pixels = np.zeros((128, 128), np.uint8)
    pixels[32:96, 40:100] = 255
    return Image.fromarray(pixels, "L")


red_barn = partial(request, prompt="a red barn", steps=4, width=128, height=128,
                   guidance_scale=4.0, seed=11)


def model_for(family, sdxl_demo, sd15_demo):
    return sdxl_demo if family == "sdxl" else sd15_demo


@pytest.mark.parametrize("family", ["sdxl", "sd15"])
def test_strength_zero_returns_the_init_image(engine, sdxl_demo, sd15_demo, photo, family):
    steps = []
    image = engine.generate(
        red_barn(model_for(family, sdxl_demo, sd15_demo), family=family, init_image=photo,
                 strength=0.0),
        on_step=lambda step, total: steps.append((step, total)))
    np.testing.assert_array_equal(np.array(image), np.array(photo))
    assert steps[-1][0] == steps[-1][1]


@pytest.mark.parametrize("family", ["sdxl", "sd15"])
def test_img2img_runs_the_strength_share_of_steps_and_adapters_guide_it(
    engine, sdxl_demo, sd15_demo, photo, sketch_image, family
):
    model = model_for(family, sdxl_demo, sd15_demo)
    steps = []
    plain = engine.generate(red_barn(model, family=family, init_image=photo, strength=0.5),
                            on_step=lambda step, total: steps.append((step, total)))
    assert steps == [(0, 2), (1, 2), (2, 2)]  # int(4 * 0.5) steps run
    assert plain.size == (128, 128)
    guided = engine.generate(red_barn(model, family=family, init_image=photo, strength=0.5,
                                      controls=(ControlSpec("sketch", sketch_image),)))
    assert engine.last_injection.log == [(0,), (0,)]
    assert not np.array_equal(np.array(guided), np.array(plain))
    late = engine.generate(red_barn(model, family=family, init_image=photo, strength=0.5,
                                    controls=(ControlSpec("sketch", sketch_image, start=0.5),)))
    assert engine.last_injection.log == [(), (0,)]
    assert not np.array_equal(np.array(late), np.array(guided))


@pytest.mark.parametrize("family", ["sdxl", "sd15"])
def test_inpainting_keeps_the_unmasked_pixels_and_adapters_guide_the_rest(
    engine, sdxl_demo, sd15_demo, photo, mask, sketch_image, family
):
    model = model_for(family, sdxl_demo, sd15_demo)
    outside = np.array(mask) == 0
    plain = np.array(engine.generate(
        red_barn(model, family=family, init_image=photo, mask_image=mask, strength=1.0)))
    guided = np.array(engine.generate(
        red_barn(model, family=family, init_image=photo, mask_image=mask, strength=1.0,
                 controls=(ControlSpec("sketch", sketch_image),))))
    assert engine.last_injection.log == [(0,)] * 4
    for image in (plain, guided):
        np.testing.assert_array_equal(image[outside], np.array(photo)[outside])
        assert not np.array_equal(image[~outside], np.array(photo)[~outside])
    assert not np.array_equal(guided[~outside], plain[~outside])


def test_inpainting_at_a_size_the_models_do_not_take(engine, sdxl_demo, sketch_image):
    photo = Image.new("RGB", (200, 136), (200, 180, 90))
    mask = Image.new("L", (200, 136), 0)
    mask.paste(255, (50, 30, 150, 100))
    image = engine.generate(red_barn(sdxl_demo, family="sdxl", width=200, height=136,
                                     init_image=photo, mask_image=mask, strength=0.75,
                                     controls=(ControlSpec("sketch", sketch_image),)))
    assert image.size == (200, 136)
    assert np.array(image)[:30].tolist() == np.array(photo)[:30].tolist()


def test_an_init_image_of_another_size_is_scaled_to_the_request(engine, sdxl_demo, photo):
    big = photo.resize((256, 256))
    image = engine.generate(red_barn(sdxl_demo, family="sdxl", init_image=big, strength=0.0))
    assert image.size == (128, 128)


@pytest.mark.parametrize(("changes", "message"), [
    ({"strength": 1.5}, "strength must be between 0 and 1"),
    ({"mask_image": Image.new("L", (64, 64))}, "use a mask of the same size"),
    ({"init_image": None, "mask_image": Image.new("L", (128, 128))}, "needs an init image"),
    ({"controls": (ControlSpec("sketch", Image.new("L", (8, 8)), start=0.7, end=0.2),)},
     "0 <= start <= end <= 1"),
])
def test_bad_img2img_input_is_refused_before_any_work(engine, photo, changes, message):
    bad = red_barn("demo", family="sdxl", init_image=photo).with_changes(**changes)
    with pytest.raises(BadInput, match=message):
        engine.generate(bad)
