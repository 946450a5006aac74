"""The estimate's parameter counts are those of the real configurations (built on the meta
device: no memory, no download)."""

from __future__ import annotations

import pytest
import torch

from t2ia_desktop.core.generation.vram_estimate import FAMILIES
from tests.engine import real_configs as real


def count(build) -> int:
    with torch.device("meta"):
        return real.parameters(build())


@pytest.mark.parametrize(("family", "field", "build"), [
    ("sdxl", "unet", real.sdxl_unet),
    ("sdxl", "refiner_unet", real.sdxl_refiner_unet),
    ("sdxl", "vae", real.vae),
    ("sdxl", "adapter", lambda: real.adapter("sdxl")),
    ("sdxl", "text_encoders", lambda: torch.nn.ModuleList([real.clip_vit_l(),
                                                           real.open_clip_bigg()])),
    ("sd15", "unet", real.sd15_unet),
    ("sd15", "vae", real.vae),
    ("sd15", "adapter", lambda: real.adapter("sd15")),
    ("sd15", "text_encoders", real.clip_vit_l),
    ("sdxl", "controlnet", lambda: controlnet(real.sdxl_unet())),
    ("sd15", "controlnet", lambda: controlnet(real.sd15_unet())),
])
def test_the_estimate_counts_the_real_models_parameters(family, field, build):
    counted = count(build)
    assert getattr(FAMILIES[family], field) == pytest.approx(counted, rel=0.01)


def controlnet(unet):
    from diffusers import ControlNetModel

    return ControlNetModel.from_unet(unet, load_weights_from_unet=False)


def test_the_published_figures():
    assert count(real.sdxl_unet) / 1e9 == pytest.approx(2.567, abs=0.001)
    assert count(real.sd15_unet) / 1e9 == pytest.approx(0.860, abs=0.001)
    assert count(real.open_clip_bigg) / 1e9 == pytest.approx(0.695, abs=0.001)
    # the figure for ControlNet-SDXL (diffusers/controlnet-canny-sdxl-1.0)
    assert count(lambda: controlnet(real.sdxl_unet())) / 1e6 == pytest.approx(1251, abs=1)
