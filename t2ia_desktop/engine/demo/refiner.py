"""A tiny random-weight SDXL refiner in standard diffusers layout, written with no network.

It has the real refiner's shape: only the second text encoder (``text_encoder_2`` /
``tokenizer_2``; no ``text_encoder``), ``requires_aesthetics_score=True``, and a UNet whose
added time embedding takes 5 numbers (original size, crop corner, aesthetic score) instead of
the base's 6, with cross-attention on ``text_encoder_2`` alone. Its text encoder and VAE are the
demo base model's, so the two make an ensemble of experts like SDXL base + refiner 1.0.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import torch

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.engine import quiet_libraries
from t2ia_desktop.engine.demo.model import MARKER, ensure_demo_model, is_demo_model

quiet_libraries()

DEMO_REFINER_LABEL = "demo refiner (random weights)"
FOLDER = "sdxl-refiner"

_TIME_EMBED = 8  # the demo base's addition_time_embed_dim


def write_demo_refiner(directory: str | Path, base: str | Path, seed: int = 1) -> Path:
    """Write the demo refiner into ``directory``, sharing ``base``'s (the SDXL demo model's)
    text encoder 2 and VAE; return the folder."""
    from diffusers import (
        AutoencoderKL,
        EulerAncestralDiscreteScheduler,
        StableDiffusionXLImg2ImgPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextModelWithProjection, CLIPTokenizer

    base = Path(base)
    target = Path(directory)
    if target.exists() and any(target.iterdir()) and not (target / MARKER).exists():
        raise BadInput(f"{target} is not empty; choose a new folder for the demo refiner")
    text_encoder_2 = CLIPTextModelWithProjection.from_pretrained(base / "text_encoder_2")
    tokenizer_2 = CLIPTokenizer.from_pretrained(base / "tokenizer_2")
    vae = AutoencoderKL.from_pretrained(base / "vae")
    scheduler = EulerAncestralDiscreteScheduler.from_pretrained(base / "scheduler")
    hidden = text_encoder_2.config.hidden_size

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        sample_size=32, in_channels=4, out_channels=4, layers_per_block=2,
        block_out_channels=(32, 64, 64),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4, 4), transformer_layers_per_block=(1, 1, 1),
        cross_attention_dim=hidden, use_linear_projection=True,
        addition_embed_type="text_time", addition_time_embed_dim=_TIME_EMBED,
        # original size (2) + crop corner (2) + aesthetic score (1), then the pooled text
        projection_class_embeddings_input_dim=5 * _TIME_EMBED + hidden, norm_num_groups=16,
    )
    pipe = StableDiffusionXLImg2ImgPipeline(
        vae=vae, text_encoder=None, text_encoder_2=text_encoder_2, tokenizer=None,
        tokenizer_2=tokenizer_2, unet=unet, scheduler=scheduler,
        requires_aesthetics_score=True, force_zeros_for_empty_prompt=False,
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".refiner-", dir=target.parent))
    try:
        pipe.save_pretrained(staging)
        (staging / MARKER).write_text(json.dumps({"family": "sdxl",
                                                  "label": DEMO_REFINER_LABEL}))
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def ensure_demo_refiner(root: str | Path) -> Path:
    """The demo refiner under ``root`` (beside the demo models), written the first time."""
    folder = Path(root) / FOLDER
    if not is_demo_model(folder):
        write_demo_refiner(folder, ensure_demo_model(root, "sdxl"))
    return folder
