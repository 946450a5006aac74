"""Condition plugin manifests (``plugin.toml``) and the folders they are found in.

Reading a manifest runs none of the plugin's code: the Plugins dialog can list a disabled or
broken plugin, and a plugin that needs a newer API is refused before it is imported.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from t2ia_desktop.core.errors import BadInput

API_VERSION = 1
"""The condition plugin API this app provides; a manifest's ``api`` must not be higher."""

MANIFEST = "plugin.toml"
ENTRY_POINT_GROUP = "t2ia_desktop.conditions"

_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_ENTRY = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
_REQUIRED = ("id", "name", "version", "api", "entry")
_OPTIONAL = ("description", "author", "homepage")


@dataclass(frozen=True)
class PluginFolder:
    """A folder searched for plugins and what to call it ("bundled", "user", "--plugins")."""

    path: Path
    origin: str


@dataclass(frozen=True)
class Manifest:
    """What ``plugin.toml`` declares. ``entry`` is ``module:object`` inside the plugin folder."""

    id: str
    name: str
    version: str
    api: int
    entry: str
    folder: Path
    description: str = ""
    author: str = ""
    homepage: str = ""


def read_manifest(folder: Path) -> Manifest:
    """Parse and check ``folder/plugin.toml``; a problem raises :class:`BadInput` saying what
    to fix."""
    path = folder / MANIFEST
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BadInput(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise BadInput(f"{path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise BadInput(f"{path} is not valid TOML: {error}") from None
    missing = [key for key in _REQUIRED if key not in data]
    if missing:
        raise BadInput(f"{path} lacks {', '.join(missing)} (a manifest needs "
                       f"{', '.join(_REQUIRED)})")
    for key in (*_REQUIRED, *_OPTIONAL):
        expected = int if key == "api" else str
        if key in data and (not isinstance(data[key], expected) or isinstance(data[key], bool)):
            kind = "a whole number" if expected is int else "a string"
            raise BadInput(f"{path}: {key} must be {kind}, not {data[key]!r}")
    if not _ID.fullmatch(data["id"]):
        raise BadInput(f"{path}: id {data['id']!r} must be lower-case letters, digits, '-', "
                       "'_' or '.', starting with a letter or digit")
    if not _ENTRY.fullmatch(data["entry"]):
        raise BadInput(f"{path}: entry {data['entry']!r} must be 'module:object', such as "
                       "'posterize:register'")
    if data["api"] < 1:
        raise BadInput(f"{path}: api must be 1 or more, not {data['api']}")
    return Manifest(
        id=data["id"], name=data["name"], version=data["version"], api=data["api"],
        entry=data["entry"], folder=folder,
        **{key: data.get(key, "") for key in _OPTIONAL},
    )


def api_problem(needed: int, what: str) -> str:
    """Why a plugin needing API ``needed`` cannot load here ("" when it can)."""
    if needed <= API_VERSION:
        return ""
    return (f"{what} needs plugin API {needed}, but this t2ia desktop provides API "
            f"{API_VERSION}: update t2ia desktop, or install a version of the plugin made for "
            f"API {API_VERSION}")


def plugin_folders(search: PluginFolder) -> list[Path]:
    """The plugin folders in ``search``: its sub-folders holding a manifest (sorted), or
    ``search`` itself when it is a plugin folder."""
    folder = search.path.expanduser()
    if (folder / MANIFEST).is_file():
        return [folder]
    if not folder.is_dir():
        return []
    return sorted((child for child in folder.iterdir()
                   if child.is_dir() and (child / MANIFEST).is_file()),
                  key=lambda child: child.name)


def bundled_plugins_dir() -> Path:
    """The repository's ``plugins/`` folder (a source tree or an editable install)."""
    return Path(__file__).resolve().parents[3] / "plugins"
