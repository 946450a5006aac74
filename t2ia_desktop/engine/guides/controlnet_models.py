"""Loading ControlNets (plain and Union), and the checks made before the UNet runs.

A ControlNet comes from a folder or a hub id, like an adapter (engine/model_store/hub.py: the
cache first, a download only when the hub answers, the same message offline). Only safetensors
weights are read: a pickle file (``.bin``, ``.ckpt``, ``.pt``, ``.pth``) can run code when it is
loaded, so a folder holding only those is refused with what to do. A ControlNet trained for the
other family, or a union model asked for a ``control_mode`` it was not trained on, is refused
with both named, before anything runs.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path

import torch

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.checkpoints import FAMILY_NAMES
from t2ia_desktop.core.generation.phases import LOADING_ADAPTERS, PhaseSink
from t2ia_desktop.engine.model_store import hub

PICKLE_SUFFIXES = (".bin", ".ckpt", ".pt", ".pth")
UNION_CLASS = "ControlNetUnionModel"
PLAIN_CLASS = "ControlNetModel"


def controlnet_family(config: Mapping) -> str:
    """``sdxl`` or ``sd15`` from a ControlNet's config: SDXL's encoder copy takes the pooled
    text and size embeddings (``addition_embed_type`` "text_time"), SD1.5's does not."""
    return "sdxl" if config.get("addition_embed_type") == "text_time" else "sd15"


def refuse_pickle_only(location: str, what: str) -> None:
    """Refuse a local folder whose weights are pickle files only."""
    folder = Path(location).expanduser()
    if not folder.is_dir():
        return
    names = [p.name for p in folder.iterdir() if p.is_file()]
    if any(name.endswith(".safetensors") for name in names):
        return
    pickles = [name for name in names if name.endswith(PICKLE_SUFFIXES)]
    if pickles:
        raise BadInput(
            f"The {what} {location} holds only pickle weights ({', '.join(sorted(pickles))}), "
            "which can run code when loaded; only .safetensors ControlNets are loaded. Use the "
            "model's safetensors release, or convert it with diffusers' save_pretrained "
            "(safe_serialization=True).")


def check_controlnet(model: torch.nn.Module, location: str, condition: str, family: str,
                     unet_config: Mapping) -> None:
    """Refuse a ControlNet that cannot guide ``family``'s UNet, naming the family to choose."""
    config = model.config
    found = controlnet_family(config)
    if found != family:
        raise BadInput(
            f"The {condition} ControlNet {location} is an {FAMILY_NAMES[found]} ControlNet, but "
            f"the model is {FAMILY_NAMES[family]}: a ControlNet works only with models of the "
            f"family it was trained for. Choose an {FAMILY_NAMES[family]} ControlNet for this "
            f"layer (or clear its ControlNet to use the default), or switch the model family "
            f"to {found}.")
    wanted, given = unet_config.get("cross_attention_dim"), config.get("cross_attention_dim")
    if wanted is not None and given != wanted:
        raise BadInput(
            f"The {condition} ControlNet {location} reads prompt embeddings of width {given}, "
            f"but this {FAMILY_NAMES[family]} model's UNet gives {wanted}: it was made for "
            f"another base model. Choose a ControlNet made for this model's base.")


def check_union_mode(model: torch.nn.Module, location: str, condition: str, mode: int) -> None:
    """Refuse a union model asked for a ``control_mode`` it was not trained on."""
    types = int(model.config.get("num_control_type", 0))
    if not 0 <= mode < types:
        raise BadInput(
            f"The ControlNet Union model {location} knows {types} control types (modes 0 to "
            f"{types - 1}), not mode {mode}, which the {condition} condition needs. Choose the "
            f"ControlNet or T2I-Adapter guide for this layer, or a union model that has it "
            f"(e.g. a ProMax release).")


def _class_name(location: str, cls, local_files_only: bool) -> str | None:
    try:
        config = (json.loads((Path(location) / "config.json").read_text(encoding="utf-8"))
                  if Path(location).is_dir()
                  else cls.load_config(location, local_files_only=local_files_only))
    except (OSError, ValueError):
        return None  # from_pretrained says what is wrong
    return config.get("_class_name")


class ControlNetStore:
    """Keeps a few loaded ControlNets (LRU), each on the engine's device in its dtype."""

    def __init__(self, device: torch.device, dtype: torch.dtype, max_models: int = 3) -> None:
        self.device = device
        self.dtype = dtype
        self.max_models = max_models
        self._models: OrderedDict[str, torch.nn.Module] = OrderedDict()

    def __len__(self) -> int:
        return len(self._models)

    def clear(self) -> None:
        self._models.clear()

    def get(self, location: str, union: bool, condition: str,
            on_phase: PhaseSink | None = None) -> torch.nn.Module:
        """The ControlNet (``union``: the ControlNet Union model) at ``location``."""
        if location in self._models:
            self._models.move_to_end(location)
            model = self._models[location]
            self._check_kind(model, location, union)
            return model
        from diffusers import ControlNetModel, ControlNetUnionModel

        what = "ControlNet Union model" if union else f"{condition} ControlNet"
        refuse_pickle_only(location, what)
        cls = ControlNetUnionModel if union else ControlNetModel
        if on_phase is not None:
            on_phase(LOADING_ADAPTERS, None)

        def load(reference: str, local_files_only: bool):
            found = _class_name(reference, cls, local_files_only)
            if found in (UNION_CLASS, PLAIN_CLASS) and found != cls.__name__:
                raise BadInput(self._kind_message(location, found == UNION_CLASS))
            return cls.from_pretrained(reference, torch_dtype=self.dtype,
                                       local_files_only=local_files_only, use_safetensors=True)

        model = hub.load(location, what, load)
        if self.device.type != "cpu":
            model = model.to(self.device)
        model.eval()
        self._models[location] = model
        while len(self._models) > self.max_models:
            self._models.popitem(last=False)
        return model

    def _check_kind(self, model, location: str, union: bool) -> None:
        if (type(model).__name__ == UNION_CLASS) != union:
            raise BadInput(self._kind_message(location, not union))

    @staticmethod
    def _kind_message(location: str, is_union: bool) -> str:
        if is_union:
            return (f"{location} is a ControlNet Union model: choose the ControlNet Union guide "
                    "for this layer, or a plain ControlNet.")
        return (f"{location} is a plain ControlNet, not a ControlNet Union model: choose the "
                "ControlNet guide for this layer, or a union model.")
