"""Schedulers (samplers) and few-step speed presets, as artists pick them.

Pure data: the UI shows the labels and tooltips, the request stores the ids, and the engine
(engine/schedulers.py, engine/loras.py) builds the diffusers objects from them.
Every scheduler here calls the UNet once per step, which the adapter injection relies on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SchedulerChoice:
    """A scheduler: a diffusers class plus the config options that make it this one."""

    id: str
    label: str
    class_name: str
    tooltip: str
    options: dict[str, Any] = field(default_factory=dict)


SCHEDULER_CHOICES: tuple[SchedulerChoice, ...] = (
    SchedulerChoice(
        "euler-a", "Euler a", "EulerAncestralDiscreteScheduler",
        "Euler ancestral: adds fresh noise each step, lively and varied; the T2I-Adapter SDXL "
        "blog's choice. 20–30 steps.",
    ),
    SchedulerChoice(
        "euler", "Euler", "EulerDiscreteScheduler",
        "Euler: calm and predictable; more steps converge to the same picture. 20–30 steps.",
    ),
    SchedulerChoice(
        "dpmpp-2m", "DPM++ 2M", "DPMSolverMultistepScheduler",
        "DPM++ 2M: sharp results in few steps (20–25).",
    ),
    SchedulerChoice(
        "dpmpp-2m-karras", "DPM++ 2M Karras", "DPMSolverMultistepScheduler",
        "DPM++ 2M with Karras noise levels: the usual favourite for detail at 20–30 steps.",
        {"use_karras_sigmas": True},
    ),
    SchedulerChoice(
        "unipc", "UniPC", "UniPCMultistepScheduler",
        "UniPC: good pictures in very few steps (10–20).",
    ),
    SchedulerChoice(
        "ddim", "DDIM", "DDIMScheduler",
        "DDIM: the classic deterministic sampler. 30–50 steps.",
    ),
    SchedulerChoice(
        "lcm", "LCM", "LCMScheduler",
        "LCM: for LCM-LoRA or LCM models only; 4–8 steps with guidance 1–2.",
    ),
    SchedulerChoice(
        "tcd", "TCD", "TCDScheduler",
        "TCD: for TCD and Hyper-SD LoRAs; 4–8 steps with low guidance.",
    ),
    # SDXL-Lightning's card: "Ensure sampler uses 'trailing' timesteps" with
    # EulerDiscreteScheduler (huggingface.co/ByteDance/SDXL-Lightning).
    SchedulerChoice(
        "euler-trailing", "Euler (trailing)", "EulerDiscreteScheduler",
        "Euler with trailing timesteps: for SDXL-Lightning LoRAs, as many steps as the LoRA "
        "was made for, guidance 0.",
        {"timestep_spacing": "trailing"},
    ),
    # Hyper-SD's card: DDIMScheduler with timestep_spacing="trailing" for its N-step LoRAs
    # (huggingface.co/ByteDance/Hyper-SD).
    SchedulerChoice(
        "ddim-trailing", "DDIM (trailing)", "DDIMScheduler",
        "DDIM with trailing timesteps: for Hyper-SD LoRAs, as many steps as the LoRA was made "
        "for.",
        {"timestep_spacing": "trailing"},
    ),
)
"""The schedulers offered, in the order the Scheduler box shows them."""

SCHEDULERS_BY_ID: dict[str, SchedulerChoice] = {c.id: c for c in SCHEDULER_CHOICES}
DEFAULT_SCHEDULER = "euler-a"


@dataclass(frozen=True)
class SpeedPreset:
    """A few-step LoRA and the settings its authors recommend for it.

    ``files`` maps a family to ``(hub repo, file name)``; a family missing there has no such
    LoRA. ``steps``, ``guidance_scale`` and ``scheduler`` are what choosing it fills in.
    """

    id: str
    label: str
    tooltip: str
    files: dict[str, tuple[str, str]] = field(default_factory=dict)
    scheduler: str | None = None
    steps: int | None = None
    guidance_scale: float | None = None

    def file_for(self, family: str) -> tuple[str, str] | None:
        return self.files.get(family)


NORMAL_SPEED = "normal"

SPEED_PRESETS: tuple[SpeedPreset, ...] = (
    SpeedPreset(NORMAL_SPEED, "Normal", "No speed-up LoRA: the model as it is."),
    # latent-consistency/lcm-lora-sdxl and -sdv1-5 model cards: "the scheduler needs to be
    # changed to LCMScheduler … 2 to 8 steps … either disable guidance_scale or use values
    # between 1.0 and 2.0"; file pytorch_lora_weights.safetensors.
    SpeedPreset(
        "lcm", "LCM-LoRA (4 steps)",
        "LCM-LoRA: 4 steps (2–8 work) with the LCM scheduler and guidance 1–2.",
        {"sdxl": ("latent-consistency/lcm-lora-sdxl", "pytorch_lora_weights.safetensors"),
         "sd15": ("latent-consistency/lcm-lora-sdv1-5", "pytorch_lora_weights.safetensors")},
        "lcm", 4, 1.0,
    ),
    # ByteDance/SDXL-Lightning model card: "always use the correct checkpoint for the
    # corresponding inference steps", EulerDiscreteScheduler with trailing timesteps,
    # guidance_scale=0; sdxl_lightning_{2,4,8}step_lora.safetensors; SDXL only.
    *(
        SpeedPreset(
            f"lightning-{n}", f"Lightning {n}-step",
            f"SDXL-Lightning {n}-step LoRA: exactly {n} steps, Euler (trailing), guidance 0. "
            "SDXL only.",
            {"sdxl": ("ByteDance/SDXL-Lightning", f"sdxl_lightning_{n}step_lora.safetensors")},
            "euler-trailing", n, 0.0,
        )
        for n in (2, 4, 8)
    ),
    # ByteDance/Hyper-SD model card: N-step LoRAs Hyper-SDXL-Nsteps-lora / Hyper-SD15-Nsteps-lora
    # with DDIMScheduler(timestep_spacing="trailing") and guidance_scale=0; the CFG-preserved
    # 8-step LoRAs "support 5~8 guidance scales" and take negative prompts.
    *(
        SpeedPreset(
            f"hyper-{n}", f"Hyper-SD {n}-step",
            f"Hyper-SD {n}-step LoRA: {n} steps, DDIM (trailing), guidance 0 (no negative "
            "prompt).",
            {"sdxl": ("ByteDance/Hyper-SD", f"Hyper-SDXL-{n}steps-lora.safetensors"),
             "sd15": ("ByteDance/Hyper-SD", f"Hyper-SD15-{n}steps-lora.safetensors")},
            "ddim-trailing", n, 0.0,
        )
        for n in (4, 8)
    ),
    SpeedPreset(
        "hyper-8-cfg", "Hyper-SD 8-step CFG",
        "Hyper-SD 8-step CFG-preserved LoRA: 8 steps, DDIM (trailing), guidance 5–8; "
        "negative prompts work.",
        {"sdxl": ("ByteDance/Hyper-SD", "Hyper-SDXL-8steps-CFG-lora.safetensors"),
         "sd15": ("ByteDance/Hyper-SD", "Hyper-SD15-8steps-CFG-lora.safetensors")},
        "ddim-trailing", 8, 5.0,
    ),
)
"""The speed choices, in the order the Speed box shows them."""

SPEED_BY_ID: dict[str, SpeedPreset] = {p.id: p for p in SPEED_PRESETS}

LORA_WEIGHT_RANGE = (-2.0, 2.0)
"""The weights a style LoRA may have (negative ones push away from its style)."""

PICKLE_SUFFIXES = (".ckpt", ".bin", ".pt", ".pth", ".pkl")


def check_lora_file(path: str) -> None:
    """Raise :class:`BadInput` unless ``path`` is an existing ``.safetensors`` file."""
    from pathlib import Path

    from t2ia_desktop.core.errors import BadInput

    file = Path(path).expanduser()
    suffix = file.suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        raise BadInput(
            f"LoRA {file.name} is a pickle file ({suffix}), which can run code when loaded; "
            "use its .safetensors version instead"
        )
    if suffix != ".safetensors":
        raise BadInput(f"LoRA {file.name} is not a .safetensors file; choose a .safetensors LoRA")
    if not file.is_file():
        raise BadInput(f"LoRA file {file} does not exist; add it again from where it is now")


def validate_sampling(request: Any) -> None:
    """Check a request's scheduler, speed preset and style LoRAs (raises BadInput)."""
    from t2ia_desktop.core.errors import BadInput

    if request.scheduler not in SCHEDULERS_BY_ID:
        raise BadInput(f"unknown scheduler {request.scheduler!r} "
                       f"(choose from {', '.join(SCHEDULERS_BY_ID)})")
    preset = SPEED_BY_ID.get(request.speed)
    if preset is None:
        raise BadInput(f"unknown speed {request.speed!r} (choose from {', '.join(SPEED_BY_ID)})")
    if preset.id != NORMAL_SPEED and preset.file_for(request.family) is None:
        raise BadInput(f"{preset.label} has no LoRA for {request.family.upper()} models; "
                       "choose another speed or an SDXL model")
    low, high = LORA_WEIGHT_RANGE
    for item in request.loras:
        if not (isinstance(item, tuple | list) and len(item) == 2):
            raise BadInput(f"a LoRA must be (file, weight), not {item!r}")
        path, weight = item
        check_lora_file(str(path))
        if not low <= float(weight) <= high:
            raise BadInput(f"weight of LoRA {path} must be between {low:g} and {high:g}, "
                           f"not {float(weight):g}")
    names = [str(path) for path, _ in request.loras]
    if len(set(names)) != len(names):
        raise BadInput("the same LoRA file is listed twice; keep one with the weight you want")
