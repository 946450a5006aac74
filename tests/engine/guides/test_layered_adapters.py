"""Per-layer step ranges equal diffusers' adapter pipelines; adapter features are cached."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import torch

from t2ia_desktop.core.generation.request import ControlSpec
from t2ia_desktop.engine.generate import Engine
from tests.builders import request

STEPS = 4


dusk = partial(request, prompt="a lighthouse at dusk", negative_prompt="blurry", steps=STEPS,
               width=128, height=128, guidance_scale=5.0, seed=1234)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return Engine(demo_root=tmp_path_factory.mktemp("demo-root"))


def reference(model, family, conditions, images, scales, factor):
    """The diffusers adapter pipeline itself (MultiAdapter for several controls).

    SD1.5's pipeline has no ``adapter_conditioning_factor``; the SDXL pipeline's rule
    (features while ``i < int(steps * factor)``) is applied to it by a UNet pre-hook.
    """
    from diffusers import (
        MultiAdapter,
        StableDiffusionAdapterPipeline,
        StableDiffusionXLAdapterPipeline,
        T2IAdapter,
    )

    adapters = [T2IAdapter.from_pretrained(model / "adapters" / c) for c in conditions]
    adapter = adapters[0] if len(adapters) == 1 else MultiAdapter(adapters)
    cls = StableDiffusionXLAdapterPipeline if family == "sdxl" else StableDiffusionAdapterPipeline
    pipe = cls.from_pretrained(model, adapter=adapter)
    pipe.set_progress_bar_config(disable=True)
    extra = {"adapter_conditioning_factor": factor} if family == "sdxl" else {}
    calls = []

    def drop_late(module, args, kwargs):
        if len(calls) >= int(STEPS * factor):
            kwargs["down_intrablock_additional_residuals"] = None
        calls.append(1)
        return args, kwargs

    handle = pipe.unet.register_forward_pre_hook(drop_late, with_kwargs=True)
    try:
        image = pipe(
            prompt="a lighthouse at dusk", negative_prompt="blurry", num_inference_steps=STEPS,
            guidance_scale=5.0, width=128, height=128,
            generator=torch.Generator("cpu").manual_seed(1234),
            image=images[0] if len(images) == 1 else images,
            adapter_conditioning_scale=scales[0] if len(scales) == 1 else scales, **extra,
        ).images[0]
    finally:
        handle.remove()
    return np.array(image)


@pytest.mark.parametrize("family", ["sdxl", "sd15"])
@pytest.mark.parametrize("count", [1, 2])
def test_ranges_zero_to_f_equal_the_adapter_pipeline_with_factor_f(
    engine, sdxl_demo, sd15_demo, sketch_image, depth_image, family, count
):
    model = sdxl_demo if family == "sdxl" else sd15_demo
    conditions, images, scales = ["sketch", "depth-midas"][:count], [sketch_image, depth_image][
        :count], [0.9, 0.6][:count]
    controls = tuple(ControlSpec(c, image, None, scale, start=0.0, end=0.5)
                     for c, image, scale in zip(conditions, images, scales, strict=True))
    ours = np.array(engine.generate(dusk(model, family=family, controls=controls)))
    assert engine.last_injection.log == [tuple(range(count))] * 2 + [(), ()]
    theirs = reference(model, family, conditions, images, scales, factor=0.5)
    np.testing.assert_array_equal(ours, theirs)


def test_a_late_range_differs_from_the_full_range_and_from_none(engine, sdxl_demo, sketch_image):
    def image(*controls):
        return np.array(engine.generate(dusk(sdxl_demo, controls=controls)))

    late = image(ControlSpec("sketch", sketch_image, start=0.5, end=1.0))
    assert engine.last_injection.log == [(), (), (0,), (0,)]
    full = image(ControlSpec("sketch", sketch_image))
    assert engine.last_injection.log == [(0,)] * 4
    none = image()
    assert not np.array_equal(late, full)
    assert not np.array_equal(late, none)


def test_each_layer_reaches_the_unet_in_its_own_range_under_the_global_factor(
    engine, sdxl_demo, sketch_image, depth_image
):
    controls = (ControlSpec("sketch", sketch_image, start=0.0, end=0.5),
                ControlSpec("depth-midas", depth_image, start=0.25, end=1.0))
    engine.generate(dusk(sdxl_demo, controls=controls))
    assert engine.last_injection.log == [(0,), (0, 1), (1,), (1,)]
    engine.generate(dusk(sdxl_demo, controls=controls, adapter_conditioning_factor=0.75))
    assert engine.last_injection.log == [(0,), (0, 1), (1,), ()]


def test_the_injected_residuals_are_the_scaled_sum_of_the_active_layers(
    engine, sdxl_demo, sketch_image, depth_image
):
    seen = []

    def record(module, args, kwargs):
        residuals = kwargs.get("down_intrablock_additional_residuals")
        seen.append(None if residuals is None else [r.clone() for r in residuals])

    controls = (ControlSpec("sketch", sketch_image, None, 0.9, start=0.0, end=0.5),
                ControlSpec("depth-midas", depth_image, None, 0.6, start=0.5, end=1.0))
    unet = engine.store.base(str(sdxl_demo), "sdxl").unet
    # The module's forward runs after every pre-hook: wrap it to see what the UNet receives
    # (copies, since the UNet pops from the list).
    original = unet.forward

    def forward(*args, **kwargs):
        record(unet, args, kwargs)
        return original(*args, **kwargs)

    unet.forward = forward
    try:
        engine.generate(dusk(sdxl_demo, controls=controls))
    finally:
        del unet.forward
    sketch = engine.adapter_features(
        str(sdxl_demo / "adapters" / "sketch"), controls[0], (128, 128), (128, 128))
    depth = engine.adapter_features(
        str(sdxl_demo / "adapters" / "depth-midas"), controls[1], (128, 128), (128, 128))
    assert len(seen) == STEPS
    for step, residuals in enumerate(seen):
        features, scale = (sketch, 0.9) if step < 2 else (depth, 0.6)
        for got, want in zip(residuals, features, strict=True):
            assert got.shape[0] == 2  # classifier-free guidance: both halves guided
            torch.testing.assert_close(got, torch.cat([want * scale] * 2), rtol=0, atol=0)


def test_rerun_with_unchanged_controls_skips_the_adapters(engine, sdxl_demo, sketch_image,
                                                         depth_image):
    engine.features.clear()
    calls = []
    adapters = [engine.store.adapter(str(sdxl_demo / "adapters" / c), c)
                for c in ("sketch", "depth-midas")]
    handles = [a.register_forward_hook(lambda *hook_args: calls.append(1)) for a in adapters]
    try:
        controls = (ControlSpec("sketch", sketch_image, None, 0.8),
                    ControlSpec("depth-midas", depth_image, None, 0.5, start=0.5))
        first = np.array(engine.generate(dusk(sdxl_demo, controls=controls)))
        assert len(calls) == 2
        again = np.array(engine.generate(dusk(sdxl_demo, controls=controls, seed=99)))
        assert len(calls) == 2  # nothing recomputed for a new seed
        rescaled = (ControlSpec("sketch", sketch_image, None, 0.4),) + controls[1:]
        engine.generate(dusk(sdxl_demo, controls=rescaled))
        assert len(calls) == 2  # features are kept unscaled
        repeat = np.array(engine.generate(dusk(sdxl_demo, controls=controls)))
        assert len(calls) == 2
        np.testing.assert_array_equal(repeat, first)
        assert not np.array_equal(again, first)
        changed = (ControlSpec("sketch", sketch_image.rotate(90), None, 0.8),) + controls[1:]
        engine.generate(dusk(sdxl_demo, controls=changed))
        assert len(calls) == 3  # only the changed control runs its adapter
    finally:
        for handle in handles:
            handle.remove()


def test_the_feature_cache_is_bounded_by_bytes():
    from t2ia_desktop.engine.guides.adapter_features import FeatureCache, FeatureKey

    cache = FeatureCache(max_bytes=3 * 4 * 100)  # room for three sets of 100 float32
    for number in range(5):
        key = FeatureKey(f"adapter{number}", "image", (64, 64), "float32", "cpu")
        cache.get(key, lambda: [torch.zeros(100)])
    assert len(cache) == 3
    assert cache.bytes <= cache.max_bytes
    kept = FeatureKey("adapter4", "image", (64, 64), "float32", "cpu")
    cache.get(kept, lambda: pytest.fail("a kept set must not be computed again"))
    assert cache.hits == 1
    assert cache.misses == 5
