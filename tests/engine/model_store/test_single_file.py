"""Single-file checkpoints: the family read from the keys, pickles refused, bad files named,
and the demo model written in the original key layout loading and painting exactly as its
diffusers folder does, offline."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from t2ia_desktop.core.errors import BadInput, ModelUnavailable
from t2ia_desktop.core.generation.checkpoints import ModelList, checkpoint_family, refuse_pickle
from t2ia_desktop.core.generation.request import ControlSpec, GenerationRequest
from t2ia_desktop.engine import single_file
from t2ia_desktop.engine.generate import Engine
from tests.engine.ldm_checkpoint import write_ldm


@pytest.fixture(scope="module")
def sdxl_file(sdxl_demo, tmp_path_factory):
    return write_ldm(sdxl_demo, "sdxl", tmp_path_factory.mktemp("ckpt") / "tiny-xl.safetensors")


@pytest.fixture(scope="module")
def sd15_file(sd15_demo, tmp_path_factory):
    return write_ldm(sd15_demo, "sd15", tmp_path_factory.mktemp("ckpt") / "tiny-15.safetensors")


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return Engine(demo_root=tmp_path_factory.mktemp("demo-root"), device="cpu")


def fake_checkpoint(path, keys):
    save_file({key: torch.zeros(shape) for key, shape in keys.items()}, str(path))
    return path


@pytest.mark.parametrize("suffix", [".ckpt", ".bin", ".pt", ".pth", ".CKPT"])
def test_pickle_checkpoints_are_refused_with_what_to_do(tmp_path, suffix):
    path = tmp_path / f"model{suffix}"
    path.write_bytes(b"\x80\x04not opened")  # never read: refused by its kind
    for check in (refuse_pickle, checkpoint_family):
        with pytest.raises(BadInput, match=r"pickle checkpoint.*\.safetensors version"):
            check(path)


def test_a_pickle_model_in_a_request_fails_before_any_work(engine, tmp_path):
    path = tmp_path / "model.ckpt"
    path.write_bytes(b"\x80\x04")
    with pytest.raises(BadInput, match="pickle checkpoint"):
        engine.generate(GenerationRequest(model=str(path), prompt="x", width=64, height=64,
                                          steps=1))


def test_the_family_is_read_from_the_keys(sdxl_file, sd15_file):
    assert checkpoint_family(sdxl_file) == "sdxl"
    assert checkpoint_family(sd15_file) == "sd15"


@pytest.mark.parametrize(("keys", "message"), [
    ({"model.diffusion_model.input_blocks.0.0.weight": (4, 4, 3, 3),
      "conditioner.embedders.0.model.text_projection": (4, 4)}, "SDXL refiner"),
    ({"model.diffusion_model.input_blocks.0.0.weight": (4, 4, 3, 3),
      "cond_stage_model.model.token_embedding.weight": (4, 4)}, "Stable Diffusion 2"),
    ({"model.diffusion_model.input_blocks.0.0.weight": (4, 9, 3, 3),
      "cond_stage_model.transformer.x": (1,)}, "inpainting or edit model"),
    ({"lora_unet_down_blocks_0.alpha": (1,)}, "is a LoRA"),
    ({"down_blocks.0.resnets.0.conv1.weight": (4, 4, 3, 3)}, "not a whole checkpoint"),
])
def test_checkpoints_the_app_cannot_paint_with_are_named(tmp_path, keys, message):
    path = fake_checkpoint(tmp_path / "other.safetensors", keys)
    with pytest.raises(BadInput, match=message):
        checkpoint_family(path)


def test_a_damaged_file_says_download_it_again(tmp_path, sd15_file):
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(sd15_file.read_bytes()[:4])
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"\xff" * 64)
    for path in (cut, garbage):
        with pytest.raises(BadInput, match="damaged or not a safetensors file.*download it"):
            checkpoint_family(path)


def test_single_file_loads_the_same_weights_as_the_folder(sd15_file, sd15_demo):
    from diffusers import DiffusionPipeline

    loaded = single_file.load_single_file(sd15_file, "sd15", torch.float32,
                                          config=str(sd15_demo))
    reference = DiffusionPipeline.from_pretrained(sd15_demo)
    for name in ("unet", "vae", "text_encoder"):
        ours, theirs = getattr(loaded, name).state_dict(), getattr(reference, name).state_dict()
        assert set(ours) == set(theirs)
        for key, value in theirs.items():
            assert torch.equal(ours[key], value), f"{name}.{key}"


def test_a_single_file_model_paints_exactly_like_its_folder(engine, sdxl_file, sdxl_demo,
                                                           sketch_image):
    ModelList.load().add_local(sdxl_file, config=str(sdxl_demo))  # as the model manager does
    sketch = ControlSpec("sketch", sketch_image, adapter=str(sdxl_demo / "adapters" / "sketch"))
    request = GenerationRequest(model=str(sdxl_demo), prompt="a fox", steps=3, width=64,
                                height=64, seed=3, controls=(sketch,))
    from_folder = np.array(engine.generate(request))
    from_file = np.array(engine.generate(request.with_changes(model=str(sdxl_file))))
    np.testing.assert_array_equal(from_file, from_folder)


def test_family_mismatch_is_told_before_loading(engine, sd15_file):
    with pytest.raises(BadInput, match="is an SD1.5 checkpoint, not SDXL; choose family sd15"):
        engine.generate(GenerationRequest(model=str(sd15_file), prompt="x", family="sdxl",
                                          width=64, height=64, steps=1))


def test_offline_without_the_base_configs_says_what_to_do(engine, sd15_file):
    with pytest.raises(ModelUnavailable, match=r"configuration files of .*stable-diffusion-v1-5"
                                               r".*offline mode.*Manage models"):
        engine.generate(GenerationRequest(model=str(sd15_file), prompt="x", family="sd15",
                                          width=64, height=64, steps=1))


def test_a_missing_file_says_add_it_again(engine, tmp_path):
    with pytest.raises(BadInput, match="does not exist.*Manage models"):
        engine.generate(GenerationRequest(model=str(tmp_path / "gone.safetensors"),
                                          prompt="x", width=64, height=64, steps=1))
