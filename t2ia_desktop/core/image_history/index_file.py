"""The history's index lines and the requests inside its pictures, read so that no damaged or
foreign file stops the app.

Each line of ``index.jsonl`` is checked on its own (:func:`entry_from_line`): a line of the wrong
shape — a number as prompt or model, a bad conditions list, a file name with a folder in it —
costs that line only. An entry can only name a file inside the history folder: a plain file
name, never ``..``, an absolute path or a symbolic link that leads out (:func:`inside`). A picture
of the folder is turned into an entry from the request it carries (:func:`entry_from_picture`);
a picture with foreign or missing settings still gets one, with what it tells.
"""

from __future__ import annotations

import json
import os
import re
import stat
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from t2ia_desktop.core.conditions.guides import ADAPTER, GUIDES
from t2ia_desktop.core.files.state_file import (
    Unreadable,
    finite_number,
    parse_json,
    whole_number,
)

MAX_LINE_BYTES = 256 * 1024
MAX_LINE_DEPTH = 4  # a line › its conditions list
MAX_METADATA_DEPTH = 16
MAX_NAME = 255
MAX_CONDITIONS = 64
CREATED_RANGE = (0.0, 1e11)
SEED_RANGE = (0, 2**64 - 1)
PICTURE_SUFFIX = ".png"
THUMBNAIL_SUFFIX = ".thumb.png"


@dataclass(frozen=True)
class HistoryEntry:
    id: str
    image: Path
    thumbnail: Path
    created: float
    prompt: str
    model: str
    seed: int
    conditions: tuple[str, ...]
    guides: tuple[str, ...] = ()
    """What guided each of ``conditions`` (core/conditions/guides.py); lines written before
    guides existed have none: read :func:`entry_guides`."""


def entry_guides(entry: HistoryEntry) -> tuple[str, ...]:
    """The guide of each of the entry's conditions (adapters where it does not say)."""
    guides = entry.guides[:len(entry.conditions)]
    return guides + (ADAPTER,) * (len(entry.conditions) - len(guides))


def to_json(entry: HistoryEntry) -> dict:
    data = {
        "id": entry.id, "image": entry.image.name, "thumbnail": entry.thumbnail.name,
        "created": entry.created, "prompt": entry.prompt, "model": entry.model,
        "seed": entry.seed, "conditions": list(entry.conditions),
    }
    if any(guide != ADAPTER for guide in entry.guides):  # adapters only: lines as before
        data["guides"] = list(entry.guides)
    return data


def index_line(entry: HistoryEntry) -> bytes:
    """The entry as one line of the index (UTF-8, ending in a newline)."""
    return (json.dumps(to_json(entry)) + "\n").encode("ascii")  # any text, escaped


_NOT_IN_NAMES = re.compile(r"[/\\\0:]|^\s|\s$")


def plain_name(value: Any) -> bool:
    """Whether ``value`` names a file right inside a folder: no folder part, no ``..``."""
    return (isinstance(value, str) and 0 < len(value) <= MAX_NAME
            and value not in (".", "..") and _NOT_IN_NAMES.search(value) is None)


def entry_id_ok(value: Any) -> bool:
    """Whether ``value`` can be an entry's id (a plain name, as ids name files)."""
    return plain_name(value) and not value.startswith(".")


def _picture_name(value: Any) -> bool:
    return plain_name(value) and value.lower().endswith(PICTURE_SUFFIX)


def entry_from_line(data: Any, folder: Path) -> HistoryEntry:
    """The entry one index line describes; :class:`Unreadable` says what is wrong with it."""
    if not isinstance(data, dict):
        raise Unreadable("is not a JSON object")
    checks = (
        ("id", entry_id_ok(data.get("id"))),
        ("image", _picture_name(data.get("image"))),
        ("thumbnail", _picture_name(data.get("thumbnail"))),
        ("created", finite_number(data.get("created"), *CREATED_RANGE)),
        ("prompt", isinstance(data.get("prompt"), str)),
        ("model", isinstance(data.get("model"), str)),
        ("seed", whole_number(data.get("seed"), *SEED_RANGE)),
        ("conditions", _conditions_ok(data.get("conditions"))),
        ("guides", _guides_ok(data.get("guides", []))),
    )
    wrong = [name for name, ok in checks if not ok]
    if wrong:
        raise Unreadable(f"has a wrong {', '.join(wrong)}")
    return HistoryEntry(data["id"], folder / data["image"], folder / data["thumbnail"],
                        float(data["created"]), data["prompt"], data["model"], data["seed"],
                        tuple(data["conditions"]), tuple(data.get("guides", ())))


