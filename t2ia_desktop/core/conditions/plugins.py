"""Loading condition plugins into the condition registry, one plugin at a time, in isolation.

Plugins come from folders (bundled ``plugins/``, the artist's plugins folder, ``--plugins``)
and from Python entry points in the group ``t2ia_desktop.conditions``. A plugin that cannot be
read, imported or registered is recorded with its error and the rest load as usual: the app
never fails to start because of one. Its import and ``register()`` run on a helper thread with a
time limit (plugin_guard.py): ``SystemExit``, ``KeyboardInterrupt`` and a ``register()`` that
never returns are that plugin's failure. Plugins are trusted code run in-process; nothing is
ever downloaded or installed here.

Safe mode loads the bundled plugins only; the others are listed (their manifests read, none of
their code run) so that the artist can turn off the one that stopped the app.

A plugin folder is imported as a package of its own (``t2ia_plugin_<id>``), read from source
every time, so "Reload plugins" picks up changed files and two plugins may both have a
``plugin.py``.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.metadata
import importlib.util
import logging
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psygnal import Signal

from t2ia_desktop.core.conditions.plugin_checks import (
    conditions_of,
    describe_error,
    prepare_condition,
)
from t2ia_desktop.core.conditions.plugin_guard import PluginCodeFailed, call_plugin
from t2ia_desktop.core.conditions.plugin_manifest import (
    ENTRY_POINT_GROUP,
    Manifest,
    PluginFolder,
    api_problem,
    bundled_plugins_dir,
    plugin_folders,
    read_manifest,
)
from t2ia_desktop.core.conditions.plugin_settings import (
    read_plugin_state,
    set_aside,
    write_plugin_state,
)
from t2ia_desktop.core.conditions.registry import (
    ConditionRegistry,
    ConditionType,
    default_registry,
)
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.paths import plugin_settings_path, plugins_dir

log = logging.getLogger(__name__)

PACKAGE_PREFIX = "t2ia_plugin_"
REGISTER_TIME_LIMIT_S = 30.0
"""How long a plugin's import and ``register()`` may take before it is given up."""
SAFE_MODE = "safe mode: only the bundled plugins are loaded"


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
    skipped: str = ""  # why it was left out this time (safe mode)
    conditions: tuple[str, ...] = ()

    @property
    def state(self) -> str:
        if not self.enabled:
            return "disabled"
        if self.skipped:
            return "skipped"
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


def find_plugins(folders: Sequence[PluginFolder], entry_points: bool = True) -> list[_Candidate]:
    """Every plugin in ``folders`` and (with ``entry_points``) in the installed packages, found
    by their manifests and metadata: none of their code runs."""
    return _folder_candidates(folders) + (_entry_point_candidates() if entry_points else [])


def load_plugins(folders: Sequence[PluginFolder], disabled: Iterable[str] = (),
                 entry_points: bool = True, *, safe_mode: bool = False,
                 time_limit: float = REGISTER_TIME_LIMIT_S,
                 ) -> tuple[ConditionRegistry, list[PluginRecord]]:
    """The built-in conditions plus every plugin's, and a record of each plugin found."""
    return load_candidates(find_plugins(folders, entry_points), disabled, safe_mode=safe_mode,
                           time_limit=time_limit)


def load_candidates(candidates: Sequence[_Candidate], disabled: Iterable[str] = (), *,
                    safe_mode: bool = False, time_limit: float = REGISTER_TIME_LIMIT_S,
                    ) -> tuple[ConditionRegistry, list[PluginRecord]]:
    """Register ``candidates``' conditions after the built-in ones, each plugin in isolation
    and within ``time_limit`` seconds; in ``safe_mode`` only the bundled ones."""
    registry = default_registry()
    off = set(disabled)
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
        if safe_mode and record.origin != "bundled":
            record.skipped = SAFE_MODE
            continue
        problem = api_problem(candidate.api or 1, f"the plugin {record.name}")
        if problem:
            record.error = problem
            continue
        try:
            _register(candidate, registry, time_limit)
        except Exception as error:
            record.error = describe_error(error, candidate.folder)
            log.warning("plugin %s (%s) not loaded: %s", record.id, record.location, record.error)
    return registry, records


def _entry_conditions(candidate: _Candidate) -> list[ConditionType]:
    """Import the plugin and call its entry (on the guard's helper thread): what it raises,
    SystemExit and KeyboardInterrupt included, becomes a :class:`BadInput` saying where."""
    assert candidate.load is not None
    try:
        value = candidate.load()
    except BadInput:
        raise
    except BaseException as error:
        raise BadInput(f"cannot import it: {describe_error(error, candidate.folder)}") from None
    try:
        return conditions_of(value)
    except BadInput:
        raise
    except BaseException as error:
        raise BadInput(f"it raised while registering: {describe_error(error, candidate.folder)}") \
            from None


