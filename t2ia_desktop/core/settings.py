"""The artist's settings: a small typed store kept as JSON in the user data folder.

Writes are atomic (a temporary file, then a rename). A missing file gives the defaults. A file
that cannot be read, is not a JSON object, nests too deeply or comes from a newer version of the
app is set aside (``settings.json-unreadable-DATE``, see :mod:`t2ia_desktop.core.files.state_file`)
and gives the defaults, with a :attr:`SettingsStore.note` that says so. A value of the wrong
type or out of range falls back to its default alone; the file as it was is copied aside and the
checked settings are written, so the note is shown once. Keys this version does not know are
kept as they were. Two environment variables still win over the file (the user's overrides;
tests and CI use them): ``T2IA_ANNOTATORS`` and ``T2IA_AUTOSAVE_SECONDS``, as they stood when the
store was made. This module is the only one that reads them; the rest of the app is given the
values (:meth:`SettingsStore.annotators_root` for the detector weights' folder).
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from t2ia_desktop.core.files.atomic_file import atomic_write
from t2ia_desktop.core.files.state_file import (
    Unreadable,
    check_version,
    finite_number,
    keep_copy,
    read_json,
    unreadable_note,
)
from t2ia_desktop.core.paths import data_dir

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
MAX_BYTES = 1024 * 1024
FILE_NAME = "settings.json"
ANNOTATORS_ENV = "T2IA_ANNOTATORS"
AUTOSAVE_ENV = "T2IA_AUTOSAVE_SECONDS"

PREVIEW_DECODERS = ("approximate", "taesd")
MEMORY_POLICIES = ("auto", "speed", "low-vram")
ENGINES = ("local", "server")
AUTOSAVE_RANGE = (5.0, 3600.0)
OPACITY_RANGE = (0.1, 1.0)
DEFAULT_LIVE_STEPS = 6
"""Steps of a live picture with an ordinary scheduler: a sketch of the result in a fifth of a
30-step job's time."""
LIVE_STEPS_RANGE = (1, 50)
#: The TAESD folder for each family, inside the TAESD folder (hub repository names).
TAESD_SUBFOLDERS = {"sd15": "taesd", "sdxl": "taesdxl"}
TAESD_REPOS = {"sd15": "madebyollin/taesd", "sdxl": "madebyollin/taesdxl"}


def settings_path() -> Path:
    return data_dir() / FILE_NAME


def default_taesd_folder() -> Path:
    """Where the app looks for ``taesd/`` and ``taesdxl/`` when no TAESD folder is set."""
    return data_dir() / "taesd"


@dataclass(frozen=True)
class Settings:
    """Every setting with its default. Empty folder strings mean "the app's own folder"."""

    annotators_folder: str = ""
    """Detector weights (``lllyasviel/Annotators`` files); "" = ``<data>/annotators``."""
    autosave_seconds: float = 30.0
    """Unsaved work is written for crash recovery at most this long after it changes."""
    step_preview_decoder: str = "approximate"
    """"approximate" (latent → RGB linear map) or "taesd" (tiny VAE, when its files are here)."""
    taesd_folder: str = ""
    """Holds ``taesd/`` (SD1.5) and ``taesdxl/`` (SDXL) diffusers folders; "" = ``<data>/taesd``."""
    live_opacity: float = 0.85
    """How strongly the live picture covers the canvas (0.1–1)."""
    live_steps: int = DEFAULT_LIVE_STEPS
    """Steps of a live picture (1–50) unless a speed preset or few-step scheduler brings its own."""
    memory_policy: str = "auto"
    """"auto", "speed" (keep everything on the GPU) or "low-vram" (offload, slice, tile)."""
    engine: str = "local"
    """Where pictures are made: "local" (this computer) or "server" (``server_url``)."""
    server_url: str = ""
    """A t2ia server (``t2ia-desktop serve``), e.g. http://studio-gpu:8000; its token is kept
    in a file of its own (remote/saved_token.py)."""
    ask_before_leaving_out: bool = True
    """Generate asks before leaving out a condition layer that has no control image."""

    def checked(self) -> tuple[Settings, list[str]]:
        """These settings with every out-of-range or mistyped value back at its default, and
        a sentence for each one that was."""
        defaults = Settings()
        problems: list[str] = []
        values: dict[str, Any] = {}
        for spec in fields(self):
            value = getattr(self, spec.name)
            default = getattr(defaults, spec.name)
            if _valid(spec.name, value):
                values[spec.name] = float(value) if isinstance(default, float) else value
            else:
                problems.append(f"{spec.name} {value!r} is not valid; using {default!r}")
                values[spec.name] = default
        return Settings(**values), problems

    def annotators_root(self) -> Path | None:
        """The chosen folder for detector weights; None: the app's own (``<data>/annotators``)."""
        folder = self.annotators_folder.strip()
        return Path(folder).expanduser() if folder else None

    def taesd_root(self) -> Path:
        return Path(self.taesd_folder).expanduser() if self.taesd_folder else (
            default_taesd_folder())


def _valid(name: str, value: Any) -> bool:
    if name in ("annotators_folder", "taesd_folder", "server_url"):
        return isinstance(value, str)
    if name == "engine":
        return value in ENGINES
    if name in ("autosave_seconds", "live_opacity"):
        low, high = AUTOSAVE_RANGE if name == "autosave_seconds" else OPACITY_RANGE
        return finite_number(value, low, high)
    if name == "live_steps":
        return (isinstance(value, int) and not isinstance(value, bool)
                and LIVE_STEPS_RANGE[0] <= value <= LIVE_STEPS_RANGE[1])
    if name == "step_preview_decoder":
        return value in PREVIEW_DECODERS
    if name == "memory_policy":
        return value in MEMORY_POLICIES
    if name == "ask_before_leaving_out":
        return isinstance(value, bool)
    return False


