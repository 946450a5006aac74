"""Loading condition plugins into the condition registry, one plugin at a time, in isolation.

Plugins come from folders (bundled ``plugins/``, the artist's plugins folder, ``--plugins``)
and from Python entry points in the group ``t2ia_desktop.conditions``. A plugin that cannot be
read, imported or registered is recorded with its error and the rest load as usual: the app
never fails to start because of one. Plugins are trusted code run in-process; nothing is ever
downloaded or installed here.

A plugin folder is imported as a package of its own (``t2ia_plugin_<id>``), read from source
every time, so "Reload plugins" picks up changed files and two plugins may both have a
``plugin.py``.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.metadata
import importlib.util
import json
import logging
import re
import sys
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from psygnal import Signal

from t2ia_desktop.core.conditions.plugin_manifest import (
    ENTRY_POINT_GROUP,
    Manifest,
    PluginFolder,
    api_problem,
    bundled_plugins_dir,
    plugin_folders,
    read_manifest,
)
from t2ia_desktop.core.conditions.registry import (
    FAMILIES,
    ConditionRegistry,
    ConditionType,
    ParamSpec,
    builtin_conditions,
    default_registry,
)
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.paths import plugin_settings_path, plugins_dir

log = logging.getLogger(__name__)

PACKAGE_PREFIX = "t2ia_plugin_"
BUILTIN_DETECTORS = frozenset(str(c.detector) for c in builtin_conditions())


@dataclass
class PluginRecord:
    """One plugin as the Plugins dialog shows it: where it comes from and how it went."""

    id: str
    name: str
    origin: str  # "bundled", "user", "--plugins" or "entry point"
    location: str  # its folder, or the entry point and its distribution
    version: str = ""
    description: str = ""
    author: str = ""
    homepage: str = ""
    enabled: bool = True
    error: str = ""
    conditions: tuple[str, ...] = ()

    @property
    def state(self) -> str:
        if not self.enabled:
            return "disabled"
        return "failed" if self.error else "loaded"


def default_plugin_folders(extra: Iterable[str | Path] = ()) -> list[PluginFolder]:
    """Bundled plugins, the artist's plugins folder, then each ``--plugins`` folder."""
    return [PluginFolder(bundled_plugins_dir(), "bundled"), PluginFolder(plugins_dir(), "user"),
            *(PluginFolder(Path(p), "--plugins") for p in extra)]


# -- importing ----------------------------------------------------------------------------

class _FreshSourceLoader(importlib.machinery.SourceFileLoader):
    """Compiles a plugin module from its source on every import: no stale bytecode on reload."""

    def get_code(self, fullname: str) -> Any:
        path = self.get_filename(fullname)
        return compile(self.get_data(path), path, "exec", dont_inherit=True)


def package_name(plugin_id: str) -> str:
    return PACKAGE_PREFIX + re.sub(r"\W", "_", plugin_id)


def _forget_package(name: str) -> None:
    for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[module]


def _import_from_folder(manifest: Manifest) -> Any:
    """Import ``manifest.entry`` from the plugin's folder, freshly, and return its object."""
    folder = str(manifest.folder.resolve())
    package = package_name(manifest.id)
    _forget_package(package)
    importlib.invalidate_caches()
    sys.path_importer_cache[folder] = importlib.machinery.FileFinder(
        folder, (_FreshSourceLoader, importlib.machinery.SOURCE_SUFFIXES))
    spec = importlib.machinery.ModuleSpec(package, None, is_package=True)
    spec.submodule_search_locations = [folder]
    sys.modules[package] = importlib.util.module_from_spec(spec)
    module_name, _, attribute = manifest.entry.partition(":")
    module = importlib.import_module(f"{package}.{module_name}")
    return _attribute(module, attribute)


def _attribute(module: Any, dotted: str) -> Any:
    value = module
    for part in dotted.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise BadInput(f"{module.__name__} has no {dotted!r}") from None
    return value


def _describe(error: BaseException, folder: Path | None) -> str:
    """One line for the artist: the error, and where in the plugin's own code it happened."""
    if isinstance(error, BadInput):
        return str(error)
    text = f"{type(error).__name__}: {error}".strip().rstrip(":")
    frames = traceback.extract_tb(error.__traceback__)
    if isinstance(error, SyntaxError) and error.filename:
        return f"{text} ({error.filename}, line {error.lineno})"
    own = [f for f in frames if folder is None or _inside(f.filename, folder)]
    if own:
        text += f" ({own[-1].filename}, line {own[-1].lineno})"
    return text


