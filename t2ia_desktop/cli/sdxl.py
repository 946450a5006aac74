"""``generate``'s SDXL options: refiner, second prompts and micro-conditioning.

Sizes are typed as artists write them, ``WIDTHxHEIGHT``, and crop corners as ``LEFT,TOP``; the
request keeps diffusers' order, ``(height, width)`` and ``(top, left)``.
"""

from __future__ import annotations

import argparse

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.sdxl_extras import DEMO_REFINER
from t2ia_desktop.core.generation.settings import GenerationSettings


def add_sdxl_options(gen: argparse.ArgumentParser) -> None:
    sdxl = gen.add_argument_group("SDXL extras")
    sdxl.add_argument("--negative-prompt-2",
                      help="SDXL's second text encoder negative prompt")
    sdxl.add_argument("--refiner", metavar="ID",
                      help=f"finish with this refiner (hub id, folder, or '{DEMO_REFINER}'); "
                           "adapters guide only the base part")
    sdxl.add_argument("--refiner-switch", "--refine-from", type=float,
                      metavar="F", help="fraction of the steps the base runs before the refiner "
                                        "takes over (default 0.8)")
    sdxl.add_argument("--aesthetic-score", type=float,
                      help="refiner: aesthetic score to aim for (default 6)")
    sdxl.add_argument("--negative-aesthetic-score", type=float,
                      help="refiner: aesthetic score to steer away from (default 2.5)")
    for name, what in (("original-size", "size the picture pretends to come from"),
                       ("target-size", "size the picture is composed for")):
        sdxl.add_argument(f"--{name}", metavar="WxH", help=f"micro-conditioning: {what}")
        sdxl.add_argument(f"--negative-{name}", metavar="WxH",
                          help=f"micro-conditioning: {what}, to steer away from")
    sdxl.add_argument("--crop", metavar="LEFT,TOP",
                      help="micro-conditioning: the picture looks cropped from this corner")
    sdxl.add_argument("--negative-crop", metavar="LEFT,TOP",
                      help="micro-conditioning: the crop corner to steer away from")


def apply_sdxl(settings: GenerationSettings, args: argparse.Namespace) -> None:
    """The SDXL options given, on ``settings``."""
    for name in ("negative_prompt_2", "refiner", "refiner_switch", "aesthetic_score",
                 "negative_aesthetic_score"):
        value = getattr(args, name)
        if value is not None:
            setattr(settings, name, value)
    for prefix in ("", "negative_"):
        for name in ("original_size", "target_size"):
            text = getattr(args, prefix + name)
            if text is not None:
                setattr(settings, prefix + name, _size(text, prefix + name))
        text = getattr(args, prefix + "crop")
        if text is not None:
            setattr(settings, prefix + "crops_coords_top_left", _corner(text))


def _size(text: str, name: str) -> tuple[int, int]:
    width, sep, height = text.lower().partition("x")
    if not sep or not width.strip().isdigit() or not height.strip().isdigit():
        raise BadInput(f"--{name.replace('_', '-')} takes WIDTHxHEIGHT, e.g. 1024x1024, "
                       f"not {text!r}")
    return int(height), int(width)


def _corner(text: str) -> tuple[int, int]:
    left, sep, top = text.partition(",")
    if not sep or not left.strip().isdigit() or not top.strip().isdigit():
        raise BadInput(f"--crop takes LEFT,TOP in pixels, e.g. 0,0, not {text!r}")
    return int(top), int(left)
