from __future__ import annotations

import pytest

from t2ia_desktop.core.conditions.registry import builtin_conditions
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.engine.demo.model import REAL_ADAPTERS, is_demo_model, write_demo_model


def test_sdxl_demo_loads_as_a_standard_pipeline(sdxl_demo):
    from diffusers import (
        DiffusionPipeline,
        EulerAncestralDiscreteScheduler,
        StableDiffusionXLPipeline,
    )

    pipe = DiffusionPipeline.from_pretrained(sdxl_demo)
    assert isinstance(pipe, StableDiffusionXLPipeline)
    assert isinstance(pipe.scheduler, EulerAncestralDiscreteScheduler)
    for part in ("unet", "vae", "text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2"):
        assert getattr(pipe, part) is not None, part
    assert pipe.vae_scale_factor == 8  # as the real SDXL VAE
    assert pipe.tokenizer("the cat").input_ids[0] == pipe.tokenizer.bos_token_id
    assert is_demo_model(sdxl_demo)


@pytest.mark.parametrize("family", ["sdxl", "sd15"])
def test_one_adapter_per_condition_mirrors_the_real_config(family, sdxl_demo, sd15_demo):
    from diffusers import T2IAdapter

    folder = sdxl_demo if family == "sdxl" else sd15_demo
    expected = {c.id for c in builtin_conditions() if family in c.adapters}
    found = {p.name for p in (folder / "adapters").iterdir()}
    assert found == expected
    for condition in expected:
        adapter = T2IAdapter.from_pretrained(folder / "adapters" / condition)
        real = REAL_ADAPTERS[family][condition]
        assert adapter.config.in_channels == real.in_channels
        assert adapter.config.adapter_type == real.adapter_type
        assert adapter.config.downscale_factor == real.downscale_factor
        assert adapter.config.num_res_blocks == real.num_res_blocks


def test_sd15_demo_is_a_stable_diffusion_pipeline(sd15_demo):
    from diffusers import DiffusionPipeline, StableDiffusionPipeline

    assert isinstance(DiffusionPipeline.from_pretrained(sd15_demo), StableDiffusionPipeline)


def test_refuses_to_overwrite_an_unrelated_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(BadInput, match="not empty"):
        write_demo_model(tmp_path, "sdxl")
    assert (tmp_path / "notes.txt").read_text() == "mine"
