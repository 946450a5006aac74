"""ControlNets on every path (sizes, refiner, schedulers, LoRAs, old demo folders) and every
refusal made before the UNet runs (other family, missing union mode, pickle weights, offline,
wrong kind), and out of memory with ControlNets."""

from __future__ import annotations

import shutil
from dataclasses import replace
from functools import partial

import numpy as np
import pytest
import torch

from t2ia_desktop.core.conditions.registry import builtin_conditions, default_registry
from t2ia_desktop.core.errors import BadInput, ModelUnavailable
from t2ia_desktop.core.generation.request import ControlSpec
from t2ia_desktop.core.generation.sampling import SCHEDULER_CHOICES
from t2ia_desktop.core.generation.sdxl_extras import DEMO_REFINER
from t2ia_desktop.engine.generate import Engine
from tests.builders import request

kite = partial(request, prompt="a kite", steps=3, guidance_scale=5.0, seed=5)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return Engine(demo_root=tmp_path_factory.mktemp("demo-root"))


def cn(condition, image, scale=1.0, guide="controlnet", **fields):
    return ControlSpec(condition, image, None, scale, guide=guide, **fields)


@pytest.fixture
def unet_never_runs(monkeypatch):
    from diffusers import UNet2DConditionModel

    def forward(*args, **kwargs):
        raise AssertionError("the UNet ran before the refusal")

    monkeypatch.setattr(UNet2DConditionModel, "forward", forward)


def pixels(image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.int16)


@pytest.mark.parametrize(("family", "size"), [("sdxl", (120, 104)), ("sd15", (72, 64))])
def test_any_size_multiple_of_eight_pads_the_control_image(engine, sdxl_demo, sd15_demo,
                                                            sketch_image, family, size):
    model = sdxl_demo if family == "sdxl" else sd15_demo
    width, height = size
    plain = engine.generate(kite(model, family=family, width=width, height=height))
    guided = engine.generate(kite(model, family=family, width=width, height=height,
                                  controls=(cn("canny", sketch_image),)))
    assert guided.size == size
    layer = engine.last_injection.controlnets.layers[0]
    assert layer.image.shape[-2:] != (height, width)  # the working size, padded
    assert np.abs(pixels(guided) - pixels(plain)).max() > 0


def test_with_the_refiner_only_the_base_steps_are_guided(engine, sdxl_demo, sketch_image):
    engine.generate(kite(sdxl_demo, steps=4, width=64, height=64, refiner=DEMO_REFINER,
                         refiner_switch=0.5, controls=(cn("canny", sketch_image),)))
    assert engine.last_injection.controlnets.log == [(0,), (0,)]  # the base's 2 of 4 steps


def test_every_scheduler_runs_one_controlnet_call_per_step(engine, sdxl_demo, sketch_image):
    for choice in SCHEDULER_CHOICES:
        engine.generate(kite(sdxl_demo, steps=2, scheduler=choice.id,
                             controls=(cn("canny", sketch_image, end=0.5),)))
        assert engine.last_injection.controlnets.log == [(0,), ()], choice.id


def test_a_lora_and_a_controlnet_together(engine, sdxl_demo, sketch_image, tmp_path):
    from diffusers import DiffusionPipeline

    from tests.engine.lora_files import write_lora

    lora = write_lora(DiffusionPipeline.from_pretrained(sdxl_demo), tmp_path / "ink.safetensors",
                      layout="kohya", seed=1)
    guided = kite(sdxl_demo, controls=(cn("canny", sketch_image),))
    styled = pixels(engine.generate(replace(guided, loras=((str(lora), 1.0),))))
    assert engine.last_injection.controlnets.log == [(0,)] * 3
    assert np.abs(styled - pixels(engine.generate(guided))).max() > 0


def test_an_old_demo_folder_gains_its_controlnets(tmp_path, sd15_demo):
    from t2ia_desktop.engine.demo.model import ensure_demo_model

    folder = tmp_path / "sd15"
    shutil.copytree(sd15_demo, folder)
    shutil.rmtree(folder / "controlnets")
    ensure_demo_model(tmp_path, "sd15")
    expected = {c.id for c in builtin_conditions() if "sd15" in c.controlnets}
    assert {p.name for p in (folder / "controlnets").iterdir()} == expected


def test_the_demo_controlnets_are_shaped_like_the_real_ones(sdxl_demo, sd15_demo):
    import json

    for family, model in (("sdxl", sdxl_demo), ("sd15", sd15_demo)):
        unet = json.loads((model / "unet" / "config.json").read_text())
        for condition in (c for c in builtin_conditions() if family in c.controlnets):
            config = json.loads((model / "controlnets" / condition.id / "config.json").read_text())
            assert config["_class_name"] == "ControlNetModel"
            assert config["conditioning_channels"] == 3
            assert config["block_out_channels"] == unet["block_out_channels"]
            assert config["cross_attention_dim"] == unet["cross_attention_dim"]
            assert config["addition_embed_type"] == unet["addition_embed_type"]
    union = json.loads((sdxl_demo / "controlnets" / "union" / "config.json").read_text())
    assert union["_class_name"] == "ControlNetUnionModel"
    assert union["num_control_type"] == 6
    assert not (sd15_demo / "controlnets" / "union").exists()


