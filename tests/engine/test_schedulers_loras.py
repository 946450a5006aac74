"""Schedulers, style LoRAs and few-step speed LoRAs on the tiny demo models."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

from t2ia_desktop.core.errors import BadInput, ModelUnavailable
from t2ia_desktop.core.generation.sampling import SCHEDULER_CHOICES, SPEED_BY_ID
from tests.builders import request
from tests.engine.lora_files import put_in_hub_cache, write_lora


@pytest.fixture(scope="module")
def engine():
    from t2ia_desktop.engine.generate import Engine

    return Engine(device="cpu")


dusk = partial(request, prompt="a lighthouse at dusk", seed=7, guidance_scale=5.0)


def pixels(engine, req) -> np.ndarray:
    return np.asarray(engine.generate(req).convert("RGB"), dtype=np.int16)


@pytest.fixture(scope="module")
def sdxl_loras(sdxl_demo, tmp_path_factory):
    """A kohya-layout and a peft-layout LoRA for the SDXL demo model (written from a pipeline
    no LoRA was ever loaded into)."""
    from diffusers import DiffusionPipeline

    folder = tmp_path_factory.mktemp("loras")
    pipe = DiffusionPipeline.from_pretrained(sdxl_demo)
    return (write_lora(pipe, folder / "ink style.safetensors", layout="kohya", seed=1),
            write_lora(pipe, folder / "watercolour.safetensors", layout="peft", seed=2))


def test_every_scheduler_runs_and_they_differ(engine, sdxl_demo):
    images = {c.id: pixels(engine, dusk(sdxl_demo, scheduler=c.id))
              for c in SCHEDULER_CHOICES}
    assert all(image.shape == (64, 64, 3) for image in images.values())
    assert not np.array_equal(images["euler-a"], images["euler"])
    assert not np.array_equal(images["dpmpp-2m"], images["dpmpp-2m-karras"])
    assert not np.array_equal(images["euler"], images["euler-trailing"])
    assert not np.array_equal(images["ddim"], images["ddim-trailing"])
    assert not np.array_equal(images["lcm"], images["unipc"])


def test_scheduler_options_reach_diffusers(engine, sdxl_demo):
    from diffusers import DPMSolverMultistepScheduler, EulerDiscreteScheduler, LCMScheduler

    from t2ia_desktop.engine.schedulers import make_scheduler

    engine.store.base(str(sdxl_demo), "sdxl")
    config = engine.store.scheduler_config
    karras = make_scheduler("dpmpp-2m-karras", config)
    assert isinstance(karras, DPMSolverMultistepScheduler)
    assert karras.config.use_karras_sigmas
    trailing = make_scheduler("euler-trailing", config)
    assert isinstance(trailing, EulerDiscreteScheduler)
    assert trailing.config.timestep_spacing == "trailing"
    assert isinstance(make_scheduler("lcm", config), LCMScheduler)
    assert config["beta_schedule"] == trailing.config.beta_schedule  # the model's noise schedule


def test_sd15_runs_with_a_few_step_scheduler(engine, sd15_demo):
    image = pixels(engine, dusk(sd15_demo, family="sd15", scheduler="tcd", steps=2))
    assert image.shape == (64, 64, 3)


def test_style_lora_changes_the_picture_and_weight_zero_does_not(engine, sdxl_demo, sdxl_loras):
    kohya, _ = sdxl_loras
    plain = pixels(engine, dusk(sdxl_demo))
    styled = pixels(engine, dusk(sdxl_demo, loras=((str(kohya), 1.0),)))
    muted = pixels(engine, dusk(sdxl_demo, loras=((str(kohya), 0.0),)))
    assert np.abs(styled - plain).max() > 10
    # Weight 0 adds nothing; CPU kernels may differ in the last float bit once layers are
    # wrapped, so allow one level of 255.
    assert np.abs(muted - plain).max() <= 1
    assert engine.loras.loads == 1  # the second job reused the loaded LoRA


def test_lora_free_request_after_loras_is_the_plain_picture(engine, sdxl_demo, sdxl_loras):
    kohya, peft = sdxl_loras
    plain = pixels(engine, dusk(sdxl_demo, seed=11))
    both = pixels(engine, dusk(sdxl_demo, seed=11,
                               loras=((str(kohya), 0.8), (str(peft), 0.6))))
    only_peft = pixels(engine, dusk(sdxl_demo, seed=11, loras=((str(peft), 0.6),)))
    again = pixels(engine, dusk(sdxl_demo, seed=11))
    assert np.abs(both - only_peft).max() > 10  # the kohya one was switched off
    assert np.abs(only_peft - plain).max() > 10
    assert np.abs(again - plain).max() <= 1


def test_weights_scale_the_lora(engine, sdxl_demo, sdxl_loras):
    kohya, _ = sdxl_loras
    plain = pixels(engine, dusk(sdxl_demo, seed=3))
    light = pixels(engine, dusk(sdxl_demo, seed=3, loras=((str(kohya), 0.2),)))
    full = pixels(engine, dusk(sdxl_demo, seed=3, loras=((str(kohya), 1.0),)))
    assert 0 < np.abs(light - plain).mean() < np.abs(full - plain).mean()


def test_pickle_and_missing_loras_are_refused(sdxl_demo, tmp_path):
    for name in ("style.ckpt", "style.bin", "style.pt"):
        (tmp_path / name).write_bytes(b"\x80\x04")
        with pytest.raises(BadInput, match="pickle"):
            dusk(sdxl_demo, loras=((str(tmp_path / name), 1.0),)).validate()
    with pytest.raises(BadInput, match="does not exist"):
        dusk(sdxl_demo, loras=((str(tmp_path / "gone.safetensors"), 1.0),)).validate()
    (tmp_path / "ok.safetensors").write_bytes(b"")
    with pytest.raises(BadInput, match="between -2 and 2"):
        dusk(sdxl_demo, loras=((str(tmp_path / "ok.safetensors"), 5.0),)).validate()


def test_a_lora_for_another_family_gets_a_clear_message(engine, sdxl_demo, sd15_demo, tmp_path):
    from diffusers import DiffusionPipeline

    sd15_lora = write_lora(DiffusionPipeline.from_pretrained(sd15_demo),
                           tmp_path / "sd15 style.safetensors", text_encoders=False)
    with pytest.raises(BadInput, match="sd15 style.safetensors"):
        engine.generate(dusk(sdxl_demo, loras=((str(sd15_lora), 1.0),)))
    corrupt = tmp_path / "broken.safetensors"
    corrupt.write_bytes(b"not a safetensors file")
    with pytest.raises(BadInput, match="broken.safetensors"):
        engine.generate(dusk(sdxl_demo, loras=((str(corrupt), 1.0),)))
    assert pixels(engine, dusk(sdxl_demo)).shape == (64, 64, 3)  # the engine still works


def test_speed_lora_from_the_hub_cache(engine, sdxl_demo, sdxl_loras, tmp_path, monkeypatch):
    from huggingface_hub import constants

    preset = SPEED_BY_ID["lightning-4"]
    repo, filename = preset.file_for("sdxl")
    fast = dusk(sdxl_demo, speed="lightning-4", scheduler=preset.scheduler,
                steps=preset.steps, guidance_scale=preset.guidance_scale)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty"))
    with pytest.raises(ModelUnavailable, match=filename):
        engine.generate(fast)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    put_in_hub_cache(tmp_path / "hub", repo, filename, sdxl_loras[0])
    with_lora = pixels(engine, fast)
    without = pixels(engine, fast.with_changes(speed="normal"))
    assert np.abs(with_lora - without).max() > 10


def test_speed_preset_for_a_family_without_its_lora_is_refused(sd15_demo):
    with pytest.raises(BadInput, match="SD15"):
        dusk(sd15_demo, family="sd15", speed="lightning-4").validate()


def test_cli_generates_with_a_lora_and_a_scheduler(sdxl_demo, sdxl_loras, tmp_path):
    from PIL import Image

    from t2ia_desktop.cli.main import main

    def run(*extra):
        out = tmp_path / f"out{len(extra)}.png"
        assert main(["generate", "--model", str(sdxl_demo), "--prompt", "a lighthouse",
                     "--width", "64", "--height", "64", "--steps", "2", "--seed", "3",
                     "--scheduler", "dpmpp-2m-karras", "--out", str(out), *extra]) == 0
        return np.asarray(Image.open(out).convert("RGB"), dtype=np.int16)

    assert np.abs(run("--lora", f"{sdxl_loras[0]}:0.9") - run()).max() > 10