def _inside(filename: str, folder: Path) -> bool:
    try:
        Path(filename).resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


# -- checking what a plugin registers ---------------------------------------------------------

def conditions_of(value: Any) -> list[ConditionType]:
    """The conditions a plugin's entry object stands for: a :class:`ConditionType`, a list of
    them, or a function returning either (called with no arguments)."""
    if callable(value) and not isinstance(value, ConditionType):
        value = value()
    items = [value] if isinstance(value, ConditionType) else value
    try:
        found = list(items)
    except TypeError:
        raise BadInput(f"the entry gave a {type(value).__name__}, not a ConditionType or a "
                       "list of them") from None
    if not found:
        raise BadInput("the entry gave no conditions")
    for item in found:
        if not isinstance(item, ConditionType):
            raise BadInput(f"the entry gave a {type(item).__name__} among its conditions; "
                           "each must be a ConditionType")
    return found


def prepare_condition(condition: ConditionType, folder: Path | None, source: str) -> ConditionType:
    """Check a plugin's condition and resolve its local adapter folders against ``folder``."""
    where = f"condition {condition.id!r}"
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", condition.id or ""):
        raise BadInput(f"{where}: an id must be lower-case letters, digits, '-', '_' or '.'")
    if not condition.label:
        raise BadInput(f"{where} has no label")
    if not condition.adapters:
        raise BadInput(f"{where} names no adapter; give one per family, such as "
                       "{'sdxl': 'TencentARC/t2i-adapter-sketch-sdxl-1.0'}")
    adapters = {}
    for family, adapter in condition.adapters.items():
        if family not in FAMILIES:
            raise BadInput(f"{where}: family {family!r} is not one of {', '.join(FAMILIES)}")
        local = folder / adapter if folder is not None else None
        adapters[family] = str(local.resolve()) if local is not None and local.is_dir() \
            else adapter
    if not callable(condition.detector) and condition.detector not in BUILTIN_DETECTORS:
        raise BadInput(f"{where}: its detector must be a function (image, params) -> image or "
                       f"a built-in detector's name ({', '.join(sorted(BUILTIN_DETECTORS))})")
    for spec in condition.params:
        if not isinstance(spec, ParamSpec):
            raise BadInput(f"{where}: its params must be ParamSpecs, not {type(spec).__name__}")
        try:
            spec.check(spec.default)
        except BadInput as error:
            raise BadInput(f"{where}: the default of {spec.name} does not fit: {error}") from None
    return replace(condition, adapters=adapters, source=source)


# -- loading ------------------------------------------------------------------------------

@dataclass
class _Candidate:
    record: PluginRecord
    api: int | None = None
    load: Callable[[], Any] | None = None
    folder: Path | None = None


def _folder_candidates(folders: Sequence[PluginFolder]) -> list[_Candidate]:
    found, seen = [], set()
    for search in folders:
        for folder in plugin_folders(search):
            if folder.resolve() in seen:
                continue  # the same folder given twice (e.g. --plugins plugins/)
            seen.add(folder.resolve())
            record = PluginRecord(folder.name, folder.name, search.origin, str(folder))
            try:
                manifest = read_manifest(folder)
            except BadInput as error:
                record.error = str(error)
                found.append(_Candidate(record))
                continue
            record.id, record.name, record.version = manifest.id, manifest.name, manifest.version
            record.description, record.author = manifest.description, manifest.author
            record.homepage = manifest.homepage
            found.append(_Candidate(record, manifest.api,
                                    lambda m=manifest: _import_from_folder(m), folder))
    return found


def _entry_point_candidates() -> list[_Candidate]:
    found = []
    for point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = point.dist
        record = PluginRecord(
            point.name, dist.metadata["Name"] if dist else point.name, "entry point",
            f"{point.value} in {dist.metadata['Name']} {dist.version}" if dist else point.value,
            version=dist.version if dist else "",
        )

        def load(point: importlib.metadata.EntryPoint = point) -> Any:
            value = point.load()
            needed = getattr(sys.modules.get(point.module), "PLUGIN_API", 1)
            problem = api_problem(int(needed), f"the plugin {point.name}")
            if problem:
                raise BadInput(problem)
            return value

        found.append(_Candidate(record, None, load))
    return found


