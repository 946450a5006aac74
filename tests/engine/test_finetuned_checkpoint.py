"""Adapters trained on a base work with fine-tuned checkpoints of that base (the T2I-Adapter
paper's claim): a "fine-tune" of the demo SDXL model, as a folder and as a single file, paints
with the base's demo adapters, and an SD1.5 adapter is refused with what to do."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.checkpoints import ModelList, checkpoint_family
from t2ia_desktop.core.generation.request import ControlSpec, GenerationRequest
from t2ia_desktop.engine.demo.model import REAL_ADAPTERS
from t2ia_desktop.engine.generate import Engine
from t2ia_desktop.engine.guides.adapter_family import adapter_family, local_adapter_config
from tests.engine.ldm_checkpoint import write_ldm


@pytest.fixture(scope="module")
def finetuned_folder(sdxl_demo, tmp_path_factory):
    """The demo SDXL model with every UNet weight nudged, as a fine-tune changes them; text
    encoders, VAE and configs stay the base's, and it carries no adapters of its own."""
    from diffusers import DiffusionPipeline

    pipe = DiffusionPipeline.from_pretrained(sdxl_demo)
    generator = torch.Generator().manual_seed(11)
    with torch.no_grad():
        for weight in pipe.unet.parameters():
            weight += 0.2 * weight.std().nan_to_num(0.02) * torch.randn(
                weight.shape, generator=generator)
    folder = tmp_path_factory.mktemp("finetune") / "my-xl-finetune"
    pipe.save_pretrained(folder)
    assert not (folder / "adapters").exists()
    return folder


@pytest.fixture(scope="module")
def finetuned_file(finetuned_folder, sdxl_demo, tmp_path_factory):
    path = write_ldm(finetuned_folder, "sdxl",
                     tmp_path_factory.mktemp("finetune-file") / "my-xl-finetune.safetensors")
    return path


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return Engine(demo_root=tmp_path_factory.mktemp("demo-root"), device="cpu")


def request_for(model, adapter, scale=0.8) -> GenerationRequest:
    from PIL import Image

    yy, xx = np.mgrid[:64, :64]
    ring = (np.abs(np.hypot(xx - 32, yy - 32) - 20) < 3) * 255
    sketch = ControlSpec("sketch", Image.fromarray(ring.astype(np.uint8), "L"),
                         conditioning_scale=scale, adapter=str(adapter))
    return GenerationRequest(model=str(model), prompt="a fox in the snow", steps=3, width=64,
                             height=64, seed=7, guidance_scale=5.0, controls=(sketch,))


def pixels(engine, request) -> np.ndarray:
    return np.asarray(engine.generate(request), dtype=np.int16)


def test_the_finetune_is_read_as_sdxl(finetuned_file):
    assert checkpoint_family(finetuned_file) == "sdxl"


@pytest.mark.parametrize("form", ["folder", "single file"])
def test_base_adapters_guide_the_finetune(engine, sdxl_demo, finetuned_folder, finetuned_file,
                                          form):
    if form == "single file":
        # as the model manager records a file: with the base's configs to build it with
        ModelList.load().add_local(finetuned_file, config=str(sdxl_demo))
        model = finetuned_file
    else:
        model = finetuned_folder
    adapter = sdxl_demo / "adapters" / "sketch"
    guided = pixels(engine, request_for(model, adapter))
    unguided = pixels(engine, request_for(model, adapter, scale=0.0))
    assert np.abs(guided - unguided).max() >= 2  # the adapter steers the fine-tune
    base = pixels(engine, request_for(sdxl_demo, adapter))
    assert np.abs(guided - base).max() >= 2  # and the fine-tune is not the base


def test_the_file_paints_like_the_finetunes_folder(engine, sdxl_demo, finetuned_folder,
                                                   finetuned_file):
    ModelList.load().add_local(finetuned_file, config=str(sdxl_demo))
    adapter = sdxl_demo / "adapters" / "sketch"
    np.testing.assert_array_equal(pixels(engine, request_for(finetuned_file, adapter)),
                                  pixels(engine, request_for(finetuned_folder, adapter)))


@pytest.mark.parametrize("form", ["folder", "single file"])
def test_an_sd15_adapter_is_refused_with_what_to_do(engine, sdxl_demo, sd15_demo,
                                                    finetuned_folder, finetuned_file, form):
    ModelList.load().add_local(finetuned_file, config=str(sdxl_demo))
    model = finetuned_file if form == "single file" else finetuned_folder
    with pytest.raises(BadInput, match=r"sketch adapter .* is an SD1\.5 adapter, but the model "
                                       r"is SDXL.*Choose an SDXL adapter"):
        engine.generate(request_for(model, sd15_demo / "adapters" / "sketch"))


@pytest.mark.parametrize("family", ["sdxl", "sd15"])
def test_every_demo_adapter_is_of_its_models_family(sdxl_demo, sd15_demo, family):
    folder = sdxl_demo if family == "sdxl" else sd15_demo
    for condition in REAL_ADAPTERS[family]:
        config = local_adapter_config(str(folder / "adapters" / condition))
        assert config is not None, condition
        assert adapter_family(config) == family, condition


def test_an_adapter_of_unknown_family_or_not_here_is_left_to_loading(tmp_path):
    from t2ia_desktop.engine.guides.adapter_family import check_adapter_family

    assert local_adapter_config(str(tmp_path / "missing")) is None
    assert local_adapter_config("someone/not-downloaded-adapter") is None
    check_adapter_family(str(tmp_path / "missing"), "sdxl", "sketch")  # no error: not here
    check_adapter_family("x", "sdxl", "sketch", {"adapter_type": "some_future_adapter"})
