"""What the model manager lists besides base models: adapters, ControlNets, detector weights.

Adapters: each registered condition's adapter for each family (hub ids, plugins included),
found in the models folder (the manager's downloads) or the Hugging Face cache; and the adapter
folders plugins ship inside themselves, which belong to their plugin (listed, never downloaded
or deleted here). ControlNets: each registered condition's ControlNet per family and each
family's ControlNet Union model, found, downloaded and deleted as adapters are. Detector
weights: each ``lllyasviel/Annotators`` file the registered conditions need, found where the
detectors look (engine/weights.py). Nothing here touches the network or torch; the engine's
modules are imported inside the calls, as runtime/downloads.py does.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject

from t2ia_desktop.core.conditions.guides import UNION_CONTROLNETS
from t2ia_desktop.core.conditions.plugin_manifest import MANIFEST, read_manifest
from t2ia_desktop.core.conditions.registry import ConditionRegistry, ConditionType
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.checkpoints import download_folder, downloaded
from t2ia_desktop.core.generation.request import is_hub_id
from t2ia_desktop.core.settings import current_annotators_root
from t2ia_desktop.runtime.downloads import WeightDownloads


@dataclass(frozen=True)
class AdapterAsset:
    """One adapter repository and the conditions (labels) and families that use it."""

    repo: str
    family: str
    conditions: tuple[str, ...]

    def location(self) -> Path | None:
        """Its folder on this machine: the models folder's download, else the hub cache."""
        return downloaded(self.repo) or adapter_cache_folder(self.repo)


@dataclass(frozen=True)
class PluginAdapterAsset:
    """An adapter folder a plugin ships, the conditions (labels) and families that use it and
    the plugin's name."""

    folder: Path
    family: str
    conditions: tuple[str, ...]
    plugin: str

    def location(self) -> Path | None:
        """The folder, while it is there (a plugin folder may be changed under the app)."""
        return self.folder if self.folder.is_dir() else None


@dataclass(frozen=True)
class WeightAsset:
    """One detector weight file and the conditions (labels) whose detectors read it."""

    file: str
    conditions: tuple[str, ...]
    approximate_size: int | None

    def location(self) -> Path | None:
        from t2ia_desktop.engine.model_store.weights import find_weights

        folder = find_weights((self.file,), current_annotators_root())
        return folder / self.file if folder is not None else None


def adapter_cache_folder(repo: str) -> Path | None:
    """The Hugging Face cache's snapshot of an adapter repository, if it holds one."""
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(repo, "config.json")
    except Exception:
        return None
    return Path(found).parent if isinstance(found, str) else None


def hub_assets(registry: ConditionRegistry,
               model_of: Callable[[ConditionType, str], str | None]) -> list[AdapterAsset]:
    """Every hub model ``model_of(condition, family)`` names for the registered conditions,
    SDXL first, one row per repository (the conditions that share it listed together)."""
    found: dict[str, tuple[str, list[str]]] = {}
    for family in ("sdxl", "sd15"):
        for condition in registry:
            repo = model_of(condition, family)
            if repo and is_hub_id(repo) and not Path(repo).expanduser().exists():
                labels = found.setdefault(repo, (family, []))[1]
                if condition.label not in labels:
                    labels.append(condition.label)
    return [AdapterAsset(repo, family, tuple(labels))
            for repo, (family, labels) in found.items()]


def adapter_assets(registry: ConditionRegistry) -> list[AdapterAsset]:
    """Every hub adapter of the registered conditions, SDXL first, one row per repository."""
    return hub_assets(registry, lambda condition, family: condition.adapters.get(family))


def controlnet_assets(registry: ConditionRegistry) -> list[AdapterAsset]:
    """Every hub ControlNet of the registered conditions, then each family's ControlNet Union
    model with the conditions it reads."""
    def union(condition: ConditionType, family: str) -> str | None:
        return UNION_CONTROLNETS.get(family) if condition.union_mode is not None else None

    return [*hub_assets(registry, lambda c, family: c.controlnets.get(family)),
            *hub_assets(registry, union)]


def plugin_name(condition: ConditionType, folder: Path) -> str:
    """The name of the plugin that ships ``folder``: from the manifest of the plugin folder
    holding it, else from the condition's source ("plugin NAME VERSION (where)")."""
    for parent in folder.parents:
        if (parent / MANIFEST).is_file():
            try:
                return read_manifest(parent).name
            except BadInput:
                break
    text = condition.source.removeprefix("plugin ").split(" (", 1)[0]
    return text.rsplit(" ", 1)[0] if " " in text else text


def plugin_adapter_assets(registry: ConditionRegistry) -> list[PluginAdapterAsset]:
    """Every adapter folder of the registered plugin conditions (a plugin gives one relative
    to its folder; registering made it absolute), SDXL first, one row per folder."""
    found: dict[Path, tuple[str, list[str], str]] = {}
    for family in ("sdxl", "sd15"):
        for condition in registry:
            adapter = condition.adapters.get(family)
            if not adapter or condition.source == "built-in" or not Path(adapter).is_absolute():
                continue
            folder = Path(adapter)
            if folder not in found:
                found[folder] = (family, [], plugin_name(condition, folder))
            if condition.label not in found[folder][1]:
                found[folder][1].append(condition.label)
    return [PluginAdapterAsset(folder, family, tuple(labels), plugin)
            for folder, (family, labels, plugin) in found.items()]


def weight_assets(registry: ConditionRegistry) -> list[WeightAsset]:
    """Every detector weight file the registered conditions need, in registration order."""
    from t2ia_desktop.engine.model_store.weights import APPROXIMATE_SIZES

    found: dict[str, list[str]] = {}
    for condition in registry:
        for file in condition.weight_files:
            found.setdefault(file, []).append(condition.label)
    return [WeightAsset(file, tuple(labels), APPROXIMATE_SIZES.get(file))
            for file, labels in found.items()]


def delete_adapter(repo: str) -> list[Path]:
    """Delete the adapter's download and its Hugging Face cache entry; returns what went."""
    gone = []
    folder = download_folder(repo)
    if folder.is_dir():
        shutil.rmtree(folder)
        gone.append(folder)
    try:
        from huggingface_hub import scan_cache_dir

        repos = [r for r in scan_cache_dir().repos if r.repo_id == repo]
    except Exception:
        repos = []
    for cached in repos:
        shutil.rmtree(cached.repo_path, ignore_errors=True)
        gone.append(Path(cached.repo_path))
    return gone


def weight_deletable(path: Path) -> bool:
    """Whether ``path`` is in an annotators folder (the cache's shared snapshot is left alone)."""
    from t2ia_desktop.engine.model_store.weights import annotators_folder, app_annotators_folder

    return path.parent in (annotators_folder(current_annotators_root()), app_annotators_folder())


def download_adapters(repos: Sequence[str], **kwargs: Any) -> list[Any]:
    from t2ia_desktop.engine.model_store.adapter_downloads import download_adapters as fetch

    return fetch(repos, **kwargs)


def adapter_downloads(parent: QObject | None = None) -> WeightDownloads:
    """The app's adapter download service (one download at a time, with Cancel)."""
    return WeightDownloads(download_adapters, parent)


def download_controlnets(repos: Sequence[str], **kwargs: Any) -> list[Any]:
    from t2ia_desktop.engine.model_store.adapter_downloads import download_controlnets as fetch

    return fetch(repos, **kwargs)


def controlnet_downloads(parent: QObject | None = None) -> WeightDownloads:
    """The app's ControlNet download service (one download at a time, with Cancel)."""
    return WeightDownloads(download_controlnets, parent)