def _guides_ok(value: Any) -> bool:
    return (isinstance(value, list) and len(value) <= MAX_CONDITIONS
            and all(item in GUIDES for item in value))


def _conditions_ok(value: Any) -> bool:
    return (isinstance(value, list) and len(value) <= MAX_CONDITIONS
            and all(isinstance(item, str) and len(item) <= MAX_NAME for item in value))


def read_lines(data: bytes, folder: Path) -> tuple[list[HistoryEntry], int]:
    """The entries of the index's bytes, and how many lines could not be read."""
    entries, bad = [], 0
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            if len(line) > MAX_LINE_BYTES:
                raise Unreadable("is too long")
            entries.append(entry_from_line(parse_json(line.decode("utf-8"), MAX_LINE_DEPTH),
                                           folder))
        except (Unreadable, UnicodeDecodeError):
            bad += 1
    return entries, bad


def inside(path: Path, root: Path) -> bool:
    """Whether ``path`` is a file inside ``root`` (resolved): a regular file, or a symbolic
    link whose target is one inside ``root``."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return False
    if not stat.S_ISLNK(mode):
        return stat.S_ISREG(mode)
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):  # a broken link, a loop of links
        return False
    return target.is_relative_to(root) and target.is_file()


def files_in(folder: Path) -> dict[str, os.DirEntry]:
    """The folder's entries by name, read in one go (their kinds come with the listing)."""
    try:
        with os.scandir(folder) as listing:
            return {entry.name: entry for entry in listing}
    except OSError:
        return {}


def listed_inside(name: str, files: dict[str, os.DirEntry], root: Path) -> bool:
    """:func:`inside` for a file of a :func:`files_in` listing (one system call fewer)."""
    entry = files.get(name)
    if entry is None:
        return False
    try:
        if entry.is_symlink():
            return inside(Path(entry.path), root)
        return entry.is_file(follow_symlinks=False)
    except OSError:
        return False


def pictures_in(folder: Path) -> Iterator[Path]:
    """The pictures of the history folder (no thumbnails, no temporary files)."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return
    for name in names:
        lowered = name.lower()
        if (lowered.endswith(PICTURE_SUFFIX) and not lowered.endswith(THUMBNAIL_SUFFIX)
                and entry_id_ok(name[: -len(PICTURE_SUFFIX)])):
            yield folder / name


def picture_metadata(path: Path) -> dict:
    """The request a picture carries (its ``t2ia`` text); ``{}`` when it carries none that can
    be read. Raises ``OSError`` when the file is not a picture that can be opened."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # never decoded
            with Image.open(path) as image:
                text = image.info.get("t2ia", "")  # the text before the pixels: no decoding
    except OSError:
        raise
    except Exception as error:  # a damaged or hostile PNG raises many kinds of errors
        raise OSError(f"{path.name} is not a readable picture ({error.__class__.__name__})"
                      ) from None
    try:
        metadata = parse_json(text, MAX_METADATA_DEPTH) if isinstance(text, str) else None
    except Unreadable:
        return {}
    return metadata if isinstance(metadata, dict) else {}


def entry_from_picture(path: Path) -> HistoryEntry | None:
    """An entry for a picture of the history folder from the request it carries: prompt,
    model, seed and conditions where they are of the right kind, empty where not; ``None``
    when the file is not a picture that can be opened."""
    try:
        metadata = picture_metadata(path)
        created = path.stat().st_mtime
    except OSError:
        return None
    prompt, model, seed = (metadata.get(key) for key in ("prompt", "model", "seed"))
    controls = metadata.get("controls")
    readable = [
        control for control in (controls if isinstance(controls, list) else [])
        if isinstance(control, dict) and isinstance(control.get("condition"), str)
        and len(control["condition"]) <= MAX_NAME][:MAX_CONDITIONS]
    conditions = tuple(control["condition"] for control in readable)
    guides = tuple(control.get("guide") if control.get("guide") in GUIDES else ADAPTER
                   for control in readable)
    stem = path.name[: -len(PICTURE_SUFFIX)]
    return HistoryEntry(
        stem, path, path.with_name(stem + THUMBNAIL_SUFFIX),
        created if finite_number(created, *CREATED_RANGE) else 0.0,
        prompt if isinstance(prompt, str) else "", model if isinstance(model, str) else "",
        seed if whole_number(seed, *SEED_RANGE) else 0, conditions, guides)
