"""Tiny random-weight ControlNets for the demo model, shaped like the real ones.

Each is ``ControlNetModel.from_unet`` of the demo UNet (the encoder copy, 3 conditioning channels
in RGB as every ControlNet the registry names), written to ``MODEL/controlnets/<condition>/`` for
each built-in condition that has a ControlNet for the family; SDXL also gets a ControlNet Union
model (``ControlNetUnionModel``, 6 control types as ``xinsir/controlnet-union-sdxl-1.0``'s
config) in ``MODEL/controlnets/union/``. A trained ControlNet starts from zero convolutions; here
they get small random weights, so that the demo's ControlNets change the image as real ones do.
"""

from __future__ import annotations

from pathlib import Path

import torch

from t2ia_desktop.core.conditions.registry import builtin_conditions

CONTROLNETS = "controlnets"
UNION_FOLDER = "union"
UNION_CONTROL_TYPES = 6  # xinsir/controlnet-union-sdxl-1.0 (the ProMax file has 8)
_ZERO_CONV_STD = 0.05


def _randomise_zero_convolutions(controlnet, seed: int) -> None:
    """Give the zero-initialised output convolutions small random weights."""
    generator = torch.Generator().manual_seed(seed)
    zero_convs = [*controlnet.controlnet_down_blocks, controlnet.controlnet_mid_block,
                  controlnet.controlnet_cond_embedding.conv_out]
    if hasattr(controlnet, "spatial_ch_projs"):  # a union model's condition fuser
        zero_convs.append(controlnet.spatial_ch_projs)
    with torch.no_grad():
        for conv in zero_convs:
            conv.weight.copy_(torch.randn(conv.weight.shape, generator=generator)
                              * _ZERO_CONV_STD)
            conv.bias.copy_(torch.randn(conv.bias.shape, generator=generator) * _ZERO_CONV_STD)


def union_from_unet(unet, control_types: int = UNION_CONTROL_TYPES):
    """A ``ControlNetUnionModel`` copied from ``unet``, its condition transformer as wide as
    the UNet's first block (``from_unet`` keeps the real model's 320, which only fits SDXL's
    real width)."""
    from diffusers import ControlNetUnionModel

    width = unet.config.block_out_channels[0]
    built = ControlNetUnionModel.from_unet(unet, load_weights_from_unet=False)
    # without the private keys: "_use_default_values" would put the defaults back
    config = {key: value for key, value in built.config.items() if not key.startswith("_")}
    config.update(num_control_type=control_types, num_trans_channel=width,
                  num_proj_channel=width, num_trans_head=4)
    union = ControlNetUnionModel.from_config(config)
    union.conv_in.load_state_dict(unet.conv_in.state_dict())
    union.time_proj.load_state_dict(unet.time_proj.state_dict())
    union.time_embedding.load_state_dict(unet.time_embedding.state_dict())
    union.down_blocks.load_state_dict(unet.down_blocks.state_dict(), strict=False)
    union.mid_block.load_state_dict(unet.mid_block.state_dict(), strict=False)
    if union.config.addition_embed_type == "text_time":
        union.add_embedding.load_state_dict(unet.add_embedding.state_dict())
    return union


def write_demo_controlnets(folder: Path, family: str, unet, seed: int = 0) -> None:
    """Write the demo ControlNets of ``family`` for ``unet`` under ``folder/controlnets``."""
    from diffusers import ControlNetModel

    target = folder / CONTROLNETS
    for number, condition in enumerate(builtin_conditions()):
        if family not in condition.controlnets:
            continue
        controlnet = ControlNetModel.from_unet(unet, conditioning_channels=3)
        _randomise_zero_convolutions(controlnet, seed + number)
        controlnet.save_pretrained(target / condition.id)
    if family == "sdxl":
        union = union_from_unet(unet)
        _randomise_zero_convolutions(union, seed + 100)
        union.save_pretrained(target / UNION_FOLDER)


def ensure_demo_controlnets(folder: Path, family: str) -> None:
    """Add the ControlNets to a demo model written before they existed (from its own UNet)."""
    if (folder / CONTROLNETS).is_dir():
        return
    from diffusers import UNet2DConditionModel

    unet = UNet2DConditionModel.from_pretrained(folder / "unet")
    staging = folder / f".{CONTROLNETS}-partial"
    write_demo_controlnets(staging, family, unet)
    (staging / CONTROLNETS).rename(folder / CONTROLNETS)
    staging.rmdir()
