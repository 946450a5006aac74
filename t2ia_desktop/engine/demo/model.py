"""A tiny random-weight pipeline in standard diffusers layout, written with no network.

It exists so the whole app can be tried and tested offline: ``DiffusionPipeline.from_pretrained``
loads it, and ``DIR/adapters/<condition>/`` holds one T2I-Adapter per built-in condition whose
configuration mirrors the real TencentARC adapter (in_channels, adapter_type, downscale factor,
residual blocks) at tiny widths, and ``DIR/controlnets/<condition>/`` one ControlNet per condition
that has one for the family, plus a ControlNet Union model for SDXL (engine/demo/controlnets.py).
Its images are noise.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch

from t2ia_desktop.core.conditions.registry import builtin_conditions
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.engine import quiet_libraries
from t2ia_desktop.engine.demo.controlnets import ensure_demo_controlnets, write_demo_controlnets

quiet_libraries()

DEMO_LABEL = "demo (random weights)"
MARKER = "t2ia_demo.json"  # written last: its presence means the folder is complete


@dataclass(frozen=True)
class RealAdapterShape:
    """The parts of a TencentARC adapter config that decide how it reads a control image."""

    in_channels: int
    adapter_type: str
    downscale_factor: int
    num_res_blocks: int = 2


# From the published configs: SDXL adapters are full_adapter_xl with downscale 16; SD1.x ones
# are full_adapter with downscale 8, and the colour adapter is a light_adapter.
REAL_ADAPTERS: dict[str, dict[str, RealAdapterShape]] = {
    "sdxl": {
        "sketch": RealAdapterShape(1, "full_adapter_xl", 16),
        "lineart": RealAdapterShape(1, "full_adapter_xl", 16),
        "canny": RealAdapterShape(1, "full_adapter_xl", 16),
        "depth-midas": RealAdapterShape(3, "full_adapter_xl", 16),
        "depth-zoe": RealAdapterShape(3, "full_adapter_xl", 16),
        "openpose": RealAdapterShape(3, "full_adapter_xl", 16),
    },
    "sd15": {
        "sketch": RealAdapterShape(1, "full_adapter", 8),
        "canny": RealAdapterShape(1, "full_adapter", 8),
        "depth-midas": RealAdapterShape(3, "full_adapter", 8),
        "depth-zoe": RealAdapterShape(3, "full_adapter", 8),
        "openpose": RealAdapterShape(3, "full_adapter", 8),
        "keypose": RealAdapterShape(3, "full_adapter", 8),
        "color": RealAdapterShape(3, "light_adapter", 8, num_res_blocks=4),
    },
}

# Tiny widths; the shapes (block types, scale factors) follow the real families.
_SDXL_UNET_CHANNELS = (32, 64, 64)
_SD15_UNET_CHANNELS = (32, 32, 64, 64)
_TEXT_HIDDEN = 32
_VOCAB_SIZE = 1000


def write_demo_model(directory: str | Path, family: str = "sdxl", seed: int = 0) -> Path:
    """Write the demo pipeline for ``family`` into ``directory`` and return the folder."""
    from diffusers import (
        AutoencoderKL,
        EulerAncestralDiscreteScheduler,
        StableDiffusionPipeline,
        StableDiffusionXLPipeline,
        T2IAdapter,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    if family not in REAL_ADAPTERS:
        raise BadInput(f"family must be sdxl or sd15, not {family!r}")
    target = Path(directory)
    check_demo_folder(target)

    torch.manual_seed(seed)
    tokenizer = _tiny_clip_tokenizer()
    scheduler = EulerAncestralDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
        num_train_timesteps=1000, steps_offset=1, timestep_spacing="leading",
    )
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4,
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(8, 8, 16, 16), layers_per_block=1, norm_num_groups=4,
        sample_size=256, scaling_factor=0.13025 if family == "sdxl" else 0.18215,
    )
    text_config = {
        "vocab_size": _VOCAB_SIZE, "hidden_size": _TEXT_HIDDEN, "intermediate_size": 37,
        "num_hidden_layers": 2, "num_attention_heads": 4, "max_position_embeddings": 77,
        "hidden_act": "gelu", "projection_dim": _TEXT_HIDDEN,
        "bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }
    text_encoder = CLIPTextModel(CLIPTextConfig(**text_config))

    if family == "sdxl":
        unet = UNet2DConditionModel(
            sample_size=32, in_channels=4, out_channels=4, layers_per_block=2,
            block_out_channels=_SDXL_UNET_CHANNELS,
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
            attention_head_dim=(2, 4, 4), transformer_layers_per_block=(1, 1, 1),
            cross_attention_dim=2 * _TEXT_HIDDEN, use_linear_projection=True,
            addition_embed_type="text_time", addition_time_embed_dim=8,
            projection_class_embeddings_input_dim=6 * 8 + _TEXT_HIDDEN, norm_num_groups=16,
        )
        text_encoder_2 = CLIPTextModelWithProjection(CLIPTextConfig(**text_config))
        pipe = StableDiffusionXLPipeline(
            vae=vae, text_encoder=text_encoder, text_encoder_2=text_encoder_2,
            tokenizer=tokenizer, tokenizer_2=tokenizer, unet=unet, scheduler=scheduler,
        )
        adapter_widths = [*_SDXL_UNET_CHANNELS, _SDXL_UNET_CHANNELS[-1]]
    else:
        unet = UNet2DConditionModel(
            sample_size=32, in_channels=4, out_channels=4, layers_per_block=2,
            block_out_channels=_SD15_UNET_CHANNELS,
            down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
            up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
            attention_head_dim=4, cross_attention_dim=_TEXT_HIDDEN, norm_num_groups=16,
        )
        pipe = StableDiffusionPipeline(
            vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
            scheduler=scheduler, safety_checker=None, feature_extractor=None,
            requires_safety_checker=False,
        )
        adapter_widths = list(_SD15_UNET_CHANNELS)

    # Write into a sibling temporary folder and rename, so a crash never leaves half a model.
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".demo-", dir=target.parent))
    try:
        with _os_errors(target):
            pipe.save_pretrained(staging)
            for condition in builtin_conditions():
                shape = REAL_ADAPTERS[family].get(condition.id)
                if shape is None:
                    continue
                T2IAdapter(
                    in_channels=shape.in_channels, channels=adapter_widths,
                    num_res_blocks=shape.num_res_blocks,
                    downscale_factor=shape.downscale_factor, adapter_type=shape.adapter_type,
                ).save_pretrained(staging / "adapters" / condition.id)
            write_demo_controlnets(staging, family, unet, seed)
            (staging / MARKER).write_text(json.dumps({"family": family, "label": DEMO_LABEL}))
            if target.exists():
                shutil.rmtree(target)
            staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def check_demo_folder(target: Path) -> None:
    """Refuse a place the demo model cannot go, before anything is built: a file, a folder
    with other things in it, a folder that cannot be written."""
    if target.exists() and not target.is_dir():
        raise BadInput(f"{target} is a file; choose a new folder for the demo model")
    if target.exists() and any(target.iterdir()) and not (target / MARKER).exists():
        raise BadInput(f"{target} is not empty; choose a new folder for the demo model")
    existing = target.absolute().parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise BadInput(f"{target}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise BadInput(f"{target}: folder {existing} is not writable; choose another folder "
                       "for the demo model")


@contextmanager
def _os_errors(target: Path) -> Iterator[None]:
    """Errors of writing the model name its folder: an ``OSError`` without a file name (a
    full disk found at a write) gets it, and safetensors' own error for a full disk ("...
    (os error 28)") becomes the ``OSError`` it stands for, so it is told like any other."""
    try:
        yield
    except OSError as error:
        if error.filename is None and error.errno is not None:
            raise OSError(error.errno, error.strerror or os.strerror(error.errno),
                          str(target)) from None
        raise
    except Exception as error:
        code = re.search(r"os error (\d+)", str(error))
        if code is None:
            raise
        number = int(code.group(1))
        raise OSError(number, os.strerror(number), str(target)) from None


