"""Downloading one guide model (a T2I-Adapter or a ControlNet) from the hub into the app's
models folder.

The layout is the one pipelines download into (engine/model_downloads.py): a plain diffusers
folder ``<data>/models/<owner>--<name>/`` with a marker written last, which the pipeline store
finds for the model's hub id, so ``T2IAdapter.from_pretrained`` / ``ControlNetModel.
from_pretrained`` load it offline. Files: ``config.json`` and the safetensors weights (the fp16
variant where there is one, saved under the plain name). A repository with only
``diffusion_pytorch_model.bin`` (some SD1.x adapters) gets that file for an adapter, which
diffusers reads with ``torch.load(weights_only=True)``; for a ControlNet such a pickle is
refused (every ControlNet the registry names has safetensors).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path

from t2ia_desktop.core.errors import BadInput, ModelUnavailable
from t2ia_desktop.core.generation.checkpoints import DOWNLOADED_MARKER, download_folder
from t2ia_desktop.engine.model_store import hub
from t2ia_desktop.engine.model_store.downloads import Progress, download_files
from t2ia_desktop.engine.model_store.model_downloads import FP16, repo_files

WEIGHTS = "diffusion_pytorch_model"
GUIDE_KINDS = {"adapter": "T2I-Adapter", "controlnet": "ControlNet"}
"""The kinds of guide model this downloads, and their names in messages."""


def guide_files(files: Sequence[str], kind: str = "adapter") -> list[tuple[str, str]]:
    """``(remote name, local name)`` pairs a guide model's folder needs, from the repository's
    files (top level only)."""
    name = GUIDE_KINDS[kind]
    top = [item for item in files if "/" not in item]
    if "config.json" not in top:
        raise BadInput(f"it has no config.json: not a diffusers {name} repository")
    half, plain, pickle = (f"{WEIGHTS}.fp16.safetensors", f"{WEIGHTS}.safetensors",
                           f"{WEIGHTS}.bin")
    for remote in (half, plain, pickle):
        if remote not in top:
            continue
        if remote == pickle and kind != "adapter":
            raise BadInput(f"it has only {pickle}, a pickle file that can run code when "
                           f"loaded: a {name} is taken only as {plain}")
        return [("config.json", "config.json"), (remote, remote.replace(FP16, "."))]
    raise BadInput(f"it has no {plain} (nor {pickle}): not a diffusers {name} repository")


def adapter_files(files: Sequence[str]) -> list[tuple[str, str]]:
    """:func:`guide_files` of a T2I-Adapter."""
    return guide_files(files, "adapter")


def download_guide(repo: str, kind: str = "adapter", *, progress: Progress | None = None,
                   cancel: threading.Event | None = None) -> Path:
    """Download the guide model ``repo`` into the models folder; returns the folder. Complete
    files are kept on Cancel and not fetched again."""
    cancel = cancel or threading.Event()
    folder = download_folder(repo)
    if hub.offline():
        raise ModelUnavailable(f"Cannot download {repo}: offline mode is on (HF_HUB_OFFLINE). "
                               f"Turn it off, or copy the {GUIDE_KINDS[kind]} folder into "
                               f"{folder} by hand.")
    try:
        pairs = guide_files(repo_files(repo), kind)
    except BadInput as error:
        raise BadInput(f"{repo}: {error}") from None
    needed = [(remote, local) for remote, local in pairs if not (folder / local).is_file()]
    download_files(repo, [remote for remote, _ in needed], folder, progress=progress,
                   cancel=cancel)
    for remote, local in needed:
        if remote != local:
            os.replace(folder / remote, folder / local)
    (folder / DOWNLOADED_MARKER).write_text(json.dumps({"repo": repo, "kind": kind}),
                                            encoding="utf-8")
    return folder


def download_adapter(repo: str, **kwargs: object) -> Path:
    """:func:`download_guide` of a T2I-Adapter."""
    return download_guide(repo, "adapter", **kwargs)  # type: ignore[arg-type]


def download_adapters(repos: Sequence[str], **kwargs: object) -> list[Path]:
    """Each of ``repos`` in turn (the download service's ``download(files, ...)`` shape)."""
    return [download_guide(repo, "adapter", **kwargs) for repo in repos]  # type: ignore[arg-type]


def download_controlnets(repos: Sequence[str], **kwargs: object) -> list[Path]:
    """Each ControlNet (or ControlNet Union) of ``repos`` in turn."""
    return [download_guide(repo, "controlnet", **kwargs)  # type: ignore[arg-type]
            for repo in repos]
