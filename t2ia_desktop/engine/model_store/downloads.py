"""Downloading files of a hub repository with progress and a prompt Cancel.

Files stream over HTTP from ``{HF_ENDPOINT}/{repo}/resolve/{revision}/{file}`` into a plain
folder (for detector weights: the annotators folder that
:mod:`t2ia_desktop.engine.model_store.weights` searches first). huggingface_hub's
``hf_hub_download`` would write the cache layout, but it reports progress only through a tqdm
class, retries with back-off on its own, and keeps
``.incomplete`` files for resuming; streaming here gives byte progress across all files, a
Cancel that is checked between every chunk, and errors that name the file and what to do.

Each file is written to ``NAME.part`` next to its final place and renamed only once complete,
so a cut or cancelled download never looks like weights; the ``.part`` file is removed.
No torch and no Qt here: the app runs this on a download thread, the CLI on its main thread.
"""

from __future__ import annotations

import errno
import http.client
import os
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from t2ia_desktop.core.errors import BadInput, Cancelled, ModelUnavailable
from t2ia_desktop.engine.model_store import hub
from t2ia_desktop.engine.model_store.weights import (
    ANNOTATORS_REPO,
    annotators_folder,
    describe_size,
)

CHUNK = 256 * 1024
TIMEOUT_S = 30.0
#: ``progress(bytes_done, bytes_total, file)``; the total is None while a size is unknown.
Progress = Callable[[int, "int | None", str], None]


@dataclass(frozen=True)
class RemoteFile:
    name: str
    url: str
    size: int | None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a 302 to a CDN answers HEAD with the size itself (X-Linked-Size)


def file_url(repo: str, filename: str, revision: str = "main", endpoint: str | None = None) -> str:
    base = (endpoint or hub.endpoint()).rstrip("/")
    quoted = urllib.parse.quote(filename)
    return f"{base}/{repo}/resolve/{urllib.parse.quote(revision, safe='')}/{quoted}"


def download_files(
    repo: str, files: Sequence[str], folder: Path, *, revision: str = "main",
    progress: Progress | None = None, cancel: threading.Event | None = None,
    endpoint: str | None = None, timeout: float = TIMEOUT_S,
) -> list[Path]:
    """Download ``files`` of ``repo`` into ``folder``; returns their paths, in order.

    Raises :class:`Cancelled` when ``cancel`` is set (the file in progress is removed, the
    complete ones stay), :class:`ModelUnavailable` when the hub cannot give a file, and
    :class:`BadInput` when ``folder`` cannot take them.
    """
    cancel = cancel or threading.Event()
    folder = Path(folder)
    if hub.offline():
        raise ModelUnavailable(
            f"Cannot download {', '.join(files)}: offline mode is on (HF_HUB_OFFLINE). "
            f"Download {'it' if len(files) == 1 else 'them'} from "
            f"https://huggingface.co/{repo} into {folder}, or turn offline mode off."
        )
    _make_folder(folder)
    remote = [_probe(repo, name, revision, endpoint, folder, timeout) for name in files]
    _check_space(folder, remote)
    sizes = [f.size for f in remote]
    total = sum(sizes) if None not in sizes else None  # type: ignore[arg-type]
    done = 0
    paths = []
    for file in remote:
        if cancel.is_set():
            raise Cancelled("Download cancelled")
        got = _fetch(file, folder, done, total, progress, cancel, timeout)
        done += got
        paths.append(folder / file.name)
    if progress is not None:
        progress(done, total if total is not None else done, "")
    return paths


def download_annotator_weights(
    files: Sequence[str], *, annotators: Path | None = None, progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> list[Path]:
    """Fetch detector weight ``files`` from ``lllyasviel/Annotators`` into the chosen
    ``annotators`` folder (None: the app's own)."""
    return download_files(ANNOTATORS_REPO, files, annotators_folder(annotators),
                          progress=progress, cancel=cancel)


# -- steps ------------------------------------------------------------------------------------

def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".t2ia-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise BadInput(
            f"Cannot save downloads in {folder}: {error.strerror or error}. Set T2IA_ANNOTATORS "
            "to a folder you can write to, or fix the folder's permissions, and try again."
        ) from None


def _where(folder: Path, name: str) -> str:
    return f"put {name} from https://huggingface.co/{ANNOTATORS_REPO} into {folder} by hand"


