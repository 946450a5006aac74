"""Model downloads through the app's download service: one repository per task.

:class:`~t2ia_desktop.runtime.downloads.WeightDownloads` runs any ``download(files, progress=,
cancel=)`` on its own thread with progress signals and Cancel; for models the "files" are one
hub id and the engine's
:func:`~t2ia_desktop.engine.model_store.model_downloads.download_model` fetches that pipeline's
files (imported on the download thread: no torch is involved).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject

from t2ia_desktop.runtime.downloads import WeightDownloads


def download_models(repos: Sequence[str], **kwargs: Any) -> list[Any]:
    from t2ia_desktop.engine.model_store.model_downloads import download_model

    return [download_model(repo, **kwargs) for repo in repos]


def model_downloads(parent: QObject | None = None) -> WeightDownloads:
    """The app's model download service (one download at a time, with Cancel)."""
    return WeightDownloads(download_models, parent)


def hub_offline() -> bool:
    from t2ia_desktop.engine.model_store import hub

    return hub.offline()
