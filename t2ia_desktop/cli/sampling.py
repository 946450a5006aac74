"""``generate`` options for speed presets and style LoRAs (``--speed``, ``--lora``)."""

from __future__ import annotations

import argparse

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.sampling import SPEED_BY_ID
from t2ia_desktop.core.generation.settings import GenerationSettings


def add_sampling_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--speed", choices=list(SPEED_BY_ID),
        help="few-step LoRA (from the Hugging Face cache, downloaded when online); fills in "
             "--scheduler, --steps and --guidance where they are not given")
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


def apply_sampling(settings: GenerationSettings, args: argparse.Namespace) -> None:
    """``--speed`` (its preset fills scheduler, steps and guidance), then the scheduler,
    steps and guidance given, and ``--lora``."""
    if args.speed is not None and not settings.set_speed(args.speed):
        settings.speed = args.speed  # no LoRA for the family: the request says so
    for option, name in (("scheduler", "scheduler"), ("steps", "steps"),
                         ("guidance", "guidance_scale")):
        value = getattr(args, option)
        if value is not None:
            setattr(settings, name, value)
    if args.lora:
        settings.loras = tuple((path, weight, True)
                               for path, weight in (lora_argument(i) for i in args.lora))
