"""Applying the memory plan (core/memory_policy.py) to loaded pipelines, and the device facts
the plan is chosen from."""

from __future__ import annotations

import logging

import torch

from t2ia_desktop.core.generation.memory_policy import DeviceFacts, MemoryPlan

log = logging.getLogger(__name__)


def device_facts(device: torch.device) -> DeviceFacts:
    """Kind, total and free memory of ``device`` (free VRAM asked from the CUDA driver)."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        try:
            free, total = torch.cuda.mem_get_info(index)
        except RuntimeError:
            free, total = None, torch.cuda.get_device_properties(index).total_memory
        return DeviceFacts("cuda", int(total), None if free is None else int(free),
                           torch.cuda.get_device_name(index))
    if device.type == "mps":
        return DeviceFacts("mps", name="Apple GPU")
    return DeviceFacts("cpu", name="CPU")


def place_pipeline(pipe, plan: MemoryPlan, device: torch.device):
    """Put ``pipe`` on ``device`` the way ``plan`` says: whole, or offloaded to RAM."""
    if device.type == "cpu":
        pass
    elif plan.offload == "model":
        pipe.enable_model_cpu_offload(device=device)
    elif plan.offload == "sequential":
        pipe.enable_sequential_cpu_offload(device=device)
    else:
        pipe = pipe.to(device)
    if plan.attention_slicing:
        pipe.enable_attention_slicing()
    if plan.vae_slicing:
        pipe.vae.enable_slicing()
    log.info("memory plan: %s", plan.describe())
    return pipe


def tile_vae_for(pipe, plan: MemoryPlan, width: int, height: int) -> bool:
    """Turn VAE tiling on for sizes above the plan's threshold, off below; returns whether on."""
    tiled = plan.tiles_at(width, height)
    if tiled:
        pipe.vae.enable_tiling()
    else:
        pipe.vae.disable_tiling()
    return tiled
