"""``generate``: one picture from the options (or ``--settings``), without a window.

Its stages read as the engine's: check every option and file (nothing loads), run each control
image through its detector, paint, save. A bad option, a model folder of the wrong shape or an
output that would replace an input ends before any model loads; a picture that cannot be saved
is kept elsewhere (cli/outputs.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from t2ia_desktop.cli.device import engine_options
from t2ia_desktop.cli.outputs import check_output, checked_control, save_picture
from t2ia_desktop.cli.settings import generation_settings
from t2ia_desktop.core.conditions.guides import ADAPTER
from t2ia_desktop.core.conditions.registry import ConditionRegistry
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.request import ControlSpec, GenerationRequest
from t2ia_desktop.core.generation.settings import GenerationSettings
from t2ia_desktop.core.settings import current_annotators_root


def split_pair(item: str, flag: str, form: str) -> tuple[str, str]:
    """``NAME=VALUE`` of an option such as ``--control`` or ``--param``."""
    name, sep, value = item.partition("=")
    if not sep or not name or not value:
        raise BadInput(f"{flag} takes {form}, not {item!r}")
    return name, value


def generate_command(args: argparse.Namespace,
                     registry_of: Callable[[argparse.Namespace], ConditionRegistry]) -> int:
    """``t2ia-desktop generate``; ``registry_of(args)`` gives the conditions, plugins'
    included."""
    # 1. Check everything cheap before any detector or model runs
    settings = generation_settings(args)  # --settings, then the options given
    registry = registry_of(args)
    request, out = _checked_request(args, settings, registry)
    remote = None
    if getattr(args, "server", None):  # --server: the job runs there (cli/remote.py)
        from t2ia_desktop.cli.remote import remote_engine

        remote = remote_engine(args)
    device = {} if remote else engine_options(args)  # a device this machine lacks: refused
    # 2. Each control image through its condition's detector (unless --raw-control)
    if not args.raw_control:
        from t2ia_desktop.cli.downloads import fetching_weights
        from t2ia_desktop.engine.detectors import detect

        # missing weights: downloaded into the settings' annotators folder, progress on stderr
        detect = fetching_weights(detect, current_annotators_root())
        request = request.with_changes(controls=tuple(
            dataclasses.replace(c, image=checked_control(
                detect(registry.get(c.condition), c.image), registry.get(c.condition)))
            for c in request.controls
        ))
    # 3. The model paints, here or on the server
    if remote is not None:
        from t2ia_desktop.cli.remote import painted_remotely

        image = painted_remotely(remote, request, _progress_printer())
    else:
        from t2ia_desktop.engine.generate import Engine

        offload = device.pop("offload")
        engine = Engine(registry=registry, **device)
        engine.store.offload = offload
        image = _painted(engine, request)
    # 4. The picture is saved, or kept elsewhere and the error says where
    save_picture(image, out, request)
    return 0


def _checked_request(args: argparse.Namespace, settings: GenerationSettings,
                     registry: ConditionRegistry) -> tuple[GenerationRequest, Path]:
    """``generate``'s request and output, every option checked; nothing loads."""
    from t2ia_desktop.core.files.imageio import open_image

    pairs = [split_pair(item, "--control", "CONDITION=IMAGE") for item in args.control]
    inputs = [("--init-image", args.init_image), ("--mask", args.mask),
              ("--settings file", args.settings),
              *((f"--control image of {condition}", path) for condition, path in pairs)]
    out = check_output(args.out, "--out", inputs, args.overwrite)
    for condition, _ in pairs:
        registry.get(condition)
    if len(args.scale) > len(pairs):
        raise BadInput(f"{len(args.scale)} --scale values for {len(pairs)} --control images")
    if len(args.guide) > len(pairs):
        raise BadInput(f"{len(args.guide)} --guide values for {len(pairs)} --control images")
    guides = list(args.guide) + [ADAPTER] * (len(pairs) - len(args.guide))
    for (condition, _), guide in zip(pairs, guides, strict=True):
        if guide != ADAPTER:  # the adapter's own checks stay with the engine (own adapters)
            registry.get(condition).guide_model(settings.family, guide)
    if len(args.range) > len(pairs):
        raise BadInput(f"{len(args.range)} --range values for {len(pairs)} --control images")
    ranges = [_step_range(item) for item in args.range]
    ranges += [(0.0, 1.0)] * (len(pairs) - len(ranges))
    if args.mask and not args.init_image:
        raise BadInput("--mask needs --init-image (the picture to inpaint)")
    init = open_image(args.init_image) if args.init_image else None
    mask = open_image(args.mask) if args.mask else None
    images = [open_image(path) for _, path in pairs]
    model = settings.model
    width, height = _size(args, settings.family, init)
    scales = list(args.scale) + [1.0] * (len(pairs) - len(args.scale))
    controls = tuple(
        ControlSpec(cond, image, _own_adapter(model, cond), scale, start, end, guide)
        for (cond, _), image, scale, (start, end), guide in zip(pairs, images, scales, ranges,
                                                               guides, strict=True)
    )
    request = settings.request(width, height, controls, init_image=init, mask_image=mask,
                               strength=settings.strength, sdxl_extras=True).validate()
    return request, out


def _painted(engine: Any, request: GenerationRequest) -> Any:
    """The engine's picture; running out of memory is told without the app's queue, and
    while loading the model as that (a damaged configuration can ask for terabytes)."""
    from t2ia_desktop.core.generation.phases import LOADING_MODEL
    from t2ia_desktop.engine.oom import OutOfMemory

    phases: list[str] = []
    try:
        return engine.generate(request, on_step=_progress_printer(),
                               on_phase=lambda phase, _share=None: phases.append(phase))
    except OutOfMemory as error:
        if phases and phases[-1] == LOADING_MODEL:
            raise BadInput(
                f"Out of {error.memory} while loading the model {request.model}: it needs "
                "more memory than this machine has free, or one of its configuration files "
                "(config.json, scheduler_config.json) is damaged and asks for far too much. "
                "Close other programs, or check or replace the model") from None
        raise BadInput(error.advice) from None


def _own_adapter(model: str, condition: str) -> str | None:
    folder = Path(model) / "adapters" / condition
    return str(folder) if folder.is_dir() else None


def _size(args: argparse.Namespace, family: str, init=None) -> tuple[int, int]:
    if init is not None:  # img2img: the picture's own size, down to a multiple of 8
        default_width, default_height = (max(64, side // 8 * 8) for side in init.size)
    else:
        default_width = default_height = 1024 if family == "sdxl" else 512
    # 0 is a size given (and refused by the request's check), not "no size"
    return (default_width if args.width is None else args.width,
            default_height if args.height is None else args.height)


def _step_range(text: str) -> tuple[float, float]:
    start, sep, end = text.partition(":")
    try:
        if not sep:
            raise ValueError
        return float(start), float(end)
    except ValueError:
        raise BadInput(f"--range takes START:END fractions such as 0:0.5, not {text!r}") from None


def _progress_printer():
    if not sys.stderr.isatty():
        return None

    def show(step: int, total: int) -> None:
        print(f"\rstep {step}/{total}", end="" if step < total else "\n", file=sys.stderr)

    return show
