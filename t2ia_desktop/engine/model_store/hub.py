"""Finding weights: a local folder, the Hugging Face cache, or a download when one can be made.

The app must never hang on a download it cannot make: before fetching, it checks that the hub
answers within a few seconds, and offline mode (``HF_HUB_OFFLINE=1``) skips fetching entirely.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from t2ia_desktop.core.errors import BadInput, ModelUnavailable
from t2ia_desktop.core.generation.request import is_hub_id

T = TypeVar("T")

_REACHABLE: dict[str, bool] = {}


def endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the hub answers at all; remembered per endpoint for the life of the process."""
    if offline():
        return False
    url = endpoint()
    if url not in _REACHABLE:
        try:
            urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout)
            _REACHABLE[url] = True
        except urllib.error.HTTPError:
            _REACHABLE[url] = True  # it answered, even if with an error page
        except (OSError, ValueError):
            _REACHABLE[url] = False
    return _REACHABLE[url]


def is_local(reference: str) -> bool:
    return Path(reference).expanduser().exists()


def load(reference: str, what: str, loader: Callable[..., T]) -> T:
    """Load ``reference`` (a folder or a hub id) with ``loader(reference, local_files_only=...)``.

    Tries the local folder or the cache first; downloads only when the hub is reachable.
    ``what`` names the thing in messages ("model", "sketch adapter").
    """
    if is_local(reference):
        path = str(Path(reference).expanduser())
        try:
            return loader(path, local_files_only=True)
        except (OSError, ValueError) as error:
            raise BadInput(
                f"{reference} is not a diffusers {what} folder: {_first_line(error)}") from error
    if not is_hub_id(reference):
        raise BadInput(f"{what} {reference!r} is neither an existing folder nor a hub id "
                       "like 'owner/name'")
    try:
        return loader(reference, local_files_only=True)
    except (OSError, ValueError):
        pass
    if not hub_reachable():
        raise ModelUnavailable(
            f"The {what} {reference} is not on this machine and cannot be downloaded now "
            f"({'offline mode' if offline() else 'the hub cannot be reached'}). "
            "Connect to the internet and try again, or use the demo model (random weights)."
        )
    try:
        return loader(reference, local_files_only=False)
    except (OSError, ValueError) as error:
        raise ModelUnavailable(
            f"Could not download the {what} {reference}: {_first_line(error)}"
        ) from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
