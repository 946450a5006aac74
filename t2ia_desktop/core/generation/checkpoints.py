"""The models the artist can choose: built-in ones, local folders and single files they added,
downloads, and pipelines found in the Hugging Face cache. Plain Python: no torch, no Qt.

The list the artist edits lives in ``models.json`` under the user data dir; the memory setting
is core/settings.py's ``memory_policy``. A checkpoint's family is read from its
safetensors header (the key names) without loading any tensor; pickle checkpoints are refused.
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
from dataclasses import asdict, dataclass, field
from pathlib import Path

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.files.atomic_file import atomic_write
from t2ia_desktop.core.files.state_file import (
    Unreadable,
    check_version,
    read_json,
    unreadable_note,
)
from t2ia_desktop.core.generation.memory_policy import DEFAULT_MEMORY_SETTING, MEMORY_SETTINGS
from t2ia_desktop.core.generation.request import DEFAULT_SDXL_MODEL, DEMO_MODEL
from t2ia_desktop.core.paths import data_dir

SD15_MODEL = "stable-diffusion-v1-5/stable-diffusion-v1-5"
BASE_CONFIG_REPOS = {"sdxl": DEFAULT_SDXL_MODEL, "sd15": SD15_MODEL}
"""The repositories whose configurations (a few MB) single files of each family are built with."""

PICKLE_SUFFIXES = (".ckpt", ".bin", ".pt", ".pth", ".pkl", ".pickle")
SAFETENSORS_SUFFIX = ".safetensors"
DOWNLOADED_MARKER = "t2ia_model.json"  # written last into a downloaded model's folder
SCHEMA_VERSION = 1
MAX_LIST_BYTES = 4 * 1024 * 1024
MAX_TEXT = 4096  # a label, a reference (a hub id or a path), a configuration folder
MODEL_KINDS = ("demo", "hub", "folder", "file")
FAMILY_NAMES = {"sdxl": "SDXL", "sd15": "SD1.5"}
PIPELINE_FAMILIES = {
    "StableDiffusionXLPipeline": "sdxl", "StableDiffusionXLAdapterPipeline": "sdxl",
    "StableDiffusionXLImg2ImgPipeline": "sdxl", "StableDiffusionPipeline": "sd15",
    "StableDiffusionAdapterPipeline": "sd15", "StableDiffusionImg2ImgPipeline": "sd15",
}


def models_file() -> Path:
    return data_dir() / "models.json"


def models_dir() -> Path:
    """Where the model manager's downloads go: one diffusers folder per hub repository."""
    return data_dir() / "models"


def download_folder(repo: str) -> Path:
    return models_dir() / repo.replace("/", "--")


def downloaded(repo: str) -> Path | None:
    """The complete download of ``repo`` in the models folder, if there is one."""
    folder = download_folder(repo)
    return folder if (folder / DOWNLOADED_MARKER).is_file() else None


# -- checkpoints ------------------------------------------------------------------------------

def refuse_pickle(path: str | Path) -> None:
    """Raise :class:`BadInput` for a pickle checkpoint: loading one can run any code in it."""
    suffix = Path(path).suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        raise BadInput(
            f"{Path(path).name} is a pickle checkpoint ({suffix}): opening one can run code "
            "hidden in it, so the app does not. Download the .safetensors version of this "
            "model (most model pages offer one), or convert it to .safetensors with a tool you "
            "trust, then add that file."
        )


def safetensors_keys(path: str | Path) -> dict[str, dict]:
    """The tensor names of a .safetensors file with their dtype and shape (header only)."""
    path = Path(path)
    try:
        with open(path, "rb") as file:
            head = file.read(8)
            if len(head) < 8:
                raise ValueError("shorter than a header")
            (length,) = struct.unpack("<Q", head)
            if length > min(100_000_000, os.path.getsize(path)):
                raise ValueError("header length out of range")
            header = json.loads(file.read(length))
    except OSError as error:
        raise BadInput(f"Cannot read {path}: {error.strerror or error}") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise BadInput(
            f"{path.name} is damaged or not a safetensors file ({error}); download it again."
        ) from None
    if not isinstance(header, dict):
        raise BadInput(f"{path.name} is damaged or not a safetensors file; download it again.")
    header.pop("__metadata__", None)
    return header


