"""A diffusers model folder, read before any model loads: its ``model_index.json`` must be an
object that names a Stable Diffusion XL or 1.5 pipeline, and the weights beside it must be of
that family. A folder of the wrong shape is named as such, instead of failing deep inside
diffusers with a ``TypeError`` once the weights are loaded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from t2ia_desktop.core.errors import BadInput

PIPELINE_FAMILIES = {
    "StableDiffusionXLPipeline": "sdxl", "StableDiffusionXLAdapterPipeline": "sdxl",
    "StableDiffusionXLImg2ImgPipeline": "sdxl", "StableDiffusionXLInpaintPipeline": "sdxl",
    "StableDiffusionPipeline": "sd15", "StableDiffusionAdapterPipeline": "sd15",
    "StableDiffusionImg2ImgPipeline": "sd15", "StableDiffusionInpaintPipeline": "sd15",
}
FAMILY_NAMES = {"sdxl": "SDXL", "sd15": "SD1.5"}
MAX_CONFIG_BYTES = 1 << 20
"""A model_index.json or a UNet config.json is a few kilobytes."""
REPAIR = "download or convert the model again"


def model_folder_family(folder: str | Path) -> tuple[str, str]:
    """The pipeline class ``folder``'s ``model_index.json`` names and its family (``sdxl``,
    ``sd15``), after checking that the folder's shape fits them."""
    folder = Path(folder)
    index = _json_object(folder / "model_index.json", folder)
    if index is None:
        raise BadInput(f"{folder} is not a diffusers pipeline folder (no model_index.json)")
    name = index.get("_class_name")
    if not isinstance(name, str) or not name:
        raise BadInput(f"{folder}: its model_index.json names no pipeline class "
                       f"(\"_class_name\"); {REPAIR}")
    family = PIPELINE_FAMILIES.get(name)
    if family is None:
        raise BadInput(f"{folder} holds a {_short(name)}, not a Stable Diffusion XL or 1.5 "
                       "pipeline; choose an SDXL or SD1.5 model")
    found = _weights_family(folder, index)
    if found is not None and found != family:
        raise BadInput(f"{folder}: its model_index.json names a {name} ({FAMILY_NAMES[family]}) "
                       f"but its weights are {FAMILY_NAMES[found]}'s; {REPAIR}, or correct "
                       "\"_class_name\" in model_index.json")
    return name, family


def _weights_family(folder: Path, index: dict[str, Any]) -> str | None:
    """The family the components say, where they say it: the UNet's config (SDXL's takes the
    "text_time" embeddings) and the second text encoder only SDXL has."""
    unet = _json_object(folder / "unet" / "config.json", folder)
    if unet is not None:
        return "sdxl" if unet.get("addition_embed_type") == "text_time" else "sd15"
    if "unet" not in index:  # a bare index: nothing to compare
        return None
    second = index.get("text_encoder_2")
    return "sdxl" if isinstance(second, list) and any(second) else "sd15"


def _json_object(path: Path, folder: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``; None when there is no such file; BadInput naming the file
    when it is not a readable object."""
    shown = path.relative_to(folder).as_posix()
    try:
        if not path.is_file():
            return None
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise BadInput(f"{folder}: its {shown} is too large to be a configuration; {REPAIR}")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
        reason = getattr(error, "strerror", None) or "not readable JSON"
        raise BadInput(f"{folder} has an unreadable {shown} ({reason}); {REPAIR}") from None
    if not isinstance(data, dict):
        raise BadInput(f"{folder}: its {shown} is a JSON {_json_kind(data)}, not an object; "
                       f"the folder is damaged; {REPAIR}")
    return data


def _json_kind(value: object) -> str:
    kinds = {list: "list", str: "string", bool: "true/false", type(None): "null"}
    return kinds.get(type(value), "number")


def _short(name: str) -> str:
    return name if len(name) <= 80 else name[:80] + "…"
