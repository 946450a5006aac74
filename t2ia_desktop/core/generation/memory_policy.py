"""Which memory savers a run uses, decided from facts about the device (no torch here).

The engine gathers the facts (device kind, VRAM, free VRAM) and applies the plan; this module
only decides, so every branch is testable without a GPU. Figures behind the thresholds:
SDXL's UNet, text encoders and VAE weigh ≈ 6.9 GB in fp16 and the UNet alone ≈ 5.1 GB; SD1.5's
whole pipeline ≈ 2 GB. A 1024² SDXL step needs ≈ 1–2 GB of activations on top, and the VAE
decode of a large image more again, which tiling bounds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

GB = 1024**3

MEMORY_SETTINGS: dict[str, str] = {
    "auto": "Auto (from the card's free memory)",
    "speed": "Speed (everything on the GPU)",
    "low-vram": "Low VRAM (offload to RAM, slower)",
}
"""The artist's choice, and how menus name it."""

DEFAULT_MEMORY_SETTING = "auto"

#: Offload modes: all on the device; whole models moved in when used
#: (``enable_model_cpu_offload``); layer by layer (``enable_sequential_cpu_offload``).
OFFLOAD_LABELS = {
    "none": "all on GPU", "model": "model offload", "sequential": "sequential offload",
}

#: VRAM (bytes) from which everything stays on the GPU, and from which model offload suffices.
FULL_GPU_FROM = {"sdxl": 11 * GB, "sd15": 5 * GB}
MODEL_OFFLOAD_FROM = {"sdxl": 7 * GB, "sd15": 3 * GB}

TILE_ABOVE = 1536 * 1536
"""VAE tiling above this many pixels (the issue's 1536²) on roomy devices."""
TILE_ABOVE_LOW = 1024 * 1024
"""…and above this many on cards that offload."""


@dataclass(frozen=True)
class DeviceFacts:
    """What the decision needs to know about the device. Memory in bytes; ``None``: unknown."""

    kind: str  # "cuda", "mps" or "cpu"
    total_memory: int | None = None
    free_memory: int | None = None
    name: str = ""

    def usable_memory(self) -> int | None:
        """Free memory where known (other apps hold some), else the total."""
        if self.free_memory is not None:
            return self.free_memory
        return self.total_memory


@dataclass(frozen=True)
class MemoryPlan:
    """How the pipelines are loaded and run."""

    setting: str
    dtype: str  # "float16" or "float32"
    offload: str  # "none", "model" or "sequential"
    attention_slicing: bool
    vae_slicing: bool
    vae_tiling_above: int
    """Pixels (width × height) above which the VAE decodes in tiles."""

    def tiles_at(self, width: int, height: int) -> bool:
        return width * height > self.vae_tiling_above

    def label(self) -> str:
        """Short text for the status bar, e.g. "fp16, model offload"."""
        parts = ["fp16" if self.dtype == "float16" else "fp32"]
        if self.offload != "none" or self.dtype == "float16":
            parts.append(OFFLOAD_LABELS[self.offload])
        if self.attention_slicing:
            parts.append("attention slicing")
        return ", ".join(parts)

    def describe(self) -> str:
        """A tooltip: every choice and why it can be changed."""
        side = int(self.vae_tiling_above ** 0.5)
        return (f"Memory setting: {MEMORY_SETTINGS.get(self.setting, self.setting)}. "
                f"Weights in {self.dtype}; {OFFLOAD_LABELS[self.offload]}; attention slicing "
                f"{'on' if self.attention_slicing else 'off'}; VAE slicing "
                f"{'on' if self.vae_slicing else 'off'}; VAE tiling above {side}×{side}. "
                "Change it in Models → Memory.")


def choose_memory_plan(facts: DeviceFacts, family: str = "sdxl",
                       setting: str = DEFAULT_MEMORY_SETTING) -> MemoryPlan:
    """The plan for ``family`` on the device ``facts`` describe, under the artist's setting.

    CUDA runs in fp16; below the family's full-GPU size it offloads whole models to RAM, and
    below the model-offload size it offloads layer by layer with attention and VAE slicing.
    MPS runs in fp16 with attention slicing (unified memory is shared with the system); the CPU
    runs in fp32. "speed" never offloads; "low-vram" always saves all it can.
    """
    if setting not in MEMORY_SETTINGS:
        setting = DEFAULT_MEMORY_SETTING
    if facts.kind == "cpu":
        return MemoryPlan(setting, "float32", "none", False, setting == "low-vram",
                          TILE_ABOVE_LOW if setting == "low-vram" else TILE_ABOVE)
    if facts.kind == "mps":
        low = setting == "low-vram"
        return MemoryPlan(setting, "float16", "none", setting != "speed", low,
                          TILE_ABOVE_LOW if low else TILE_ABOVE)
    # CUDA (and any other accelerator diffusers treats alike)
    if setting == "speed":
        return MemoryPlan(setting, "float16", "none", False, False, TILE_ABOVE)
    if setting == "low-vram":
        return MemoryPlan(setting, "float16", "sequential", True, True, TILE_ABOVE_LOW)
    memory = facts.usable_memory()
    full = FULL_GPU_FROM.get(family, FULL_GPU_FROM["sdxl"])
    model = MODEL_OFFLOAD_FROM.get(family, MODEL_OFFLOAD_FROM["sdxl"])
    if memory is None or memory >= full:
        return MemoryPlan(setting, "float16", "none", False, False, TILE_ABOVE)
    if memory >= model:
        return MemoryPlan(setting, "float16", "model", False, True, TILE_ABOVE_LOW)
    return MemoryPlan(setting, "float16", "sequential", True, True, TILE_ABOVE_LOW)


def with_offload(plan: MemoryPlan, offload: str | None) -> MemoryPlan:
    """``plan`` with its offload mode forced (the command line's ``--offload``); ``None``
    keeps it. Offloading turns on the savers the automatic plan pairs with it."""
    if offload is None or offload == plan.offload:
        return plan
    if offload not in OFFLOAD_LABELS:
        raise ValueError(f"offload must be one of {', '.join(OFFLOAD_LABELS)}, not {offload!r}")
    if offload == "none":
        return replace(plan, offload="none")
    sequential = offload == "sequential"
    return replace(plan, offload=offload, attention_slicing=plan.attention_slicing or sequential,
                   vae_slicing=True, vae_tiling_above=min(plan.vae_tiling_above, TILE_ABOVE_LOW))
