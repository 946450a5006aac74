"""Where the app keeps its files; ``T2IA_HOME`` overrides the per-user folder (tests use it)."""

from __future__ import annotations

import os
import sys
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


# -- files shipped with the app (a source tree, an editable install or a frozen bundle) --------

APP_ICON = Path("resources") / "icons" / "t2ia-desktop.png"
BUNDLE_FILES = (APP_ICON, Path("plugins"))
"""What a frozen bundle must hold, relative to :func:`bundle_root`; checked at start-up."""


def is_frozen() -> bool:
    """Whether this runs from a PyInstaller bundle rather than from Python sources."""
    return bool(getattr(sys, "frozen", False))


def bundle_root() -> Path:
    """The folder holding ``resources/`` and ``plugins/``.

    Frozen: PyInstaller's data folder (``sys._MEIPASS``, the ``_internal`` folder next to the
    executable). From sources: the repository root, two levels above the package.
    """
    if is_frozen():
        return Path(getattr(sys, "_MEIPASS", Path(sys.executable).resolve().parent))
    return Path(__file__).resolve().parents[2]


def app_icon_path() -> Path:
    return bundle_root() / APP_ICON


def missing_bundle_files() -> list[Path]:
    """Full paths of the shipped files that are not where the app looks for them."""
    root = bundle_root()
    return [root / relative for relative in BUNDLE_FILES if not (root / relative).exists()]


def check_bundle() -> None:
    """Stop with a message naming the first missing shipped file (a broken installation)."""
    from t2ia_desktop.core.errors import T2IAError

    missing = missing_bundle_files()
    if missing:
        raise T2IAError(f"this installation is incomplete: {missing[0]} is missing; "
                        "reinstall t2ia-desktop")