def checkpoint_family(path: str | Path) -> str:
    """``"sdxl"`` or ``"sd15"`` for a single-file Stable Diffusion checkpoint, from its keys;
    :class:`BadInput` saying what the file is otherwise."""
    path = Path(path)
    refuse_pickle(path)
    if path.suffix.lower() != SAFETENSORS_SUFFIX:
        raise BadInput(f"{path.name} is not a .safetensors checkpoint; choose a .safetensors "
                       "file or a diffusers model folder.")
    keys = safetensors_keys(path)
    name = path.name

    def has(prefix: str) -> bool:
        return any(k.startswith(prefix) for k in keys)

    if not has("model.diffusion_model."):
        if any("lora" in k for k in keys):
            raise BadInput(f"{name} is a LoRA, not a model: choose the model it was made for, "
                           "and the LoRA with it.")
        raise BadInput(f"{name} holds no Stable Diffusion UNet (no model.diffusion_model.* "
                       "weights): it is not a whole checkpoint. Choose a full SDXL or SD1.5 "
                       ".safetensors file.")
    conv_in = keys.get("model.diffusion_model.input_blocks.0.0.weight", {}).get("shape", [])
    if len(conv_in) == 4 and conv_in[1] != 4:
        raise BadInput(f"{name} is an inpainting or edit model ({conv_in[1]} input channels); "
                       "choose a standard SDXL or SD1.5 checkpoint (inpainting works with it).")
    if has("conditioner.embedders.1."):
        return "sdxl"
    if has("conditioner.embedders.0.model."):
        raise BadInput(f"{name} is an SDXL refiner, not a base model; choose an SDXL base "
                       "checkpoint.")
    if has("cond_stage_model.transformer."):
        return "sd15"
    if has("cond_stage_model.model."):
        raise BadInput(f"{name} is a Stable Diffusion 2 checkpoint; the app paints with SDXL "
                       "and SD1.5 (their T2I-Adapters). Choose one of those.")
    raise BadInput(f"{name} has a UNet but no text encoder the app knows; choose a full SDXL "
                   "or SD1.5 checkpoint.")


