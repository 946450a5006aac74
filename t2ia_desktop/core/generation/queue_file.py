"""The queue file: pending jobs written to disk so that they survive a restart or a crash.

A folder (``data_dir()/queue``) holds::

    queue.json        the versioned description below (UTF-8 JSON), written atomically
    images/*.png      the requests' images (control images…), one PNG per distinct image,
                      named by its content hash, so the jobs of a batch share one file

``queue.json``::

    format          "t2ia-queue"
    format_version  1 (a file with a higher number is refused: "update the app")
    app_version     the app that wrote it
    saved_at        seconds since the epoch
    paused          whether the queue was paused
    jobs            in run order, each {"state": "queued" | "running", "request": {...}}:
                    every GenerationRequest field; ``controls`` is a list of every ControlSpec
                    field with ``image`` the entry of its PNG; any other image field is
                    ``{"image": entry}``

Images are written before the JSON that names them and removed only after it no longer does,
so a ``kill -9`` at any moment leaves a file that reads back whole. Reading goes through the
state file reader (:mod:`t2ia_desktop.core.files.state_file`: size and nesting limits) and the
project reader's typed checks (:mod:`t2ia_desktop.core.files.project`). A file that is not a
queue file at all is a :class:`BadInput` that says what to do; a job that cannot be read is
left out alone, and :attr:`SavedQueue.skipped` says which and why.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
import warnings
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from PIL import Image

from t2ia_desktop import __version__
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.files.archive import MAX_IMAGE_PIXELS, MAX_SIDE, atomic_write
from t2ia_desktop.core.files.format_version import check_format_version
from t2ia_desktop.core.files.project import _jsonable, _ManifestReader
from t2ia_desktop.core.files.state_file import Unreadable, finite_number, read_json, set_aside
from t2ia_desktop.core.generation.request import ControlSpec, GenerationRequest

FORMAT = "t2ia-queue"
FORMAT_VERSION = 1
QUEUE_FILE = "queue.json"
IMAGES = "images"
MAX_JOBS = 10_000
MAX_BYTES = 256 * 1024 * 1024  # 10 000 jobs with long prompts and many controls
MAX_DEPTH = 16  # manifest › jobs › job › request › controls › control › step range: 7
SAVED_AT_RANGE = (0.0, 1e11)
_IMAGE_NAME = re.compile(r"images/[0-9a-f]{16}-\d{1,5}x\d{1,5}-[A-Za-z0-9;]{1,8}\.png")


@dataclass(frozen=True)
class SavedQueue:
    """What a queue file holds: the pending requests in run order."""

    requests: list[GenerationRequest]
    paused: bool
    saved_at: float  # 0: not known
    running: int  # how many of them were running when it was written (0 or 1)
    skipped: tuple[str, ...] = ()
    """The jobs that could not be read, each "job N: why" (they are not in ``requests``)."""

    def describe(self) -> str:
        count = len(self.requests)
        jobs = f"{count} job{'s' if count != 1 else ''}"
        when = (f" since {time.strftime('%Y-%m-%d %H:%M', time.localtime(self.saved_at))}"
                if self.saved_at else "")
        prompts = "; ".join(dict.fromkeys(r.prompt[:40] or "(no prompt)"
                                          for r in self.requests[:50]))
        text = f"{jobs} waiting{when}: {prompts[:200]}"
        if self.skipped:
            text += f" ({self.skipped_words()})"
        return text

    def skipped_words(self) -> str:
        """"2 jobs could not be read and are left out: job 3: …" ("" when none were)."""
        count = len(self.skipped)
        if not count:
            return ""
        shown = "; ".join(self.skipped[:2]) + ("; …" if count > 2 else "")
        return (f"{count} job{'s' if count != 1 else ''} could not be read and "
                f"{'are' if count != 1 else 'is'} left out: {shown}")


class QueueStore:
    """Writes and reads the queue file in ``folder``. One writer at a time (not thread-safe)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._names: dict[int, tuple[Image.Image, str]] = {}  # id(image) → (image, entry)

    @property
    def path(self) -> Path:
        return self.folder / QUEUE_FILE

    def exists(self) -> bool:
        return self.path.is_file()

    # -- writing ------------------------------------------------------------------------------
    def write(self, jobs: list[tuple[GenerationRequest, str]], paused: bool = False) -> None:
        """Write the pending ``(request, state)`` pairs; with none, remove the file. Raises
        :class:`BadInput` when the folder cannot be written (the previous file stays)."""
        if not jobs:
            self.clear()
            return
        images = self.folder / IMAGES
        try:
            images.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise BadInput(f"Could not save the queue in {self.folder}: "
                           f"{error.strerror or error}. Free some space.") from None
        used: set[str] = set()
        entries = [{"state": state, "request": self._request_json(request, used)}
                   for request, state in jobs[:MAX_JOBS]]
        manifest = {"format": FORMAT, "format_version": FORMAT_VERSION,
                    "app_version": __version__, "saved_at": time.time(), "paused": paused,
                    "jobs": entries}
        text = json.dumps(manifest, indent=1, ensure_ascii=False, allow_nan=False)
        atomic_write(self.path, lambda stream: stream.write(text.encode("utf-8")), "queue")
        for stale in images.glob("*.png"):  # only once the new file no longer names them
            if f"{IMAGES}/{stale.name}" not in used:
                stale.unlink(missing_ok=True)
        live = {id(image) for request, _ in jobs for image in _images_of(request)}
        self._names = {key: value for key, value in self._names.items() if key in live}

    def clear(self) -> None:
        """Remove the queue file and its images (nothing is pending)."""
        self.path.unlink(missing_ok=True)
        shutil.rmtree(self.folder / IMAGES, ignore_errors=True)

    def _request_json(self, request: GenerationRequest, used: set[str]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for field in fields(GenerationRequest):
            value = getattr(request, field.name)
            if field.name == "controls":
                data["controls"] = [
                    {**{f.name: _jsonable(getattr(control, f.name))
                        for f in fields(ControlSpec) if f.name != "image"},
                     "image": self._image_entry(control.image, used)}
                    for control in value
                ]
            elif isinstance(value, Image.Image):
                data[field.name] = {"image": self._image_entry(value, used)}
            else:
                data[field.name] = _jsonable(value)
        return data

    def _image_entry(self, image: Image.Image, used: set[str]) -> str:
        """The entry of ``image``'s PNG, written now unless it is there already."""
        known = self._names.get(id(image))
        if known is not None and known[0] is image:
            name = known[1]
        else:
            digest = hashlib.sha256(image.tobytes()).hexdigest()[:16]
            name = f"{IMAGES}/{digest}-{image.width}x{image.height}-{image.mode}.png"
            self._names[id(image)] = (image, name)
        path = self.folder / name
        if not path.is_file():
            atomic_write(path, lambda stream: image.save(stream, "PNG"), "queue image")
        used.add(name)
        return name

    # -- reading ------------------------------------------------------------------------------
    def read(self) -> SavedQueue | None:
        """The saved queue, or None when there is none. Raises :class:`BadInput` for a file
        that is damaged as a whole or from a newer version; a job that cannot be read is left
        out and named in :attr:`SavedQueue.skipped`, and when none can, that is a
        :class:`BadInput` too."""
        if not self.path.is_file():
            return None
        source = _FolderImages(self.folder, self.path)
        try:
            manifest = read_json(self.path, max_bytes=MAX_BYTES, max_depth=MAX_DEPTH)
        except Unreadable as error:
            raise source.bad(f"it {error}") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise source.bad("it is not a t2ia queue file")
        check_format_version(manifest, FORMAT_VERSION, "queue", bad=source.bad,
                             written="written", remedy="update the app to run those jobs")
        jobs = manifest.get("jobs")
        if not isinstance(jobs, list):
            raise source.bad("it has no list of jobs")
        requests, running, skipped = _read_jobs(source, jobs)
        if skipped and not requests:
            raise source.bad(f"none of its jobs can be read ({skipped[0]})")
        saved_at = manifest.get("saved_at")
        saved_at = float(saved_at) if finite_number(saved_at, *SAVED_AT_RANGE) else 0.0
        return SavedQueue(requests, manifest.get("paused") is True, saved_at, running,
                          tuple(skipped))

    def set_aside(self) -> Path:
        """Rename the folder out of the way (kept, never deleted); returns its new path."""
        target = set_aside(self.folder)
        self._names.clear()
        return target


def _read_jobs(source: _FolderImages, jobs: list[Any]
               ) -> tuple[list[GenerationRequest], int, list[str]]:
    """The requests of the jobs that can be read, how many of those were running, and
    "job N: why" for each one that cannot (beyond :data:`MAX_JOBS` too)."""
    reader = _ManifestReader(source)
    requests: list[GenerationRequest] = []
    running = 0
    skipped: list[str] = []
    for number, job in enumerate(jobs[:MAX_JOBS], 1):
        where = f"job {number}"
        try:
            if not isinstance(job, dict):
                raise source.bad(f"{where} is not an object")
            requests.append(_read_request(reader, source, job.get("request"), where))
        except BadInput as error:
            reason = source.reason(error).replace(f"the request of {where}", "its request")
            skipped.append(f"{where}: {reason}")
            continue
        except (ValueError, TypeError, OverflowError) as error:  # a value no check foresaw
            skipped.append(f"{where}: {str(error)[:120]}")
            continue
        running += job.get("state") == "running"
    if len(jobs) > MAX_JOBS:
        skipped.append(f"jobs {MAX_JOBS + 1} to {len(jobs)}: more than {MAX_JOBS} jobs")
    return requests, running, skipped


def _images_of(request: GenerationRequest) -> list[Image.Image]:
    found = [control.image for control in request.controls]
    found += [getattr(request, f.name) for f in fields(GenerationRequest)
              if isinstance(getattr(request, f.name), Image.Image)]
    return found


def _read_request(reader: _ManifestReader, source: _FolderImages, data: Any,
                  where: str) -> GenerationRequest:
    where = f"the request of {where}"
    if not isinstance(data, dict):
        raise source.bad(f"{where} is not an object")
    image_fields = {name: value for name, value in data.items()
                    if name != "controls" and isinstance(value, dict) and "image" in value}
    plain = {name: value for name, value in data.items() if name not in image_fields}
    request = reader.request(plain, where)
    images = {}
    known = {f.name for f in fields(GenerationRequest)}
    for name, value in image_fields.items():
        if name not in known:
            raise source.bad(f"{where} has an unknown image {name[:40]!r}; it may come from a "
                             "newer version of t2ia desktop")
        entry = value["image"]
        if not isinstance(entry, str):
            raise source.bad(f"{where}: {name} does not name an image")
        images[name] = source.image(entry, f"{name} of {where}")
    if images:
        request = request.with_changes(**images)
    try:
        return request.validate()
    except BadInput as error:
        raise source.bad(f"{where} is not valid ({error})") from None


class _FolderImages:
    """What the project reader needs of an archive (``bad`` and ``image``), for a folder."""

    def __init__(self, folder: Path, path: Path) -> None:
        self.folder = folder
        self.path = path
        self._read: dict[str, Image.Image] = {}  # a batch's jobs share their images

    def bad(self, reason: str) -> BadInput:
        return BadInput(f"{self._opening}{reason}.")

    @property
    def _opening(self) -> str:
        return f"The saved queue {self.path} cannot be restored: "

    def reason(self, error: BadInput) -> str:
        """The reason alone of an error made by :meth:`bad`."""
        return str(error).removeprefix(self._opening).removesuffix(".")

    def image(self, name: str, what: str) -> Image.Image:
        if not _IMAGE_NAME.fullmatch(name):
            raise self.bad(f"the {what} is named {name[:60]!r}, not an image of the queue")
        if name in self._read:
            return self._read[name]
        self._read[name] = self._load(name, what)
        return self._read[name]

    def _load(self, name: str, what: str) -> Image.Image:
        path = self.folder / name
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(path) as image:
                    width, height = image.size
                    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE) or (
                            width * height > MAX_IMAGE_PIXELS):
                        raise self.bad(f"the {what} ({name}) is {width}×{height}, too large")
                    image.load()
                    return image.copy()
        except FileNotFoundError:
            raise self.bad(f"the {what} ({name}) is missing") from None
        except (OSError, ValueError, Image.DecompressionBombWarning) as error:
            raise self.bad(f"the {what} ({name}) is damaged ({error})") from None