@pytest.mark.usefixtures("unet_never_runs")
def test_a_controlnet_of_the_other_family_is_refused_naming_both(sdxl_demo, sd15_demo,
                                                                 sketch_image, tmp_path):
    engine = Engine(demo_root=tmp_path / "demo")
    other = str(sd15_demo / "controlnets" / "canny")
    with pytest.raises(BadInput, match=r"is an SD1\.5 ControlNet, but the model is SDXL.*"
                                       r"switch the model family to sd15"):
        engine.generate(kite(sdxl_demo, controls=(replace(cn("canny", sketch_image),
                                                          controlnet=other),)))
    other = str(sdxl_demo / "controlnets" / "canny")
    with pytest.raises(BadInput, match=r"is an SDXL ControlNet, but the model is SD1\.5"):
        engine.generate(kite(sd15_demo, family="sd15",
                             controls=(replace(cn("canny", sketch_image), controlnet=other),)))


@pytest.mark.usefixtures("unet_never_runs")
def test_a_union_mode_the_model_lacks_is_refused(sdxl_demo, sketch_image, tmp_path):
    canny = next(c for c in builtin_conditions() if c.id == "canny")
    registry = default_registry([replace(canny, id="tile", label="Tile", union_mode=6,
                                         source="test plugin")])
    engine = Engine(demo_root=tmp_path / "demo", registry=registry)
    with pytest.raises(BadInput, match=r"knows 6 control types \(modes 0 to 5\), not mode 6, "
                                       r"which the tile condition needs"):
        engine.generate(kite(sdxl_demo, controls=(cn("tile", sketch_image, guide="union"),)))


@pytest.mark.usefixtures("unet_never_runs")
def test_guides_a_condition_or_family_lacks_are_refused(engine, sdxl_demo, sd15_demo,
                                                        sketch_image):
    with pytest.raises(BadInput, match="no ControlNet for SDXL models; it works with SD15"):
        engine.generate(kite(sdxl_demo, controls=(cn("lineart", sketch_image),)))
    with pytest.raises(BadInput, match="no ControlNet Union for SD15 models"):
        engine.generate(kite(sd15_demo, family="sd15",
                             controls=(cn("canny", sketch_image, guide="union"),)))
    plain = str(sdxl_demo / "controlnets" / "canny")
    with pytest.raises(BadInput, match="is a plain ControlNet, not a ControlNet Union model"):
        engine.generate(kite(sdxl_demo, controls=(replace(
            cn("canny", sketch_image, guide="union"), controlnet=plain),)))
    union = str(sdxl_demo / "controlnets" / "union")
    with pytest.raises(BadInput, match="is a ControlNet Union model: choose the ControlNet Union"):
        engine.generate(kite(sdxl_demo, controls=(replace(cn("canny", sketch_image),
                                                          controlnet=union),)))


@pytest.mark.usefixtures("unet_never_runs")
def test_pickle_weights_are_refused_and_missing_weights_offline_are_told(
    engine, sdxl_demo, sketch_image, tmp_path
):
    pickled = tmp_path / "pickled-controlnet"
    pickled.mkdir()
    shutil.copy(sdxl_demo / "controlnets" / "canny" / "config.json", pickled / "config.json")
    torch.save({}, pickled / "diffusion_pytorch_model.bin")
    with pytest.raises(BadInput, match=r"holds only pickle weights \(diffusion_pytorch_model"
                                       r"\.bin\).*only \.safetensors ControlNets are loaded"):
        engine.generate(kite(sdxl_demo, controls=(replace(cn("canny", sketch_image),
                                                          controlnet=str(pickled)),)))
    with pytest.raises(ModelUnavailable, match="The canny ControlNet someone/missing-controlnet "
                                               r"is not on this machine.*offline mode"):
        engine.generate(kite(sdxl_demo, controls=(replace(
            cn("canny", sketch_image), controlnet="someone/missing-controlnet"),)))


def test_a_muted_controlnet_is_not_even_loaded(sdxl_demo, sketch_image, tmp_path):
    engine = Engine(demo_root=tmp_path / "demo")
    engine.generate(kite(sdxl_demo, controls=(cn("canny", sketch_image, 0.0),
                                              cn("openpose", sketch_image, start=0.9))))
    assert engine.last_injection.controlnets is None
    assert len(engine.store.controlnets) == 0


def test_out_of_memory_with_controlnets_fails_the_job_with_advice(sdxl_demo, sketch_image,
                                                                  depth_image, tmp_path,
                                                                  monkeypatch):
    from diffusers import ControlNetModel

    from t2ia_desktop.engine.oom import OutOfMemory

    engine = Engine(demo_root=tmp_path / "demo")

    def forward(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(ControlNetModel, "forward", forward)
    controls = (cn("canny", sketch_image), cn("depth-midas", depth_image),
                ControlSpec("sketch", sketch_image))
    with pytest.raises(OutOfMemory) as raised:
        engine.generate(kite(sdxl_demo, controls=controls))
    text = str(raised.value)
    assert "fewer control layers" in text
    assert "T2I-Adapters instead of ControlNets" in text
    assert len(engine.store.controlnets) == 0  # dropped: the next job starts with the memory
    monkeypatch.undo()
    assert engine.generate(kite(sdxl_demo, controls=controls)).size == (64, 64)  # it goes on
