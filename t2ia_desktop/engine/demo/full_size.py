"""Full-size SDXL with random weights, built from the published configurations.

Speed does not depend on weight values, so a GPU benchmark needs no download: this module holds
the configuration values of ``stabilityai/stable-diffusion-xl-base-1.0`` (``unet``, ``vae`` —
the shape of the fp16-fix VAE, which does not need upcasting —, ``text_encoder``,
``text_encoder_2``) and of TencentARC's SDXL sketch adapter (``full_adapter_xl``), builds the
models directly on the device and writes them as a standard diffusers folder the engine loads
like any model (``DIR/adapters/sketch/`` holds the adapter, as for the demo model).

The tokenizers are the demo model's local BPE tokenizer (no vocabulary file to fetch) with
CLIP's 77-token length; the text encoders keep the real vocabulary size (49408) so their
embedding tables have the real size. Parameter counts: UNet 2.567 B, text encoders
0.123 B + 0.695 B, VAE 0.084 B, adapter 0.079 B (tests/engine/demo/test_full_size.py checks them).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.engine import quiet_libraries
from t2ia_desktop.engine.demo.model import _tiny_clip_tokenizer

quiet_libraries()

MARKER = "t2ia_full_size.json"  # written last: its presence means the folder is complete
ADAPTER_CONDITION = "sketch"

#: stabilityai/stable-diffusion-xl-base-1.0 unet/config.json (its non-default values).
SDXL_UNET: dict = {
    "sample_size": 128, "in_channels": 4, "out_channels": 4, "layers_per_block": 2,
    "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
    "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
    "mid_block_type": "UNetMidBlock2DCrossAttn",
    "block_out_channels": [320, 640, 1280], "transformer_layers_per_block": [1, 2, 10],
    "attention_head_dim": [5, 10, 20],  # diffusers' historical name: these are head counts
    "cross_attention_dim": 2048, "use_linear_projection": True, "norm_num_groups": 32,
    "norm_eps": 1e-5, "act_fn": "silu", "flip_sin_to_cos": True, "freq_shift": 0,
    "addition_embed_type": "text_time", "addition_time_embed_dim": 256,
    "projection_class_embeddings_input_dim": 2816,  # 6 × 256 time ids + 1280 pooled text
}

#: sdxl vae/config.json; madebyollin/sdxl-vae-fp16-fix has the same shape, force_upcast off.
SDXL_VAE: dict = {
    "in_channels": 3, "out_channels": 3, "latent_channels": 4, "layers_per_block": 2,
    "down_block_types": ["DownEncoderBlock2D"] * 4, "up_block_types": ["UpDecoderBlock2D"] * 4,
    "block_out_channels": [128, 256, 512, 512], "norm_num_groups": 32, "act_fn": "silu",
    "sample_size": 1024, "scaling_factor": 0.13025, "force_upcast": False,
}

#: text_encoder/config.json: CLIP ViT-L/14's text model.
SDXL_TEXT_ENCODER: dict = {
    "vocab_size": 49408, "hidden_size": 768, "intermediate_size": 3072,
    "num_hidden_layers": 12, "num_attention_heads": 12, "max_position_embeddings": 77,
    "hidden_act": "quick_gelu", "projection_dim": 768, "layer_norm_eps": 1e-5,
}

#: text_encoder_2/config.json: OpenCLIP ViT-bigG/14's text model with its projection.
SDXL_TEXT_ENCODER_2: dict = {
    "vocab_size": 49408, "hidden_size": 1280, "intermediate_size": 5120,
    "num_hidden_layers": 32, "num_attention_heads": 20, "max_position_embeddings": 77,
    "hidden_act": "gelu", "projection_dim": 1280, "layer_norm_eps": 1e-5,
}

#: TencentARC/t2i-adapter-sketch-sdxl-1.0 config.json (lineart and canny alike; depth and
#: openpose take 3 channels).
SDXL_ADAPTER: dict = {
    "in_channels": 1, "channels": [320, 640, 1280, 1280], "num_res_blocks": 2,
    "downscale_factor": 16, "adapter_type": "full_adapter_xl",
}

#: The blog's recommended SDXL scheduler, with the base model's noise schedule.
SDXL_SCHEDULER: dict = {
    "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
    "num_train_timesteps": 1000, "steps_offset": 1, "timestep_spacing": "leading",
    "prediction_type": "epsilon",
}


@dataclass(frozen=True)
class SdxlConfigs:
    """Every component's configuration, as keyword arguments of its class."""

    unet: dict = field(default_factory=lambda: dict(SDXL_UNET))
    vae: dict = field(default_factory=lambda: dict(SDXL_VAE))
    text_encoder: dict = field(default_factory=lambda: dict(SDXL_TEXT_ENCODER))
    text_encoder_2: dict = field(default_factory=lambda: dict(SDXL_TEXT_ENCODER_2))
    adapter: dict = field(default_factory=lambda: dict(SDXL_ADAPTER))
    scheduler: dict = field(default_factory=lambda: dict(SDXL_SCHEDULER))
    label: str = "full-size SDXL (random weights)"