def _registration_problem(failure: PluginCodeFailed, time_limit: float) -> BadInput:
    if isinstance(failure.error, BadInput):
        return failure.error
    if failure.kind == "raised":
        return BadInput(f"it raised while registering: {failure}")
    if failure.kind == "busy":
        return BadInput(f"it is still registering from an earlier load ({failure}); it cannot "
                        "be stopped: fix or remove it, then restart t2ia desktop")
    return BadInput(f"it did not finish registering in {time_limit:g} s and is left running "
                    "(a plugin cannot be stopped): fix or remove it, then restart t2ia desktop")


def _register(candidate: _Candidate, registry: ConditionRegistry, time_limit: float) -> None:
    record = candidate.record
    try:
        conditions = call_plugin(_entry_conditions, candidate, owner=f"plugin {record.id}",
                                 time_limit=time_limit, key=("register", record.location))
    except PluginCodeFailed as failure:
        raise _registration_problem(failure, time_limit) from None
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
    it); a reload swaps its contents in one step and emits ``reloaded``. ``safe_mode`` loads
    the bundled plugins only. What the artist should hear once (an unreadable ``plugins.json``
    set aside) waits in :meth:`take_notes`.
    """

    folders: list[PluginFolder] = field(default_factory=default_plugin_folders)
    settings_path: Path | None = field(default_factory=plugin_settings_path)
    entry_points: bool = True
    safe_mode: bool = False
    time_limit: float = field(default_factory=lambda: REGISTER_TIME_LIMIT_S)
    registry: ConditionRegistry = field(default_factory=ConditionRegistry)
    records: list[PluginRecord] = field(default_factory=list)
    # what is off when there is no settings file, or while it cannot be written or replaced
    _off: set[str] | None = field(default=None, repr=False)
    _notes: list[str] = field(default_factory=list, repr=False)

    reloaded = Signal()

    def __post_init__(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Find and load every plugin again; the registry then holds the new conditions."""
        candidates = find_plugins(self.folders, self.entry_points)
        off = self._disabled_among(candidates)
        registry, self.records = load_candidates(candidates, off, safe_mode=self.safe_mode,
                                                 time_limit=self.time_limit)
        self.registry.replace_with(registry)
        self.reloaded.emit()

    def failed(self) -> list[PluginRecord]:
        return [r for r in self.records if r.state == "failed"]

    def skipped(self) -> list[PluginRecord]:
        return [r for r in self.records if r.state == "skipped"]

    def take_notes(self) -> list[str]:
        """What the artist should be told about the plugins' settings, once."""
        notes, self._notes[:] = list(self._notes), []
        return notes

    def disabled(self) -> set[str]:
        """Plugin ids the artist turned off. A settings file damaged since the last reload
        turns none back on: every plugin but the bundled ones counts as off."""
        if self._off is not None:
            return set(self._off)
        if self.settings_path is None:
            return set()
        state = read_plugin_state(self.settings_path)
        if state.unreadable:
            return {r.id for r in self.records if r.origin != "bundled"}
        return set(state.disabled)

    def set_enabled(self, plugin_id: str, enabled: bool) -> None:
        """Turn a plugin on or off (kept across runs); takes effect at the next reload.
        Raises :class:`BadInput` when the settings file cannot be written: the change then
        holds for this session only."""
        off = self.disabled()
        (off.discard if enabled else off.add)(plugin_id)
        if self.settings_path is not None:
            try:
                write_plugin_state(self.settings_path, off)
            except OSError as error:
                self._off = off
                raise BadInput(f"Cannot save {self.settings_path}: {error.strerror or error}; "
                               "the plugin is turned on or off for this session only") from None
        self._off = off if self.settings_path is None else None

    def _disabled_among(self, candidates: Sequence[_Candidate]) -> set[str]:
        """The ids to keep off; an unreadable settings file is set aside and replaced by one
        that keeps every plugin but the bundled ones off, until the artist turns them on."""
        if self._off is not None:
            return set(self._off)
        if self.settings_path is None:
            return set()
        state = read_plugin_state(self.settings_path)
        if not state.unreadable:
            return set(state.disabled)
        off = {c.record.id for c in candidates if c.record.origin != "bundled"}
        path = self.settings_path
        kept_off = ("every plugin but the bundled ones is off until you turn it on in "
                    "Help → Plugins…")
        try:
            aside = _replace_unreadable(path, off)
        except OSError as error:
            self._off = off  # for this session; the file stays as it is, and is told again
            self._notes.append(f"The plugin settings {path} cannot be read ({state.unreadable}) "
                               f"nor replaced ({error.strerror or error}): {kept_off}.")
        else:
            self._notes.append(f"The plugin settings {path} could not be read "
                               f"({state.unreadable}); it is kept as {aside.name} and "
                               f"{kept_off}.")
        log.info("%s", self._notes[-1])  # the artist is told by the host's user
        return off


def _replace_unreadable(path: Path, off: set[str]) -> Path:
    """Set ``path`` aside and write one that turns ``off`` off; when the new one cannot be
    written, the old one goes back (no file at all would turn every plugin on)."""
    aside = set_aside(path)
    try:
        write_plugin_state(path, off)
    except OSError:
        try:
            aside.rename(path)
        except OSError as error:
            log.warning("cannot put %s back: %s", aside, error)
        raise
    return aside
