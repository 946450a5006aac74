"""Downloading one T2I-Adapter from the hub into the app's models folder.

The layout is the one pipelines download into (engine/model_downloads.py): a plain diffusers
folder ``<data>/models/<owner>--<name>/`` with a marker written last, which
``PipelineStore.adapter_location`` finds for the adapter's hub id, so ``T2IAdapter.
from_pretrained`` loads it offline. Files: ``config.json`` and the safetensors weights (the fp16
variant where there is one, saved under the plain name); a repository with only
``diffusion_pytorch_model.bin`` (some SD1.x adapters) gets that file, which diffusers reads with
``torch.load(weights_only=True)``.
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


def adapter_files(files: Sequence[str]) -> list[tuple[str, str]]:
    """``(remote name, local name)`` pairs an adapter folder needs, from the repository's files
    (top level only)."""
    top = [name for name in files if "/" not in name]
    if "config.json" not in top:
        raise BadInput("it has no config.json: not a diffusers T2I-Adapter repository")
    half, plain, pickle = (f"{WEIGHTS}.fp16.safetensors", f"{WEIGHTS}.safetensors",
                           f"{WEIGHTS}.bin")
    for remote in (half, plain, pickle):
        if remote in top:
            return [("config.json", "config.json"), (remote, remote.replace(FP16, "."))]
    raise BadInput(f"it has no {plain} (nor {pickle}): not a diffusers T2I-Adapter repository")


def download_adapter(repo: str, *, progress: Progress | None = None,
                     cancel: threading.Event | None = None) -> Path:
    """Download the adapter ``repo`` into the models folder; returns the folder. Complete files
    are kept on Cancel and not fetched again."""
    cancel = cancel or threading.Event()
    folder = download_folder(repo)
    if hub.offline():
        raise ModelUnavailable(f"Cannot download {repo}: offline mode is on (HF_HUB_OFFLINE). "
                               "Turn it off, or copy the adapter folder into "
                               f"{folder} by hand.")
    try:
        pairs = adapter_files(repo_files(repo))
    except BadInput as error:
        raise BadInput(f"{repo}: {error}") from None
    needed = [(remote, local) for remote, local in pairs if not (folder / local).is_file()]
    download_files(repo, [remote for remote, _ in needed], folder, progress=progress,
                   cancel=cancel)
    for remote, local in needed:
        if remote != local:
            os.replace(folder / remote, folder / local)
    (folder / DOWNLOADED_MARKER).write_text(json.dumps({"repo": repo, "kind": "adapter"}),
                                            encoding="utf-8")
    return folder


def download_adapters(repos: Sequence[str], **kwargs: object) -> list[Path]:
    """Each of ``repos`` in turn (the download service's ``download(files, ...)`` shape)."""
    return [download_adapter(repo, **kwargs) for repo in repos]  # type: ignore[arg-type]
