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
])
def test_the_estimate_counts_the_real_models_parameters(family, field, build):
    counted = count(build)
    assert getattr(FAMILIES[family], field) == pytest.approx(counted, rel=0.01)


def test_the_published_figures():
    assert count(real.sdxl_unet) / 1e9 == pytest.approx(2.567, abs=0.001)
    assert count(real.sd15_unet) / 1e9 == pytest.approx(0.860, abs=0.001)
    assert count(real.open_clip_bigg) / 1e9 == pytest.approx(0.695, abs=0.001)