FULL_SIZE = SdxlConfigs()


def tiny_configs() -> SdxlConfigs:
    """The same architecture at tiny widths (for CPU runs of the same code path): every block
    type, the adapter's 16× unshuffle and the real vocabulary size stay."""
    text = {"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2,
            "num_attention_heads": 4, "projection_dim": 32}
    return replace(
        FULL_SIZE,
        unet=dict(SDXL_UNET, block_out_channels=[32, 64, 64],
                  transformer_layers_per_block=[1, 1, 1],
                  attention_head_dim=[2, 4, 4], cross_attention_dim=64, norm_num_groups=16,
                  addition_time_embed_dim=8, projection_class_embeddings_input_dim=6 * 8 + 32,
                  sample_size=32),
        vae=dict(SDXL_VAE, block_out_channels=[8, 8, 16, 16], layers_per_block=1,
                 norm_num_groups=4, sample_size=256),
        text_encoder=dict(SDXL_TEXT_ENCODER, **text),
        text_encoder_2=dict(SDXL_TEXT_ENCODER_2, **text),
        adapter=dict(SDXL_ADAPTER, channels=[32, 64, 64, 64]),
        label="tiny SDXL-shaped model (random weights)",
    )


def build_models(configs: SdxlConfigs = FULL_SIZE, tokenizer=None) -> dict:
    """The pipeline's models and the adapter, built under the caller's device context
    (``torch.device("cuda")``, ``accelerate.init_empty_weights()``…) in the default dtype."""
    from diffusers import AutoencoderKL, T2IAdapter, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    tokens = {}
    if tokenizer is not None:  # pooling reads the end-of-text id: the tokenizer's own
        tokens = {"bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id,
                  "pad_token_id": tokenizer.pad_token_id}
    return {
        "unet": UNet2DConditionModel(**configs.unet),
        "vae": AutoencoderKL(**configs.vae),
        "text_encoder": CLIPTextModel(CLIPTextConfig(**configs.text_encoder, **tokens)),
        "text_encoder_2": CLIPTextModelWithProjection(
            CLIPTextConfig(**configs.text_encoder_2, **tokens)),
        "adapter": T2IAdapter(**configs.adapter),
    }


def is_full_size_model(directory: str | Path, configs: SdxlConfigs = FULL_SIZE) -> bool:
    """Whether ``directory`` holds a complete model written from ``configs``."""
    marker = Path(directory) / MARKER
    try:
        return json.loads(marker.read_text()).get("label") == configs.label
    except (OSError, ValueError):
        return False


def write_full_size_model(
    directory: str | Path,
    configs: SdxlConfigs = FULL_SIZE,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float16,
    seed: int = 0,
) -> Path:
    """Write the random-weight pipeline (and ``adapters/sketch``) into ``directory``, building
    the models directly on ``device`` and saving them in ``dtype`` (safetensors; full size in
    fp16 is ≈ 7 GB). A complete folder written before is reused as it is."""
    from diffusers import EulerAncestralDiscreteScheduler, StableDiffusionXLPipeline

    target = Path(directory)
    if is_full_size_model(target, configs):
        return target
    if target.exists() and any(target.iterdir()):
        raise BadInput(f"{target} is not empty; choose a new folder for the random-weight model")
    torch.manual_seed(seed)
    tokenizer = _tiny_clip_tokenizer()
    with torch.device(device):  # initialised where it runs: no copy, GPU-fast random init
        models = {name: model.to(dtype).eval()
                  for name, model in build_models(configs, tokenizer).items()}
    adapter = models.pop("adapter")
    pipe = StableDiffusionXLPipeline(
        **models, tokenizer=tokenizer, tokenizer_2=tokenizer,
        scheduler=EulerAncestralDiscreteScheduler(**configs.scheduler),
        force_zeros_for_empty_prompt=True, add_watermarker=False,
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".full-size-", dir=target.parent))
    try:
        pipe.save_pretrained(staging, safe_serialization=True)
        adapter.save_pretrained(staging / "adapters" / ADAPTER_CONDITION, safe_serialization=True)
        (staging / MARKER).write_text(json.dumps({"label": configs.label, "dtype": str(dtype)}))
        if target.exists():
            target.rmdir()
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        del pipe, adapter, models
        if torch.device(device).type == "cuda":
            torch.cuda.empty_cache()
    return target
