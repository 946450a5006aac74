"""Full-size SDXL from the published configurations: built on the meta device (no memory, no
download) its parameter counts are the real models', and the adapter's features at 1024² fit
the UNet; a tiny-width copy is written and loaded like any model."""

from __future__ import annotations

import json

import pytest
import torch
from accelerate import init_empty_weights

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.vram_estimate import FAMILIES
from t2ia_desktop.engine.demo.full_size import (
    ADAPTER_CONDITION,
    FULL_SIZE,
    MARKER,
    build_models,
    is_full_size_model,
    tiny_configs,
    write_full_size_model,
)


def parameter_count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.fixture(scope="module")
def meta_models() -> dict:
    with init_empty_weights():
        return build_models(FULL_SIZE)


@pytest.mark.parametrize(("name", "published"), [
    ("unet", 2.567e9), ("text_encoder", 0.123e9), ("text_encoder_2", 0.695e9), ("vae", 0.084e9),
])
def test_parameter_counts_are_the_published_ones(meta_models, name, published):
    assert next(meta_models[name].parameters()).device.type == "meta"
    assert parameter_count(meta_models[name]) == pytest.approx(published, rel=0.005)


def test_the_memory_estimate_counts_the_same_models(meta_models):
    sdxl = FAMILIES["sdxl"]
    encoders = parameter_count(meta_models["text_encoder"]) + parameter_count(
        meta_models["text_encoder_2"])
    assert parameter_count(meta_models["unet"]) == pytest.approx(sdxl.unet, rel=0.005)
    assert encoders == pytest.approx(sdxl.text_encoders, rel=0.005)
    assert parameter_count(meta_models["vae"]) == pytest.approx(sdxl.vae, rel=0.005)


def test_the_adapter_is_tencentarcs_full_adapter_xl(meta_models):
    from diffusers import T2IAdapter

    adapter = meta_models["adapter"]
    assert adapter.config.adapter_type == "full_adapter_xl"
    assert adapter.config.downscale_factor == 16
    assert adapter.config.in_channels == 1  # the sketch adapter: one channel
    with init_empty_weights():  # depth and openpose take RGB: the estimate's 0.079 B
        rgb = T2IAdapter(**dict(FULL_SIZE.adapter, in_channels=3))
    assert parameter_count(rgb) == pytest.approx(FAMILIES["sdxl"].adapter, rel=0.005)


def test_text_encoders_keep_the_real_vocabulary_and_length(meta_models):
    for name in ("text_encoder", "text_encoder_2"):
        model = meta_models[name]
        assert model.get_input_embeddings().weight.shape[0] == 49408
        positions = [module for path, module in model.named_modules()
                     if path.endswith("position_embedding")]
        assert [module.weight.shape[0] for module in positions] == [77]
    width = (meta_models["text_encoder"].config.hidden_size
             + meta_models["text_encoder_2"].config.hidden_size)
    assert width == meta_models["unet"].config.cross_attention_dim == 2048


def test_adapter_features_at_1024_fit_the_unet(meta_models):
    """At 1024² (128² latents), with guidance's batch of 2: the UNet adds every feature map
    (it pops them as it goes) and gives latents of the input's shape."""
    unet, adapter = meta_models["unet"], meta_models["adapter"]
    with torch.device("meta"):
        features = adapter(torch.zeros(2, 1, 1024, 1024))
        expected = [(2, 320, 64, 64), (2, 640, 64, 64), (2, 1280, 32, 32), (2, 1280, 32, 32)]
        assert [tuple(f.shape) for f in features] == expected
        residuals = list(features)
        out = unet(torch.zeros(2, 4, 128, 128), torch.tensor([999, 999]),
                   encoder_hidden_states=torch.zeros(2, 77, 2048),
                   added_cond_kwargs={"text_embeds": torch.zeros(2, 1280),
                                      "time_ids": torch.zeros(2, 6)},
                   down_intrablock_additional_residuals=residuals).sample
    assert residuals == []
    assert tuple(out.shape) == (2, 4, 128, 128)


def test_a_tiny_copy_is_written_and_loads_as_an_sdxl_pipeline(tmp_path):
    from diffusers import DiffusionPipeline, StableDiffusionXLPipeline, T2IAdapter

    configs = tiny_configs()
    folder = write_full_size_model(tmp_path / "model", configs, "cpu", torch.float32)
    assert is_full_size_model(folder, configs)
    assert not is_full_size_model(folder, FULL_SIZE)
    assert json.loads((folder / MARKER).read_text())["label"] == configs.label
    pipe = DiffusionPipeline.from_pretrained(folder)
    assert isinstance(pipe, StableDiffusionXLPipeline)
    assert pipe.tokenizer.model_max_length == 77
    assert pipe.text_encoder_2.config.vocab_size == 49408
    assert list(pipe.unet.config.down_block_types) == FULL_SIZE.unet["down_block_types"]
    assert not pipe.vae.config.force_upcast  # the fp16-fix VAE's config
    assert type(pipe.scheduler).__name__ == "EulerAncestralDiscreteScheduler"
    adapter = T2IAdapter.from_pretrained(folder / "adapters" / ADAPTER_CONDITION)
    assert adapter.config.adapter_type == "full_adapter_xl"

    before = (folder / "unet").stat().st_mtime_ns
    assert write_full_size_model(folder, configs, "cpu", torch.float32) == folder  # reused
    assert (folder / "unet").stat().st_mtime_ns == before


def test_a_folder_holding_something_else_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(BadInput, match="not empty"):
        write_full_size_model(tmp_path, tiny_configs(), "cpu", torch.float32)
    assert (tmp_path / "notes.txt").read_text() == "keep me"