def is_demo_model(directory: str | Path) -> bool:
    return (Path(directory) / MARKER).is_file()


def ensure_demo_model(root: str | Path, family: str) -> Path:
    """The demo model for ``family`` under ``root``, written the first time it is needed."""
    folder = Path(root) / family
    if not is_demo_model(folder):
        write_demo_model(folder, family)
    else:  # written by a version without ControlNets
        ensure_demo_controlnets(folder, family)
    return folder


def _tiny_clip_tokenizer():
    """A CLIP BPE tokenizer over single bytes with a few merges, made locally."""
    from transformers import CLIPTokenizer

    byte_chars = _bytes_to_unicode()
    tokens = ["<|startoftext|>", "<|endoftext|>", "!"]
    tokens += [c for c in byte_chars if c not in tokens]
    tokens += [c + "</w>" for c in byte_chars]
    merges = [("t", "h"), ("th", "e</w>"), ("a", "n"), ("i", "n"), ("e", "r"), ("o", "n</w>")]
    tokens += ["th", "the</w>", "an", "in", "er", "on</w>"]
    vocab = {token: index for index, token in enumerate(tokens)}
    assert len(vocab) <= _VOCAB_SIZE
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77)


def _bytes_to_unicode() -> list[str]:
    """GPT-2/CLIP's reversible map from the 256 byte values to printable characters."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    chars, extra = [], 0
    for byte in range(256):
        if byte in printable:
            chars.append(chr(byte))
        else:
            chars.append(chr(256 + extra))
            extra += 1
    return chars
