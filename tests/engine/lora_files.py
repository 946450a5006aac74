"""Tiny LoRA .safetensors files for the demo models, written locally with real key naming.

Two layouts that LoRAs in the wild use: kohya's (``lora_unet_…``/``lora_te1_…`` with
``lora_down``/``lora_up``/``alpha``, as civitai style LoRAs and the ByteDance few-step files)
and diffusers' peft layout (``unet.….lora_A.weight``/``lora_B.weight``, as LCM-LoRA).
"""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import save_file

ATTENTION = ("to_q", "to_k", "to_v", "to_out.0")
TEXT_ATTENTION = ("q_proj", "k_proj", "v_proj", "out_proj")


def _linears(module: torch.nn.Module, suffixes: tuple[str, ...]) -> dict[str, torch.nn.Linear]:
    found = {}
    for name, sub in module.named_modules():
        if ".lora_" in name or not isinstance(sub, torch.nn.Linear):
            continue
        name = name.removesuffix(".base_layer")  # a layer some LoRA is already loaded into
        if name.endswith(suffixes):
            found[name] = sub
    return found


def write_lora(pipe, path: str | Path, *, layout: str = "kohya", rank: int = 4,
               seed: int = 0, text_encoders: bool = True, strength: float = 0.5) -> Path:
    """Write a random LoRA for ``pipe``'s UNet (and its text encoders) to ``path``."""
    generator = torch.Generator().manual_seed(seed)
    tensors: dict[str, torch.Tensor] = {}
    parts = [("unet", "lora_unet", pipe.unet, ATTENTION)]
    if text_encoders:
        two = getattr(pipe, "text_encoder_2", None) is not None
        parts.append(("text_encoder", "lora_te1" if two else "lora_te", pipe.text_encoder,
                      TEXT_ATTENTION))
        if two:
            parts.append(("text_encoder_2", "lora_te2", pipe.text_encoder_2, TEXT_ATTENTION))
    for peft_prefix, kohya_prefix, module, suffixes in parts:
        for name, linear in _linears(module, suffixes).items():
            down = torch.randn(rank, linear.in_features, generator=generator) * strength
            up = torch.randn(linear.out_features, rank, generator=generator) * strength
            if layout == "kohya":
                key = f"{kohya_prefix}_{name.replace('.', '_')}"
                tensors[f"{key}.lora_down.weight"] = down
                tensors[f"{key}.lora_up.weight"] = up
                tensors[f"{key}.alpha"] = torch.tensor(float(rank))
            else:
                key = f"{peft_prefix}.{name}"
                tensors[f"{key}.lora_A.weight"] = down
                tensors[f"{key}.lora_B.weight"] = up
    path = Path(path)
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path))
    return path


def put_in_hub_cache(cache: Path, repo: str, filename: str, source: Path) -> Path:
    """Place ``source`` where ``hf_hub_download(repo, filename)`` finds it in ``cache``."""
    commit = "0" * 40
    folder = cache / f"models--{repo.replace('/', '--')}"
    (folder / "refs").mkdir(parents=True, exist_ok=True)
    (folder / "refs" / "main").write_text(commit)
    target = folder / "snapshots" / commit / filename
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(source.read_bytes())
    return target
