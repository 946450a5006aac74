"""``generate`` options for speed presets and style LoRAs (``--speed``, ``--lora``)."""

from __future__ import annotations

import argparse

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.sampling import DEFAULT_SCHEDULER, NORMAL_SPEED, SPEED_BY_ID

DEFAULT_STEPS, DEFAULT_GUIDANCE = 30, 7.5  # generate's own defaults for --steps, --guidance


def add_sampling_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--speed", choices=list(SPEED_BY_ID), default=NORMAL_SPEED,
        help="few-step LoRA (from the Hugging Face cache, downloaded when online); fills in "
             "--scheduler, --steps and --guidance where they are left at their defaults")
    parser.add_argument(
        "--lora", action="append", default=[], metavar="FILE.safetensors[:WEIGHT]",
        help="a style LoRA with its weight (default 1); repeat for several")


def lora_argument(item: str) -> tuple[str, float]:
    """``FILE[:WEIGHT]``; a colon that is part of the path (``C:\\…``) stays in it."""
    path, _, weight = item.rpartition(":")
    if path and weight:
        try:
            return path, float(weight)
        except ValueError:
            pass
    if not item:
        raise BadInput("--lora needs a .safetensors file")
    return item, 1.0


def sampling_fields(args: argparse.Namespace) -> dict:
    """Request fields from ``--speed``, ``--lora`` and the scheduler/steps/guidance."""
    fields = {"speed": args.speed, "loras": tuple(lora_argument(i) for i in args.lora),
              "scheduler": args.scheduler, "steps": args.steps,
              "guidance_scale": args.guidance}
    preset = SPEED_BY_ID[args.speed]
    if preset.scheduler and args.scheduler == DEFAULT_SCHEDULER:
        fields["scheduler"] = preset.scheduler
    if preset.steps and args.steps == DEFAULT_STEPS:
        fields["steps"] = preset.steps
    if preset.guidance_scale is not None and args.guidance == DEFAULT_GUIDANCE:
        fields["guidance_scale"] = preset.guidance_scale
    return fields
