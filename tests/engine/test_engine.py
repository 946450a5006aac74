from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from PIL import Image

from t2ia_desktop.core.errors import BadInput, Cancelled, ModelUnavailable
from t2ia_desktop.core.generation.request import DEMO_MODEL, ControlSpec
from t2ia_desktop.engine.generate import Engine
from tests.builders import request

fox = partial(request, prompt="a fox", steps=5, width=128, height=128, guidance_scale=4.0,
              seed=5)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return Engine(demo_root=tmp_path_factory.mktemp("demo-root"))


def test_reports_every_step(engine, sdxl_demo, sketch_image):
    steps = []
    image = engine.generate(
        fox(sdxl_demo, controls=(ControlSpec("sketch", sketch_image),)),
        on_step=lambda step, total: steps.append((step, total)),
    )
    assert image.size == (128, 128)
    assert steps == [(i, 5) for i in range(6)]


@pytest.mark.parametrize("with_control", [True, False])
def test_cancel_stops_within_one_step(engine, sdxl_demo, sketch_image, with_control):
    seen = []
    controls = (ControlSpec("sketch", sketch_image),) if with_control else ()
    with pytest.raises(Cancelled):
        engine.generate(
            fox(sdxl_demo, steps=20, controls=controls),
            on_step=lambda step, total: seen.append(step),
            should_stop=lambda: len(seen) > 2,  # ask to stop after step 2 is reported
        )
    assert seen == [0, 1, 2]


def test_demo_model_is_written_on_first_use(engine, sketch_image):
    image = engine.generate(fox(DEMO_MODEL, controls=(ControlSpec("sketch", sketch_image),)))
    assert image.size == (128, 128)
    assert (engine.store.demo_root / "sdxl" / "adapters" / "sketch").is_dir()


def test_same_seed_same_image_and_scale_zero_matches_no_control(engine, sdxl_demo, sketch_image):
    plain = np.array(engine.generate(fox(sdxl_demo)))
    again = np.array(engine.generate(fox(sdxl_demo)))
    np.testing.assert_array_equal(plain, again)
    muted_sketch = ControlSpec("sketch", sketch_image, None, 0.0)
    muted = engine.generate(fox(sdxl_demo, controls=(muted_sketch,)))
    np.testing.assert_array_equal(np.array(muted), plain)
    guided = engine.generate(fox(sdxl_demo, controls=(ControlSpec("sketch", sketch_image),)))
    assert not np.array_equal(np.array(guided), plain)


def test_rgb_control_is_converted_for_a_one_channel_adapter(engine, sdxl_demo, sketch_image):
    as_l = engine.generate(fox(sdxl_demo, controls=(ControlSpec("sketch", sketch_image),)))
    as_rgb = engine.generate(
        fox(sdxl_demo, controls=(ControlSpec("sketch", sketch_image.convert("RGB")),))
    )
    np.testing.assert_array_equal(np.array(as_l), np.array(as_rgb))


def test_family_mismatch_is_a_clear_error(engine, sd15_demo):
    with pytest.raises(BadInput, match="SD1.5 model, not SDXL"):
        engine.generate(fox(sd15_demo, family="sdxl"))


def test_condition_without_adapter_for_family(engine, sdxl_demo, sketch_image):
    with pytest.raises(BadInput, match="no adapter for SDXL"):
        engine.generate(fox(sdxl_demo, controls=(ControlSpec("color", sketch_image),)))


def test_missing_model_offline_says_what_to_do(engine):
    with pytest.raises(ModelUnavailable, match="demo model"):
        engine.generate(fox("stabilityai/stable-diffusion-xl-base-1.0"))


def test_missing_adapter_offline_names_it(engine, tmp_path, sdxl_demo, sketch_image):
    with pytest.raises(ModelUnavailable, match="t2i-adapter-lineart-sdxl-1.0"):
        engine.generate(fox(sdxl_demo, controls=(
            ControlSpec("lineart", sketch_image, "TencentARC/t2i-adapter-lineart-sdxl-1.0"),)))


def test_folder_that_is_not_a_pipeline(engine, tmp_path):
    (tmp_path / "readme.txt").write_text("not a model")
    with pytest.raises(BadInput, match="not a diffusers model folder"):
        engine.generate(fox(tmp_path))


@pytest.mark.parametrize("family", ["sdxl", "sd15"])
@pytest.mark.parametrize("size", [(200, 136), (72, 264)])
def test_any_multiple_of_8_works_and_comes_back_at_that_size(
    engine, sdxl_demo, sd15_demo, sketch_image, depth_image, family, size
):
    model = sdxl_demo if family == "sdxl" else sd15_demo
    controls = (ControlSpec("sketch", sketch_image, None, 0.8),
                ControlSpec("depth-midas", depth_image, None, 0.5))
    image = engine.generate(fox(model, family=family, width=size[0], height=size[1],
                                steps=2, controls=controls))
    assert image.size == size


def test_padding_leaves_sizes_the_models_take_untouched():
    from t2ia_desktop.engine.generate import pad_control, working_size

    assert working_size(1024, 768, "sdxl") == (1024, 768)
    assert working_size(1000, 776, "sdxl") == (1024, 800)
    assert working_size(520, 512, "sd15") == (576, 512)
    control = Image.new("L", (50, 40), 255)
    padded = pad_control(control, (50, 40), (64, 64))
    assert padded.size == (64, 64)
    pixels = np.array(padded)
    assert pixels[:40, :50].min() == 255
    assert pixels[40:, :].max() == 0
    assert pixels[:, 50:].max() == 0