def _open(request: urllib.request.Request, name: str, folder: Path, timeout: float,
          opener: urllib.request.OpenerDirector | None = None):
    """``urlopen`` with the artist's errors: a missing file, an error page, no connection."""
    try:
        return (opener or urllib.request.build_opener()).open(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        if opener is not None and 300 <= error.code < 400:
            return error  # HEAD without following redirects: the redirect answers
        if error.code == 404:
            raise ModelUnavailable(
                f"{name} is not on the hub at {request.full_url} (404 not found): the repository "
                f"or file was renamed, or HF_ENDPOINT points at the wrong server. Check it, or "
                f"{_where(folder, name)}."
            ) from None
        if error.code in (401, 403):
            raise ModelUnavailable(
                f"The hub refused {name} ({error.code} {error.reason}): it needs an access "
                f"token. Log in with `hf auth login`, or {_where(folder, name)}."
            ) from None
        raise ModelUnavailable(
            f"The hub answered {error.code} {error.reason} for {name}; try again later, or "
            f"{_where(folder, name)}."
        ) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise ModelUnavailable(
            f"Cannot reach the hub at {hub.endpoint()} to download {name} ({reason}). Connect "
            f"to the internet and try again, or {_where(folder, name)}."
        ) from None


def _probe(repo: str, name: str, revision: str, endpoint: str | None, folder: Path,
           timeout: float) -> RemoteFile:
    """The file's URL and size, asked with HEAD: a missing file fails before any download."""
    url = file_url(repo, name, revision, endpoint)
    opener = urllib.request.build_opener(_NoRedirect)
    response = _open(urllib.request.Request(url, method="HEAD"), name, folder, timeout, opener)
    with response:
        headers = response.headers
        size = headers.get("X-Linked-Size") or (
            headers.get("Content-Length") if response.status < 300 else None)
    return RemoteFile(name, url, int(size) if size and size.isdigit() else None)


def _check_space(folder: Path, files: Sequence[RemoteFile]) -> None:
    need = sum(f.size or 0 for f in files)
    free = shutil.disk_usage(folder).free
    if need > free:
        raise BadInput(
            f"Not enough disk space in {folder} for {', '.join(f.name for f in files)}: they "
            f"need {describe_size(need)} and {describe_size(free)} is free. Free some space, or "
            "set T2IA_ANNOTATORS to a folder on another disk, and try again."
        )


def _fetch(file: RemoteFile, folder: Path, before: int, total: int | None,
           progress: Progress | None, cancel: threading.Event, timeout: float) -> int:
    """Stream one file to ``NAME.part`` and rename it; returns its size in bytes."""
    final = folder / file.name
    part = folder / f"{file.name}.part"
    response = _open(urllib.request.Request(file.url), file.name, folder, timeout)
    final.parent.mkdir(parents=True, exist_ok=True)  # a pipeline's files sit in subfolders
    got = 0
    try:
        with response, open(part, "wb") as out:
            length = response.headers.get("Content-Length")
            expected = int(length) if length and length.isdigit() else file.size
            while True:
                if cancel.is_set():
                    raise Cancelled("Download cancelled")
                chunk = response.read1(CHUNK)  # what has arrived, so Cancel is checked often
                if not chunk:
                    break
                out.write(chunk)
                got += len(chunk)
                if progress is not None:
                    progress(before + got, total, file.name)
        if expected is not None and got != expected:
            raise ModelUnavailable(
                f"The download of {file.name} was cut short ({describe_size(got)} of "
                f"{describe_size(expected)}); try again, or {_where(folder, file.name)}."
            )
        os.replace(part, final)
    except OSError as error:
        _remove(part)
        if error.errno == errno.ENOSPC:
            raise BadInput(
                f"The disk holding {folder} is full: {file.name} could not be saved. Free some "
                "space, or set T2IA_ANNOTATORS to a folder on another disk, and try again."
            ) from None
        if isinstance(error, (ConnectionError, TimeoutError)) or error.errno is None:
            raise ModelUnavailable(
                f"The connection broke while downloading {file.name} ({error}); try again, "
                f"or {_where(folder, file.name)}."
            ) from None
        raise BadInput(f"Cannot save {final}: {error.strerror or error}. Check the folder's "
                       "permissions, or set T2IA_ANNOTATORS to another folder.") from None
    except http.client.HTTPException as error:
        _remove(part)
        raise ModelUnavailable(
            f"The connection broke while downloading {file.name} ({type(error).__name__}); "
            f"try again, or {_where(folder, file.name)}."
        ) from None
    except BaseException:  # Cancelled, Ctrl+C, a cut download: never leave half a file
        _remove(part)
        raise
    return got


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