def folder_problem(text: str, writable: bool = True) -> str:
    """Why ``text`` cannot be used as a folder setting ("" when it can, or when it is empty)."""
    if not text.strip():
        return ""
    folder = Path(text.strip()).expanduser()
    if not folder.exists():
        return f"{folder} does not exist: create it first, or choose another folder."
    if not folder.is_dir():
        return f"{folder} is a file, not a folder: choose a folder."
    if writable and not os.access(folder, os.W_OK | os.X_OK):
        return f"{folder} is not writable: choose a folder you can write to."
    return ""


def taesd_folder_for(settings: Settings, family: str) -> Path | None:
    """The TAESD folder (``config.json`` and weights) for ``family`` inside the settings' TAESD
    folder, if it is there. The engine also looks in the Hugging Face cache."""
    folder = settings.taesd_root() / TAESD_SUBFOLDERS[family]
    if not (folder / "config.json").is_file():
        return None
    weights = ("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin")
    return folder if any((folder / name).is_file() for name in weights) else None


def _environment_float(text: str | None) -> float | None:
    try:
        value = float(text or "")
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


class SettingsStore:
    """Reads and writes :class:`Settings`; :attr:`settings` is what the file says (what the
    Settings dialog edits), :meth:`effective` what the app uses (environment applied)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or settings_path()
        self.note = ""
        """Why the file's settings were not used ("" when they were)."""
        self._unknown: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._launch_env = {name: os.environ.get(name, "").strip()
                            for name in (ANNOTATORS_ENV, AUTOSAVE_ENV)}
        self.settings = self._load()

    # -- reading ----------------------------------------------------------------------------------
    def _load(self) -> Settings:
        try:
            data = read_json(self.path, max_bytes=MAX_BYTES)
            if data is None:
                return Settings()
            if not isinstance(data, dict):
                raise Unreadable("is not a JSON object")
            check_version(data, SCHEMA_VERSION, "settings")
        except Unreadable as error:
            self.note = unreadable_note(self.path, "The settings file", str(error),
                                        "the default settings are used")
            return Settings()
        known = {spec.name for spec in fields(Settings)}
        values = {key: value for key, value in data.items() if key in known}
        self._unknown = {key: value for key, value in data.items()
                         if key not in known and key != "version"}
        settings, problems = Settings(**values).checked()
        if problems:
            self.note = f"Some settings in {self.path} were not valid: {'; '.join(problems)}"
            self.note += self._keep_and_rewrite(settings)
            log.warning(self.note)
        return settings

    def _keep_and_rewrite(self, settings: Settings) -> str:
        """Copy the file aside and write ``settings`` (checked) in its place, so the artist is
        told once; the end of the note that says what became of the file."""
        try:
            kept = keep_copy(self.path)
            self._write(settings)
        except OSError as error:
            return f" (the file could not be rewritten: {error.strerror or error})."
        return f"; the file as it was is kept as {kept.name}."

    def effective(self) -> Settings:
        """The settings the app runs with: the file's, with the launch environment on top."""
        settings = self.settings
        annotators = self._launch_env[ANNOTATORS_ENV]
        if annotators:
            settings = replace(settings, annotators_folder=annotators)
        autosave = _environment_float(self._launch_env[AUTOSAVE_ENV])
        if autosave is not None:
            settings = replace(settings, autosave_seconds=autosave)
        return settings

    def annotators_root(self) -> Path | None:
        """The folder the detectors and weight downloads use now: ``T2IA_ANNOTATORS`` when it
        was set at launch, else the setting (a change saved from the Settings dialog applies
        at the next use); None: the app's own folder."""
        return self.effective().annotators_root()

    @property
    def memory_policy(self) -> str:
        return self.settings.memory_policy

    def overridden(self) -> dict[str, str]:
        """Setting name → the environment variable that overrides it in this run."""
        found = {}
        if self._launch_env[ANNOTATORS_ENV]:
            found["annotators_folder"] = ANNOTATORS_ENV
        if _environment_float(self._launch_env[AUTOSAVE_ENV]) is not None:
            found["autosave_seconds"] = AUTOSAVE_ENV
        return found

    # -- writing ----------------------------------------------------------------------------------
    def save(self, settings: Settings) -> None:
        """Check and write ``settings`` atomically; raises ``OSError`` when it cannot be
        written (the settings in use change only once it is)."""
        checked, problems = settings.checked()
        if problems:
            raise ValueError("; ".join(problems))
        self._write(checked)
        self.settings = checked
        self.note = ""

    def _write(self, checked: Settings) -> None:
        data = {"version": SCHEMA_VERSION, **self._unknown, **asdict(checked)}
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # through a link to its target, ordinary permissions, a killed write's leftover
            # swept: the one atomic writer every state file uses
            with atomic_write(self.path, "w", encoding="utf-8") as stream:
                json.dump(data, stream, indent=2)

    def apply_environment(self) -> None:
        """Point ``T2IA_ANNOTATORS`` at the annotators folder setting, unless the launch
        environment set it: for processes started from here, which read the variable. The app
        itself does not need it (its detectors and downloads ask :meth:`annotators_root`)."""
        if self._launch_env[ANNOTATORS_ENV]:
            return
        folder = self.settings.annotators_folder.strip()
        if folder:
            os.environ[ANNOTATORS_ENV] = str(Path(folder).expanduser())
        else:
            os.environ.pop(ANNOTATORS_ENV, None)


def current_annotators_root() -> Path | None:
    """:meth:`SettingsStore.annotators_root` as the settings file and the environment say now,
    for code that is given no store (the command line, a scheduler built without one)."""
    return SettingsStore().annotators_root()
