"""``generate``'s settings: the same :class:`GenerationSettings` the window's Generate panel
edits, filled from ``--settings`` (a project, a settings JSON or a picture) and then from the
options given, so the command line and the window build their requests one way.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from t2ia_desktop.cli.sampling import apply_sampling
from t2ia_desktop.cli.sdxl import apply_sdxl
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.model_folder import model_folder_family
from t2ia_desktop.core.generation.request import DEMO_MODEL, is_hub_id
from t2ia_desktop.core.generation.settings import GenerationSettings

PLAIN_OPTIONS = (("prompt", "prompt"), ("negative_prompt", "negative_prompt"),
                 ("prompt_2", "prompt_2"), ("factor", "adapter_conditioning_factor"),
                 ("strength", "strength"), ("seed", "seed"))
"""(option, settings field) of the options that set one field as they are."""
TEXT_OPTIONS = (("prompt", "prompt"), ("negative_prompt", "negative_prompt"),
                ("prompt_2", "prompt_2"), ("negative_prompt_2", "negative_prompt_2"))
"""(option, settings field) of the prompts, which must be text."""


def generation_settings(args: argparse.Namespace) -> GenerationSettings:
    """The settings ``generate`` runs with: ``--settings`` first, the options on top."""
    saved = saved_settings(args.settings) if args.settings else {}
    reference = args.model or saved.get("model")
    if not isinstance(reference, str) or not reference:
        raise BadInput("give --model (a diffusers folder, a hub id, or 'demo'), or --settings "
                       "from a project or picture that names one")
    model, family = model_and_family(reference, args.family)
    settings = GenerationSettings(models=((model, model, family),), model=model, family=family)
    if saved:
        rest = {name: value for name, value in saved.items() if name not in ("model", "family")}
        for name in settings.update_from_dict(rest):
            print(f"t2ia-desktop: warning: --settings: {name} not used", file=sys.stderr)
    elif args.prompt is None:
        raise BadInput("give --prompt (what to paint), or --settings")
    for option, name in PLAIN_OPTIONS:
        value = getattr(args, option)
        if value is not None:
            setattr(settings, name, value)
    apply_sampling(settings, args)  # --speed, then --scheduler/--steps/--guidance, --lora
    apply_sdxl(settings, args)
    check_texts(settings, args)
    if args.seed is None:
        settings.seed_for_next_run()  # "new each time" in the settings: as Generate does
    return settings


def saved_settings(path: str) -> dict[str, Any]:
    """The Generate settings kept in a project, a settings JSON or a picture."""
    file = Path(path).expanduser()
    if file.is_dir():
        raise BadInput(f"--settings {path} is a folder; give a project, a settings JSON or a "
                       "picture")
    if not file.is_file():
        raise BadInput(f"--settings {path}: no such file")
    suffix = file.suffix.lower()
    if suffix == ".t2ia":
        from t2ia_desktop.core.files.project import load_project

        return load_project(file)[1] or {}
    if suffix == ".json":
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise BadInput(f"--settings {path}: not readable JSON ({error})") from None
        if not isinstance(data, dict):
            raise BadInput(f"--settings {path}: not a settings object")
        return data
    from t2ia_desktop.core.generation.parameters_text import read_image_settings

    return read_image_settings(file).settings


def model_and_family(model: str, family: str | None) -> tuple[str, str]:
    """The model reference and its family: a folder's from its model_index.json (checked for
    its shape, see core/generation/model_folder.py), else ``family`` or SDXL."""
    folder = Path(model).expanduser()
    if folder.exists():
        if not folder.is_dir():
            raise BadInput(f"{model} is a file, not a diffusers pipeline folder (one with "
                           "model_index.json)")
        class_name, found = model_folder_family(folder)
        if family and family != found:
            raise BadInput(f"{model} is a {class_name}, not a {family} model")
        return str(folder), found
    if model != DEMO_MODEL and not is_hub_id(model):
        raise BadInput(f"model {model!r} is neither an existing folder nor a hub id like "
                       "'owner/name'")
    return model, family or "sdxl"


def check_texts(settings: GenerationSettings, args: argparse.Namespace) -> None:
    """Refuse prompts that are not text: bytes that are not UTF-8 reach Python as lone
    surrogates, which no tokenizer or PNG can take."""
    for option, name in TEXT_OPTIONS:
        text = getattr(settings, name)
        if not isinstance(text, str):
            continue
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            where = (f"--{option.replace('_', '-')}" if getattr(args, option, None) is not None
                     else f"the {name.replace('_', ' ')} of --settings {args.settings}")
            bad = text[error.start:error.end].encode("utf-8", "surrogateescape")
            raise BadInput(f"{where} is not valid UTF-8 text (it holds the byte "
                           f"{bad[:1].hex(' ').upper()}); write it in UTF-8, or check the "
                           "terminal's or the script's encoding") from None
