"""The memory plan applied by the pipeline store: the artist's setting read at each model load,
VAE slicing and tiling switched on the loaded pipeline; offload on a CUDA GPU."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from t2ia_desktop.core.generation.memory_policy import GB, DeviceFacts
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.core.settings import SettingsStore
from t2ia_desktop.engine.generate import Engine
from t2ia_desktop.engine.memory import tile_vae_for
from t2ia_desktop.runtime.system_info import device_label


def set_memory(setting: str) -> None:
    store = SettingsStore()
    store.save(replace(store.settings, memory_policy=setting))


def small(model) -> GenerationRequest:
    return GenerationRequest(model=str(model), prompt="a fox", steps=2, width=64, height=64)


def test_the_setting_is_read_at_each_load_and_applied(sdxl_demo, tmp_path):
    engine = Engine(demo_root=tmp_path, device="cpu")
    engine.generate(small(sdxl_demo))
    first = engine.store.base(str(sdxl_demo), "sdxl")
    assert engine.store.memory_plan.setting == "auto"
    assert not first.vae.use_slicing
    assert device_label(engine) == "CPU · fp32"

    set_memory("low-vram")
    engine.generate(small(sdxl_demo))
    second = engine.store.base(str(sdxl_demo), "sdxl")
    assert second is not first  # a new plan loads the model again
    assert engine.store.memory_plan.setting == "low-vram"
    assert second.vae.use_slicing


def test_vae_tiling_follows_the_size(sdxl_demo, tmp_path):
    engine = Engine(demo_root=tmp_path, device="cpu")
    pipe = engine.store.base(str(sdxl_demo), "sdxl")
    plan = engine.store.memory_plan
    assert tile_vae_for(pipe, plan, 2048, 2048)
    assert pipe.vae.use_tiling
    assert not tile_vae_for(pipe, plan, 1024, 1024)
    assert not pipe.vae.use_tiling


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize(("free_gb", "offload"), [(7.6, "model"), (5.6, "sequential")])
def test_offload_on_a_small_card_paints_like_the_whole_model(sdxl_demo, tmp_path, free_gb,
                                                             offload):
    whole = Engine(demo_root=tmp_path, device="cuda")
    expected = np.array(whole.generate(small(sdxl_demo)), dtype=np.int16)
    assert whole.store.memory_plan.offload == "none"
    del whole
    engine = Engine(demo_root=tmp_path, device="cuda")
    engine.store.facts = DeviceFacts("cuda", 8 * GB, int(free_gb * GB), "8 GB card")
    image = np.array(engine.generate(small(sdxl_demo)), dtype=np.int16)
    assert engine.store.memory_plan.offload == offload
    assert np.abs(image - expected).max() <= 2  # fp16 kernels may differ by a level
