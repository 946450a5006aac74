"""Every finished image is written to the history folder the moment it exists.

Whether or not the project is ever saved, a result is on disk as a PNG with its whole request
embedded, a thumbnail, and one line in ``index.jsonl``. The index can always be rebuilt from the
PNGs, so a corrupt index never loses a result.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from t2ia_desktop.core.errors import T2IAError
from t2ia_desktop.core.files.imageio import save_png
from t2ia_desktop.core.generation.request import GenerationRequest

log = logging.getLogger(__name__)

THUMBNAIL_SIZE = 256
INDEX = "index.jsonl"
STARS = "stars.json"
TRASH = "trash"
"""Deleted results go here (with their thumbnails), so a delete can be taken back."""


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


@dataclass(frozen=True)
class HistoryScan:
    """What the history folder holds now, and what the artist should be told about it."""

    entries: list[HistoryEntry]
    notes: list[str] = field(default_factory=list)


class History:
    """A folder of results: ``<id>.png``, ``<id>.thumb.png`` and ``index.jsonl``.

    The index is only ever appended to (or replaced whole, atomically, when rebuilt). Stars live
    in ``stars.json`` beside it, replaced atomically; a delete moves the files to ``trash/``, so
    the index keeps its line and :meth:`scan` leaves the entry out.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def add(self, image: Image.Image, request: GenerationRequest) -> HistoryEntry:
        """Write the image, its thumbnail and its index line; raise T2IAError if it cannot."""
        created = time.time()
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(created))
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            entry_id = self._free_id(f"{stamp}-{request.seed}")
            image_path = self.folder / f"{entry_id}.png"
            thumb_path = self.folder / f"{entry_id}.thumb.png"
            save_png(image, image_path, request)
            thumbnail = image.copy()
            thumbnail.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
            save_png(thumbnail, thumb_path)
            entry = HistoryEntry(
                entry_id, image_path, thumb_path, created, request.prompt, request.model,
                request.seed, tuple(c.condition for c in request.controls),
            )
            with open(self.folder / INDEX, "a", encoding="utf-8") as index:
                index.write(json.dumps(_to_json(entry)) + "\n")
                index.flush()
                os.fsync(index.fileno())
        except OSError as error:
            raise T2IAError(
                f"Could not save the result to the history folder {self.folder}: "
                f"{error.strerror or error}. Free some space or choose another folder."
            ) from None
        return entry

    def entries(self) -> list[HistoryEntry]:
        """Entries oldest first; a missing or unreadable index is rebuilt from the PNGs."""
        return self.scan().entries

    def scan(self) -> HistoryScan:
        """Entries oldest first, and notes on what was skipped (a PNG gone from the folder)."""
        try:
            lines = (self.folder / INDEX).read_text(encoding="utf-8").splitlines()
            entries = [_from_json(json.loads(line), self.folder) for line in lines if line]
        except FileNotFoundError:
            if not self.folder.is_dir():
                return HistoryScan([])
            return HistoryScan(self.rebuild_index())
        except (OSError, ValueError, KeyError, TypeError):
            note = "The history index was damaged: it was rebuilt from the pictures."
            return HistoryScan(self.rebuild_index(), [note])
        kept, missing, seen = [], [], set()
        for entry in entries:
            if entry.id in seen:
                continue
            seen.add(entry.id)
            if entry.image.is_file():
                kept.append(entry)
            elif not (self.folder / TRASH / entry.image.name).is_file():
                missing.append(entry.image.name)
        notes = []
        if missing:
            shown = ", ".join(missing[:3]) + (" …" if len(missing) > 3 else "")
            notes.append(f"{len(missing)} picture(s) listed in the history are no longer in "
                         f"{self.folder} and were skipped: {shown}")
        return HistoryScan(kept, notes)

    # -- stars ----------------------------------------------------------------------------------
    def starred(self) -> set[str]:
        """Ids of the starred entries (an unreadable stars file counts as none starred)."""
        try:
            data = json.loads((self.folder / STARS).read_text(encoding="utf-8"))
            return {str(i) for i in data.get("starred", [])}
        except (OSError, ValueError, AttributeError, TypeError):
            return set()

    def set_starred(self, entry_id: str, starred: bool) -> set[str]:
        """Star or unstar one entry; returns the starred ids. Raises T2IAError if it cannot."""
        ids = self.starred()
        (ids.add if starred else ids.discard)(entry_id)
        self._replace(STARS, json.dumps({"version": 1, "starred": sorted(ids)}, indent=1),
                      "save the star")
        return ids

    # -- deleting -------------------------------------------------------------------------------
    def delete(self, entry: HistoryEntry) -> Path:
        """Move an entry's picture and thumbnail to ``trash/``; returns the trashed picture.

        :meth:`restore` takes it back. Raises T2IAError when the folder cannot be written.
        """
        trash = self.folder / TRASH
        try:
            trash.mkdir(exist_ok=True)
            target = trash / entry.image.name
            os.replace(entry.image, target)
            if entry.thumbnail.is_file():
                os.replace(entry.thumbnail, trash / entry.thumbnail.name)
        except OSError as error:
            raise T2IAError(
                f"Could not move {entry.image.name} to the trash folder {trash}: "
                f"{error.strerror or error}. Check that the history folder is writable."
            ) from None
        return target

    def restore(self, entry: HistoryEntry) -> None:
        """Bring a deleted entry back from ``trash/`` (its index line never went away)."""
        trash = self.folder / TRASH
        try:
            os.replace(trash / entry.image.name, entry.image)
            if (trash / entry.thumbnail.name).is_file():
                os.replace(trash / entry.thumbnail.name, entry.thumbnail)
        except OSError as error:
            raise T2IAError(f"Could not bring {entry.image.name} back from {trash}: "
                            f"{error.strerror or error}.") from None

    # -- reading a result back ------------------------------------------------------------------
    def request_metadata(self, entry: HistoryEntry) -> dict:
        """The whole request embedded in the entry's PNG (see ``GenerationRequest.to_metadata``).

        Raises T2IAError when the picture is gone or carries no request.
        """
        try:
            with Image.open(entry.image) as image:
                metadata = json.loads(image.text.get("t2ia", ""))
        except (OSError, ValueError) as error:
            raise T2IAError(f"Cannot read the settings of {entry.image.name}: "
                            f"{getattr(error, 'strerror', None) or error}.") from None
        if not isinstance(metadata, dict):
            raise T2IAError(f"{entry.image.name} carries no generation settings.")
        return metadata

    def _replace(self, name: str, text: str, what: str) -> None:
        temporary = self.folder / f".{name}.tmp"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(temporary, "w", encoding="utf-8") as stream:
                stream.write(text)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, self.folder / name)
        except OSError as error:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
            raise T2IAError(
                f"Could not {what} in the history folder {self.folder}: "
                f"{error.strerror or error}. Check that it is writable and has free space."
            ) from None

    def rebuild_index(self) -> list[HistoryEntry]:
        entries = []
        for image_path in sorted(self.folder.glob("*.png")):
            if image_path.name.endswith(".thumb.png"):
                continue
            try:
                with Image.open(image_path) as image:
                    metadata = json.loads(image.text.get("t2ia", "{}"))
            except (OSError, ValueError):
                continue
            entries.append(HistoryEntry(
                image_path.stem, image_path, image_path.with_suffix(".thumb.png"),
                image_path.stat().st_mtime, metadata.get("prompt", ""),
                metadata.get("model", ""), int(metadata.get("seed", 0)),
                tuple(c.get("condition", "") for c in metadata.get("controls", [])),
            ))
        entries.sort(key=lambda e: e.created)
        if self.folder.is_dir():
            try:
                self._replace(INDEX, "".join(json.dumps(_to_json(e)) + "\n" for e in entries),
                              "rewrite the index")
            except T2IAError as error:  # a read-only folder still lists its pictures
                log.warning("history: %s", error)
        return entries

    def _free_id(self, base: str) -> str:
        candidate, number = base, 1
        while (self.folder / f"{candidate}.png").exists():
            number += 1
            candidate = f"{base}-{number}"
        return candidate


def _to_json(entry: HistoryEntry) -> dict:
    return {
        "id": entry.id, "image": entry.image.name, "thumbnail": entry.thumbnail.name,
        "created": entry.created, "prompt": entry.prompt, "model": entry.model,
        "seed": entry.seed, "conditions": list(entry.conditions),
    }


def _from_json(data: dict, folder: Path) -> HistoryEntry:
    return HistoryEntry(
        data["id"], folder / data["image"], folder / data["thumbnail"], float(data["created"]),
        data["prompt"], data["model"], int(data["seed"]), tuple(data["conditions"]),
    )