def load_plugins(folders: Sequence[PluginFolder], disabled: Iterable[str] = (),
                 entry_points: bool = True) -> tuple[ConditionRegistry, list[PluginRecord]]:
    """The built-in conditions plus every plugin's, and a record of each plugin found."""
    registry = default_registry()
    off = set(disabled)
    candidates = _folder_candidates(folders) + (_entry_point_candidates() if entry_points else [])
    loaded_from: dict[str, str] = {}
    records = []
    for candidate in candidates:
        record = candidate.record
        records.append(record)
        if record.error:
            continue
        if record.id in loaded_from:
            record.error = (f"another plugin with id {record.id!r} is already loaded from "
                            f"{loaded_from[record.id]}; remove one of them")
            continue
        loaded_from[record.id] = record.location
        if record.id in off:
            record.enabled = False
            continue
        problem = api_problem(candidate.api or 1, f"the plugin {record.name}")
        if problem:
            record.error = problem
            continue
        try:
            _register(candidate, registry)
        except Exception as error:
            record.error = _describe(error, candidate.folder)
            log.warning("plugin %s (%s) not loaded: %s", record.id, record.location, record.error)
    return registry, records


def _register(candidate: _Candidate, registry: ConditionRegistry) -> None:
    record = candidate.record
    assert candidate.load is not None
    try:
        value = candidate.load()
    except BadInput:
        raise
    except Exception as error:
        raise BadInput(f"cannot import it: {_describe(error, candidate.folder)}") from None
    try:
        conditions = conditions_of(value)
    except BadInput:
        raise
    except Exception as error:
        raise BadInput(f"it raised while registering: {_describe(error, candidate.folder)}") \
            from None
    where = (f"entry point {record.location}" if record.origin == "entry point"
             else f"{record.origin} folder {record.location}")
    source = f"plugin {record.name} {record.version} ({where})".replace("  ", " ")
    prepared = [prepare_condition(c, candidate.folder, source) for c in conditions]
    for condition in prepared:  # all or nothing: check every id before adding any
        if condition.id in registry:
            raise BadInput(f"condition id {condition.id!r} is already taken by "
                           f"{registry.get(condition.id).source}; choose another id")
    if len({c.id for c in prepared}) != len(prepared):
        raise BadInput("it registers the same condition id twice")
    for condition in prepared:
        registry.register(condition)
    record.conditions = tuple(c.id for c in prepared)


# -- the app's plugin host ------------------------------------------------------------------

@dataclass
class PluginHost:
    """Owns the app's condition registry and its plugins; :meth:`reload` re-reads them all.

    ``registry`` stays the same object for the life of the host (every panel and thread holds
    it); a reload swaps its contents in one step and emits ``reloaded``.
    """

    folders: list[PluginFolder] = field(default_factory=default_plugin_folders)
    settings_path: Path | None = field(default_factory=plugin_settings_path)
    entry_points: bool = True
    registry: ConditionRegistry = field(default_factory=ConditionRegistry)
    records: list[PluginRecord] = field(default_factory=list)
    _off: set[str] = field(default_factory=set, repr=False)  # without a settings file

    reloaded = Signal()

    def __post_init__(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Find and load every plugin again; the registry then holds the new conditions."""
        registry, self.records = load_plugins(self.folders, self.disabled(), self.entry_points)
        self.registry.replace_with(registry)
        self.reloaded.emit()

    def failed(self) -> list[PluginRecord]:
        return [r for r in self.records if r.state == "failed"]

    def disabled(self) -> set[str]:
        """Plugin ids the artist turned off; an unreadable settings file turns none off."""
        if self.settings_path is None:
            return set(self._off)
        if not self.settings_path.is_file():
            return set()
        try:
            data = json.loads(self.settings_path.read_text(encoding="utf-8"))
            return {str(i) for i in data.get("disabled", [])}
        except (OSError, ValueError, AttributeError, TypeError):
            log.warning("ignoring unreadable plugin settings %s", self.settings_path)
            return set()

    def set_enabled(self, plugin_id: str, enabled: bool) -> None:
        """Turn a plugin on or off (kept across runs); takes effect at the next reload."""
        off = self.disabled()
        (off.discard if enabled else off.add)(plugin_id)
        if self.settings_path is None:
            self._off = off
            return
        self.settings_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.settings_path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"version": 1, "disabled": sorted(off)}, indent=2),
                             encoding="utf-8")
        temporary.replace(self.settings_path)
