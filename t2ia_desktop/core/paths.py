"""Where the app keeps its files; ``T2IA_HOME`` overrides the per-user folder (tests use it)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "t2ia-desktop"


def data_dir() -> Path:
    override = os.environ.get("T2IA_HOME")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def demo_model_root() -> Path:
    """Folder holding one demo pipeline per family (``sdxl/``, ``sd15/``), written on demand."""
    return data_dir() / "demo-model"


def log_dir() -> Path:
    return data_dir() / "logs"


def history_dir() -> Path:
    """Every finished image is written here the moment it exists."""
    return data_dir() / "history"


def plugins_dir() -> Path:
    """The artist's own condition plugins: one folder per plugin, each with a plugin.toml."""
    return data_dir() / "plugins"


def plugin_settings_path() -> Path:
    """Which plugins the artist turned off (a small JSON file)."""
    return data_dir() / "plugins.json"


def queue_dir() -> Path:
    """The pending jobs of the queue, kept so that they survive a restart."""
    return data_dir() / "queue"