def folder_family(folder: str | Path) -> str:
    """The family of a diffusers pipeline folder, from its model_index.json."""
    folder = Path(folder)
    index = folder / "model_index.json"
    try:
        data = json.loads(index.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(f"{folder} is not a diffusers model folder (no model_index.json). "
                       "Choose the folder that holds model_index.json, or a .safetensors "
                       "file.") from None
    except (OSError, ValueError) as error:
        raise BadInput(f"Cannot read {index}: {error}") from None
    name = data.get("_class_name", "") if isinstance(data, dict) else ""
    if name not in PIPELINE_FAMILIES:
        raise BadInput(f"{folder} holds a {name or 'unknown'} pipeline, not Stable Diffusion XL "
                       "or 1.5.")
    return PIPELINE_FAMILIES[name]


def size_on_disk(path: str | Path) -> int:
    """Bytes a file or folder takes (links followed, each file counted once)."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    total, seen = 0, set()
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                real = os.path.realpath(os.path.join(root, name))
                if real not in seen:
                    seen.add(real)
                    total += os.path.getsize(real)
            except OSError:
                continue
    return total


# -- the list ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class KnownModel:
    """One entry of the model list. ``reference`` is what a request's ``model`` holds."""

    label: str
    reference: str
    family: str
    kind: str  # "demo", "hub", "folder" or "file"
    config: str | None = None
    """Single files: a diffusers folder whose configs build the pipeline (None: the base's)."""
    builtin: bool = False
    cached: bool = False  # found in the Hugging Face cache, not added by the artist

    def location(self) -> Path | None:
        """Where its files are on this machine, if they are."""
        if self.kind in ("folder", "file"):
            path = Path(self.reference).expanduser()
            return path if path.exists() else None
        if self.kind == "hub":
            return downloaded(self.reference) or hub_cache_folder(self.reference)
        return None

    def state(self) -> str:
        """"installed", "missing", or for the demo "built-in" (written when first used)."""
        if self.kind == "demo":
            return "built-in"
        return "installed" if self.location() is not None else "missing"


DOWNLOAD_SIZES = {DEFAULT_SDXL_MODEL: 6_940_000_000, SD15_MODEL: 2_130_000_000}
"""Approximate bytes a built-in hub model downloads (the fp16 safetensors of the UNet, text
encoders and VAE, with the configs), shown for a model that is not here yet."""


BUILTIN_MODELS = (
    KnownModel("demo (random weights)", DEMO_MODEL, "sdxl", "demo", builtin=True),
    KnownModel("SDXL base 1.0", DEFAULT_SDXL_MODEL, "sdxl", "hub", builtin=True),
    KnownModel("Stable Diffusion 1.5", SD15_MODEL, "sd15", "hub", builtin=True),
)


def hub_cache_folder(repo: str) -> Path | None:
    """The Hugging Face cache's snapshot of ``repo`` when it holds a pipeline (no network)."""
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(repo, "model_index.json")
    except Exception:
        return None
    return Path(found).parent if isinstance(found, str) else None


def cached_pipelines() -> list[KnownModel]:
    """SDXL and SD1.5 pipelines already in the Hugging Face cache."""
    try:
        from huggingface_hub import scan_cache_dir

        repos = scan_cache_dir().repos
    except Exception:
        return []
    found = []
    for repo in sorted(repos, key=lambda r: r.repo_id):
        if repo.repo_type != "model":
            continue
        folder = hub_cache_folder(repo.repo_id)
        if folder is None:
            continue
        try:
            family = folder_family(folder)
        except BadInput:
            continue
        found.append(KnownModel(repo.repo_id, repo.repo_id, family, "hub", cached=True))
    return found


@dataclass
class ModelList:
    """The artist's models, kept in ``models.json``."""

    added: list[KnownModel] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)  # built-in / cached references removed
    path: Path | None = None
    note: str = field(default="", compare=False)
    """What the artist should be told about the file ("" when it read back whole)."""

    @classmethod
    def load(cls, path: Path | None = None) -> ModelList:
        """The saved list. A file that is not a JSON object (or too large, too deep, from a
        newer app) is set aside and gives the built-in list; an entry of the wrong shape is
        left out alone, the file as it was is copied aside and written again without it. Either
        way :attr:`note` says so, once."""
        path = path or models_file()
        models = cls(path=path)
        try:
            data = read_json(path, max_bytes=MAX_LIST_BYTES)
            if data is None:
                return models
            if not isinstance(data, dict):
                raise Unreadable("is not a JSON object")
            check_version(data, SCHEMA_VERSION, "model list")
        except Unreadable as error:
            models.note = unreadable_note(path, "The model list", str(error),
                                          "the built-in models are offered")
            return models
        items, hidden = data.get("models", []), data.get("hidden", [])
        items = items if isinstance(items, list) else [items]  # "models": 5 is one bad entry
        hidden = hidden if isinstance(hidden, list) else [hidden]
        for item in items:
            model = _model_from_json(item)
            if model is not None:
                models.added.append(model)
        models.hidden = [r for r in hidden if isinstance(r, str) and 0 < len(r) <= MAX_TEXT]
        bad = len(items) - len(models.added) + len(hidden) - len(models.hidden)
        if bad:
            models.note = unreadable_note(
                path, "The model list", f"has {bad} entr{'ies' if bad > 1 else 'y'} that could "
                "not be read", "the other models are offered", copy=True)
            with contextlib.suppress(OSError):
                models.save()  # without them: told once
        return models

    def save(self) -> None:
        path = self.path or models_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "version": SCHEMA_VERSION,
            "models": [{k: v for k, v in asdict(m).items() if k not in ("builtin", "cached")}
                       for m in self.added],
            "hidden": self.hidden,
        }
        with atomic_write(path, "w", encoding="utf-8", suffix=".tmp") as stream:
            stream.write(json.dumps(data, indent=2))

    def entries(self, include_cache: bool = True) -> list[KnownModel]:
        """Everything to offer: built-ins, the artist's models, then cached pipelines."""
        shown: list[KnownModel] = []
        seen: set[str] = set()
        cache = cached_pipelines() if include_cache else []
        for model in (*BUILTIN_MODELS, *self.added, *cache):
            if model.reference in seen or model.reference in self.hidden:
                continue
            seen.add(model.reference)
            shown.append(model)
        return shown

    def find(self, reference: str) -> KnownModel | None:
        return next((m for m in self.entries() if m.reference == reference), None)

    def add_local(self, path: str | Path, label: str | None = None,
                  config: str | None = None) -> KnownModel:
        """Add a diffusers folder or a .safetensors checkpoint; :class:`BadInput` says why not."""
        path = Path(path).expanduser().resolve()
        if not path.exists():
            raise BadInput(f"{path} does not exist.")
        if path.is_dir():
            model = KnownModel(label or path.name, str(path), folder_family(path), "folder")
        else:
            family = checkpoint_family(path)
            model = KnownModel(label or path.stem, str(path), family, "file", config)
        return self._add(model)

    def add_hub(self, repo: str, family: str, label: str | None = None) -> KnownModel:
        return self._add(KnownModel(label or repo, repo, family, "hub"))

    def _add(self, model: KnownModel) -> KnownModel:
        if model.reference in self.hidden:
            self.hidden.remove(model.reference)
        self.added = [m for m in self.added if m.reference != model.reference] + [model]
        self.save()
        return model

    def remove(self, reference: str) -> None:
        """Take a model off the list (its files stay; see :func:`delete_files`)."""
        if reference == DEMO_MODEL:
            raise BadInput("The demo model is built in and cannot be removed.")
        self.added = [m for m in self.added if m.reference != reference]
        if any(m.reference == reference for m in (*BUILTIN_MODELS, *cached_pipelines())):
            self.hidden.append(reference)
        self.save()

    def config_for(self, reference: str) -> str | None:
        """The configuration folder recorded for a single-file model."""
        model = next((m for m in self.added if m.reference == reference), None)
        return model.config if model is not None else None


def _model_from_json(item: object) -> KnownModel | None:
    """One entry of ``models.json``; ``None`` when it is not of the right shape."""
    if not isinstance(item, dict):
        return None
    label, reference, family, kind, config = (
        item.get(key) for key in ("label", "reference", "family", "kind", "config"))
    texts_ok = all(isinstance(text, str) and 0 < len(text) <= MAX_TEXT
                   for text in (label, reference))
    config_ok = config is None or (isinstance(config, str) and len(config) <= MAX_TEXT)
    kinds_ok = isinstance(family, str) and family in FAMILY_NAMES and kind in MODEL_KINDS
    if not (texts_ok and config_ok and kinds_ok):
        return None
    return KnownModel(label, reference, family, kind, config)


def memory_setting() -> str:
    """The artist's memory setting (core/settings.py's ``memory_policy``), read afresh."""
    from t2ia_desktop.core.settings import SettingsStore

    try:
        value = SettingsStore().memory_policy
    except Exception:
        return DEFAULT_MEMORY_SETTING
    return value if value in MEMORY_SETTINGS else DEFAULT_MEMORY_SETTING
