"""Writing a diffusers pipeline as one .safetensors file in the original Stable Diffusion key
layout (``model.diffusion_model.*``, ``first_stage_model.*``, ``cond_stage_model.*`` /
``conditioner.embedders.*``), for single-file loading tests on the tiny demo model.

The renaming is the inverse of what diffusers' single-file loader undoes; :func:`write_ldm`
checks itself by converting the file back with diffusers' own functions.
"""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import save_file


def _unet_to_ldm(unet) -> dict[str, torch.Tensor]:
    config = unet.config
    per_block = config.layers_per_block
    names: dict[str, str] = {
        "time_embedding.linear_1": "time_embed.0", "time_embedding.linear_2": "time_embed.2",
        "conv_in": "input_blocks.0.0", "conv_norm_out": "out.0", "conv_out": "out.2",
        "add_embedding.linear_1": "label_emb.0.0", "add_embedding.linear_2": "label_emb.0.2",
        "mid_block.resnets.0": "middle_block.0", "mid_block.attentions.0": "middle_block.1",
        "mid_block.resnets.1": "middle_block.2",
    }
    blocks = len(config.block_out_channels)
    for b in range(blocks):
        for layer in range(per_block):
            i = 1 + b * (per_block + 1) + layer
            names[f"down_blocks.{b}.resnets.{layer}"] = f"input_blocks.{i}.0"
            names[f"down_blocks.{b}.attentions.{layer}"] = f"input_blocks.{i}.1"
        names[f"down_blocks.{b}.downsamplers.0.conv"] = \
            f"input_blocks.{1 + b * (per_block + 1) + per_block}.0.op"
        up_has_attention = "CrossAttn" in config.up_block_types[b]
        for layer in range(per_block + 1):
            i = b * (per_block + 1) + layer
            names[f"up_blocks.{b}.resnets.{layer}"] = f"output_blocks.{i}.0"
            names[f"up_blocks.{b}.attentions.{layer}"] = f"output_blocks.{i}.1"
        last = b * (per_block + 1) + per_block
        names[f"up_blocks.{b}.upsamplers.0.conv"] = \
            f"output_blocks.{last}.{2 if up_has_attention else 1}.conv"
    resnet = {"norm1": "in_layers.0", "conv1": "in_layers.2", "norm2": "out_layers.0",
              "conv2": "out_layers.3", "time_emb_proj": "emb_layers.1",
              "conv_shortcut": "skip_connection"}
    out = {}
    for key, value in unet.state_dict().items():
        prefix = max((p for p in names if key.startswith(p + ".")), key=len)
        rest = key[len(prefix) + 1:]
        if ".resnets." in prefix:
            head, _, tail = rest.partition(".")
            rest = f"{resnet.get(head, head)}.{tail}"
        out["model.diffusion_model." + names[prefix] + "." + rest] = value
    return out


def _vae_to_ldm(vae) -> dict[str, torch.Tensor]:
    ups = len(vae.config.up_block_types)
    out = {}
    for key, value in vae.state_dict().items():
        new = (key.replace("conv_norm_out", "norm_out").replace("conv_shortcut", "nin_shortcut")
               .replace("mid_block.resnets.0", "mid.block_1")
               .replace("mid_block.resnets.1", "mid.block_2")
               .replace("mid_block.attentions.0", "mid.attn_1"))
        if "mid.attn_1" in new:
            new = (new.replace("group_norm", "norm").replace("to_q", "q").replace("to_k", "k")
                   .replace("to_v", "v").replace("to_out.0", "proj_out"))
            if value.ndim == 2:
                value = value[:, :, None, None]  # the original attention uses 1×1 convs
        parts = new.split(".")
        if parts[1] in ("down_blocks", "up_blocks"):
            index = int(parts[2])
            if parts[1] == "up_blocks":
                index = ups - 1 - index
            kind = "down" if parts[1] == "down_blocks" else "up"
            rest = ".".join(parts[3:]).replace("resnets.", "block.")
            rest = rest.replace("downsamplers.0", "downsample").replace("upsamplers.0", "upsample")
            new = f"{parts[0]}.{kind}.{index}.{rest}"
        out["first_stage_model." + new] = value
    return out


def _clip_to_ldm(encoder, prefix: str) -> dict[str, torch.Tensor]:
    wrapped = hasattr(encoder, "text_model")
    return {prefix + ("" if wrapped else "text_model.") + k: v
            for k, v in encoder.state_dict().items()}


def _open_clip_to_ldm(encoder, prefix: str) -> dict[str, torch.Tensor]:
    state = encoder.state_dict()
    out = {
        prefix + "positional_embedding":
            state["text_model.embeddings.position_embedding.weight"],
        prefix + "token_embedding.weight": state["text_model.embeddings.token_embedding.weight"],
        prefix + "ln_final.weight": state["text_model.final_layer_norm.weight"],
        prefix + "ln_final.bias": state["text_model.final_layer_norm.bias"],
        prefix + "text_projection": state["text_projection.weight"].T.contiguous(),
    }
    for n in range(encoder.config.num_hidden_layers):
        ours = f"text_model.encoder.layers.{n}."
        theirs = f"{prefix}transformer.resblocks.{n}."
        for part in ("weight", "bias"):
            out[theirs + f"attn.in_proj_{part}"] = torch.cat(
                [state[ours + f"self_attn.{p}_proj.{part}"] for p in "qkv"])
            out[theirs + f"attn.out_proj.{part}"] = state[ours + f"self_attn.out_proj.{part}"]
            out[theirs + f"ln_1.{part}"] = state[ours + f"layer_norm1.{part}"]
            out[theirs + f"ln_2.{part}"] = state[ours + f"layer_norm2.{part}"]
            out[theirs + f"mlp.c_fc.{part}"] = state[ours + f"mlp.fc1.{part}"]
            out[theirs + f"mlp.c_proj.{part}"] = state[ours + f"mlp.fc2.{part}"]
    return out


def ldm_state_dict(pipe, family: str) -> dict[str, torch.Tensor]:
    state = {**_unet_to_ldm(pipe.unet), **_vae_to_ldm(pipe.vae)}
    if family == "sdxl":
        state.update(_clip_to_ldm(pipe.text_encoder, "conditioner.embedders.0.transformer."))
        state.update(_open_clip_to_ldm(pipe.text_encoder_2, "conditioner.embedders.1.model."))
    else:
        state.update(_clip_to_ldm(pipe.text_encoder, "cond_stage_model.transformer."))
    return {k: v.contiguous() for k, v in state.items()}


def write_ldm(model_folder: Path, family: str, target: Path) -> Path:
    """Write the diffusers pipeline in ``model_folder`` as the single file ``target``; checks
    that diffusers' own conversion gives every UNet and VAE weight back."""
    from diffusers import DiffusionPipeline
    from diffusers.loaders.single_file_utils import (
        convert_ldm_unet_checkpoint,
        convert_ldm_vae_checkpoint,
    )

    pipe = DiffusionPipeline.from_pretrained(model_folder)
    state = ldm_state_dict(pipe, family)
    for model, convert in ((pipe.unet, convert_ldm_unet_checkpoint),
                           (pipe.vae, convert_ldm_vae_checkpoint)):
        back = convert(state, model.config)
        original = model.state_dict()
        assert set(back) == set(original), set(back) ^ set(original)
        for key, value in original.items():
            assert torch.equal(back[key].reshape(value.shape), value), key
    target.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(target))
    return target
