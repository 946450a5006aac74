"""Downloading a whole diffusers pipeline from the hub into the app's models folder.

Where the files go: a plain diffusers folder ``<data>/models/<owner>--<name>/`` rather than the
Hugging Face cache. The download service (engine/downloads.py) streams each file to ``.part``
with byte progress and a Cancel checked between chunks; writing the cache's blobs/snapshots/refs
layout by hand would copy huggingface_hub's internals. The app finds the folder for the hub id
(``PipelineStore.model_location``), so ``from_pretrained`` loads it offline; a marker file
written last tells a complete download from an interrupted one, and files already complete are
not fetched again (resume by file).

Which files: ``model_index.json`` and, for each component it names, the configs, the tokenizer
files and the safetensors weights (the fp16 variant where the repository has one, saved under
the plain name so no ``variant=`` is needed; torch converts the dtype on load). Never pickles,
ONNX or Flax weights, and not the repository's single-file checkpoints.
"""

from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from t2ia_desktop.core.errors import BadInput, ModelUnavailable
from t2ia_desktop.core.generation.checkpoints import (
    DOWNLOADED_MARKER,
    download_folder,
    folder_family,
)
from t2ia_desktop.core.generation.request import is_hub_id
from t2ia_desktop.engine.model_store import hub
from t2ia_desktop.engine.model_store.downloads import TIMEOUT_S, Progress, download_files

FP16 = ".fp16."


def repo_files(repo: str, revision: str = "main", endpoint: str | None = None,
               timeout: float = TIMEOUT_S) -> list[str]:
    """The file names of ``repo`` at ``revision``, from the hub's model API."""
    if not is_hub_id(repo):
        raise BadInput(f"{repo!r} is not a hub id like 'owner/name'.")
    base = (endpoint or hub.endpoint()).rstrip("/")
    url = f"{base}/api/models/{repo}/revision/{urllib.parse.quote(revision, safe='')}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data = json.loads(response.read())
    except urllib.error.HTTPError as error:
        if error.code in (401, 404):
            raise ModelUnavailable(
                f"The hub has no model {repo} (or it needs an access token): check the id on "
                f"huggingface.co, or log in with `hf auth login` for gated models.") from None
        raise ModelUnavailable(f"The hub answered {error.code} {error.reason} for {repo}; "
                               "try again later.") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise ModelUnavailable(f"Cannot reach the hub at {base} to list {repo} "
                               f"({getattr(error, 'reason', error)}). Connect to the internet "
                               "and try again.") from None
    siblings = data.get("siblings", []) if isinstance(data, dict) else []
    return [s["rfilename"] for s in siblings if isinstance(s, dict) and "rfilename" in s]


def pipeline_files(files: Sequence[str], index: dict) -> list[tuple[str, str]]:
    """``(remote name, local name)`` pairs of the files ``from_pretrained`` needs."""
    components = {name for name, value in index.items()
                  if not name.startswith("_") and isinstance(value, list) and value[0]}
    chosen = [("model_index.json", "model_index.json")]
    by_folder: dict[str, list[str]] = {}
    for name in files:
        folder, _, rest = name.partition("/")
        if folder in components and rest and "/" not in rest:
            by_folder.setdefault(folder, []).append(name)
    for folder in sorted(by_folder):
        names = by_folder[folder]
        weights = [n for n in names if n.endswith(".safetensors")]
        halves = [n for n in weights if FP16 in n and "-of-" not in n]
        plain = [n for n in weights if FP16 not in n]
        for name in names:
            if name.endswith((".json", ".txt", ".model")) and FP16 not in name:
                chosen.append((name, name))
        if halves:
            chosen += [(n, n.replace(FP16, ".")) for n in halves]
        else:
            chosen += [(n, n) for n in plain]
    return chosen


def download_model(repo: str, *, progress: Progress | None = None,
                   cancel: threading.Event | None = None) -> Path:
    """Download the pipeline ``repo`` into the models folder; returns the folder.

    Raises :class:`~t2ia_desktop.core.errors.Cancelled` on Cancel (complete files stay for a
    later resume), :class:`ModelUnavailable` when the hub cannot give it, :class:`BadInput`
    when the repository is not a Stable Diffusion XL / 1.5 pipeline.
    """
    cancel = cancel or threading.Event()
    folder = download_folder(repo)
    if hub.offline():
        raise ModelUnavailable(f"Cannot download {repo}: offline mode is on (HF_HUB_OFFLINE). "
                               "Turn it off, or add a model folder you already have.")
    files = repo_files(repo)
    if "model_index.json" not in files:
        raise BadInput(f"{repo} is not a diffusers pipeline (no model_index.json); choose an "
                       "SDXL or SD1.5 model repository, or download its .safetensors file and "
                       "add it with Add local model….")
    download_files(repo, ["model_index.json"], folder, cancel=cancel)
    folder_family(folder)  # refuses other pipelines before the big files
    index = json.loads((folder / "model_index.json").read_text(encoding="utf-8"))
    pairs = [(remote, local) for remote, local in pipeline_files(files, index)
             if not (folder / local).is_file()]
    download_files(repo, [remote for remote, _ in pairs], folder, progress=progress,
                   cancel=cancel)
    for remote, local in pairs:
        if remote != local:
            os.replace(folder / remote, folder / local)
    (folder / DOWNLOADED_MARKER).write_text(json.dumps({"repo": repo}), encoding="utf-8")
    return folder
