"""Every finished image is written to the history folder the moment it exists.

Whether or not the project is ever saved, a result is on disk as a PNG with its whole request
embedded, a thumbnail, and one line in ``index.jsonl``. The index can always be rebuilt from the
PNGs, so a damaged index never loses a result: a line that cannot be read is left out (the index
as it was is copied aside and written again without it), an index that cannot be read at all is
set aside and rebuilt, and a picture without its line is indexed at the next launch. Ids are
claimed by creating the picture's file exclusively, so two results of the same second and seed
never overwrite each other, even from two instances of the app.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from t2ia_desktop.core.errors import T2IAError
from t2ia_desktop.core.files.atomic_file import atomic_write
from t2ia_desktop.core.files.imageio import save_png
from t2ia_desktop.core.files.state_file import (
    Unreadable,
    check_version,
    read_json,
    unreadable_note,
)
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.core.image_history.index_file import (
    HistoryEntry,
    entry_from_picture,
    entry_id_ok,
    files_in,
    index_line,
    inside,
    listed_inside,
    picture_metadata,
    pictures_in,
    read_lines,
)

log = logging.getLogger(__name__)

THUMBNAIL_SIZE = 256
INDEX = "index.jsonl"
STARS = "stars.json"
TRASH = "trash"
"""Deleted results go here (with their thumbnails), so a delete can be taken back."""
MAX_INDEX_BYTES = 512 * 1024 * 1024  # a million results
MAX_STARS_BYTES = 16 * 1024 * 1024
STARS_VERSION = 1

__all__ = ["INDEX", "STARS", "TRASH", "History", "HistoryEntry", "HistoryScan"]


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
        self._swept = False  # pictures without an index line are looked for once, at launch
        self._notes: list[str] = []  # for the next scan: what the artist should be told once

    def add(self, image: Image.Image, request: GenerationRequest) -> HistoryEntry:
        """Write the image, its thumbnail and its index line; raise T2IAError if it cannot."""
        created = time.time()
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(created))
        image_path = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            entry_id = self._claim_id(f"{stamp}-{request.seed}")
            image_path = self.folder / f"{entry_id}.png"
            thumb_path = self.folder / f"{entry_id}.thumb.png"
            save_png(image, image_path, request)  # replaces the empty file that claimed the id
            image_path = None  # written: it stays whatever happens next
            thumbnail = image.copy()
            thumbnail.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
            save_png(thumbnail, thumb_path)
            entry = HistoryEntry(
                entry_id, self.folder / f"{entry_id}.png", thumb_path, created, request.prompt,
                request.model, request.seed, tuple(c.condition for c in request.controls),
                tuple(c.guide for c in request.controls),
            )
            self._append([entry])
        except OSError as error:
            if image_path is not None:  # the claim of an id whose picture was never written
                with contextlib.suppress(OSError):
                    image_path.unlink()
            raise T2IAError(
                f"Could not save the result to the history folder {self.folder}: "
                f"{error.strerror or error}. Free some space or choose another folder."
            ) from None
        return entry

    def _claim_id(self, base: str) -> str:
        """A new id from ``base``, claimed by creating its picture's file exclusively (an
        empty file, replaced by the picture): another result, even of another instance of the
        app, can never take the same one. Ids of pictures in the trash are not reused."""
        candidate, number = base, 1
        while True:
            if not os.path.lexists(self.folder / TRASH / f"{candidate}.png"):
                try:
                    handle = os.open(self.folder / f"{candidate}.png",
                                     os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                except FileExistsError:
                    pass
                else:
                    os.close(handle)
                    return candidate
            number += 1
            candidate = f"{base}-{number}"

    def _append(self, entries: list[HistoryEntry]) -> None:
        """Add the entries' lines to the index in one write (appends of two instances of the
        app never interleave inside a line)."""
        data = b"".join(index_line(entry) for entry in entries)
        handle = os.open(self.folder / INDEX, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            while data:
                written = os.write(handle, data)
                if written <= 0:
                    raise OSError(errno.EIO, "the index could not be written")
                data = data[written:]
            os.fsync(handle)
        finally:
            os.close(handle)

    def entries(self) -> list[HistoryEntry]:
        """Entries oldest first; a missing or unreadable index is rebuilt from the PNGs."""
        return self.scan().entries

    def scan(self) -> HistoryScan:
        """Entries oldest first, and notes on what was skipped (a PNG gone from the folder, a
        line that could not be read, a damaged index or stars file set aside)."""
        self.starred()  # a damaged stars file is told with this scan
        entries, bad_lines = self._read_index()
        if entries is None:
            entries = self.rebuild_index()
        elif bad_lines:
            entries = self._rewrite_without_bad_lines(entries, bad_lines)
        elif not self._swept and self.folder.is_dir():
            entries = entries + self._index_pictures_without_lines(entries)
        self._swept = True
        kept, notes = self._present(entries)
        notes, self._notes = self._notes + notes, []
        return HistoryScan(kept, notes)

    def _read_index(self) -> tuple[list[HistoryEntry] | None, int]:
        """The index's entries and how many lines could not be read; ``None`` when there is
        no index to read (missing, or set aside now with a note)."""
        path = self.folder / INDEX
        try:
            if path.is_dir():
                raise Unreadable("is a folder, not a file")
            if path.stat().st_size > MAX_INDEX_BYTES:
                raise Unreadable(f"is larger than {MAX_INDEX_BYTES // 2**20} MB")
            data = path.read_bytes()
        except FileNotFoundError:
            return None, 0
        except (OSError, Unreadable) as error:
            why = (str(error) if isinstance(error, Unreadable)
                   else f"cannot be read ({error.strerror or error})")
            self._notes.append(unreadable_note(path, "The history index", why,
                                               "it was rebuilt from the pictures"))
            return None, 0
        return read_lines(data, self.folder)

    def _rewrite_without_bad_lines(self, entries: list[HistoryEntry],
                                   bad_lines: int) -> list[HistoryEntry]:
        """Keep the index as it was aside, and write it again with the lines that can be read
        and the pictures that have none: the artist is told once."""
        entries = entries + self._index_pictures_without_lines(entries, append=False)
        note = unreadable_note(self.folder / INDEX, "The history index",
                               f"has {bad_lines} line(s) that could not be read",
                               "the index was rebuilt from the other lines and the "
                               "settings inside the pictures",
                               copy=True)
        self._notes.append(note)
        try:
            self._replace(INDEX, "".join(index_line(e).decode("ascii") for e in entries),
                          "rewrite the index")
        except T2IAError as error:  # a read-only folder still lists its pictures
            log.warning("history: %s", error)
        return entries

    def _index_pictures_without_lines(self, entries: list[HistoryEntry], *,
                                      append: bool = True) -> list[HistoryEntry]:
        """Entries for the pictures of the folder that no index line names (a result whose
        line was never written, a line that could not be read); with ``append`` their lines
        are added to the index."""
        named = {entry.image.name for entry in entries}
        root = self.folder.resolve()
        found = [entry for path in pictures_in(self.folder)
                 if path.name not in named and inside(path, root)
                 and (entry := entry_from_picture(path)) is not None]
        if found and append:
            try:
                self._append(found)
            except OSError as error:  # read-only: listed now, indexed another time
                log.warning("history: cannot index %d picture(s): %s", len(found), error)
        return found

    def _present(self, entries: list[HistoryEntry]) -> tuple[list[HistoryEntry], list[str]]:
        """The entries whose picture is in the folder, each id once, and notes on the others
        (gone, or a file outside the history folder)."""
        files = files_in(self.folder)
        root = self.folder.resolve() if files else self.folder
        kept, missing, outside, seen = [], [], [], set()
        for entry in entries:
            if entry.id in seen:
                continue
            seen.add(entry.id)
            picture, thumbnail = entry.image.name, entry.thumbnail.name
            if not listed_inside(picture, files, root):
                if picture in files:
                    outside.append(picture)
                elif not (self.folder / TRASH / picture).is_file():
                    missing.append(picture)
            elif thumbnail in files and not listed_inside(thumbnail, files, root):
                outside.append(thumbnail)
            else:
                kept.append(entry)
        notes = []
        if missing:
            notes.append(f"{len(missing)} picture(s) listed in the history are no longer in "
                         f"{self.folder} and were skipped: {_some(missing)}")
        if outside:
            notes.append(f"{len(outside)} history entries name a file that is not a picture "
                         f"inside {self.folder} and were skipped: {_some(outside)}")
        return kept, notes

    # -- stars ----------------------------------------------------------------------------------
    def starred(self) -> set[str]:
        """Ids of the starred entries. A stars file that cannot be read is set aside (told
        with the next scan) and counts as none starred; an id of the wrong kind is left out."""
        path = self.folder / STARS
        try:
            data = read_json(path, max_bytes=MAX_STARS_BYTES)
            if data is None:
                return set()
            if not isinstance(data, dict):
                raise Unreadable("is not a JSON object")
            check_version(data, STARS_VERSION, "stars")
            ids = data.get("starred", [])
            if not isinstance(ids, list):
                raise Unreadable("has no list of starred pictures")
        except Unreadable as error:
            self._notes.append(unreadable_note(path, "The stars file", str(error),
                                               "no picture is starred"))
            return set()
        return {entry_id for entry_id in ids if entry_id_ok(entry_id)}

    def set_starred(self, entry_id: str, starred: bool) -> set[str]:
        """Star or unstar one entry; returns the starred ids. Raises T2IAError if it cannot."""
        ids = self.starred()
        (ids.add if starred else ids.discard)(entry_id)
        self._replace(STARS, json.dumps({"version": STARS_VERSION, "starred": sorted(ids)},
                                        indent=1), "save the star")
        return ids

    # -- deleting -------------------------------------------------------------------------------
    def delete(self, entry: HistoryEntry) -> Path:
        """Move an entry's picture and thumbnail to ``trash/``; returns the trashed picture.

        :meth:`restore` takes it back. Raises T2IAError when the folder cannot be written, or
        when the entry does not name files of the history folder.
        """
        trash = self.folder / TRASH
        self._check_inside(entry)
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
        self._check_inside(entry)
        try:
            os.replace(trash / entry.image.name, entry.image)
            if (trash / entry.thumbnail.name).is_file():
                os.replace(trash / entry.thumbnail.name, entry.thumbnail)
        except OSError as error:
            raise T2IAError(f"Could not bring {entry.image.name} back from {trash}: "
                            f"{error.strerror or error}.") from None

    def _check_inside(self, entry: HistoryEntry) -> None:
        """Files are only ever moved within the history folder."""
        for path in (entry.image, entry.thumbnail):
            if path.parent != self.folder or not entry_id_ok(path.name):
                raise T2IAError(f"{path} is not a picture of the history folder "
                                f"{self.folder}; it was left where it is.")

    # -- reading a result back ------------------------------------------------------------------
    def request_metadata(self, entry: HistoryEntry) -> dict:
        """The whole request embedded in the entry's PNG (see ``GenerationRequest.to_metadata``).

        Raises T2IAError when the picture is gone or carries no request.
        """
        try:
            metadata = picture_metadata(entry.image)
        except OSError as error:
            raise T2IAError(f"Cannot read the settings of {entry.image.name}: "
                            f"{getattr(error, 'strerror', None) or error}.") from None
        if not metadata:
            raise T2IAError(f"{entry.image.name} carries no generation settings.")
        return metadata

    def _replace(self, name: str, text: str, what: str) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with atomic_write(self.folder / name, "w", encoding="utf-8", suffix=".tmp") as stream:
                stream.write(text)
        except OSError as error:
            raise T2IAError(
                f"Could not {what} in the history folder {self.folder}: "
                f"{error.strerror or error}. Check that it is writable and has free space."
            ) from None

    def rebuild_index(self) -> list[HistoryEntry]:
        """The entries of every picture in the folder, from the settings each carries (a
        picture with foreign or no settings too); the index is written again from them."""
        if not self.folder.is_dir():
            return []
        entries = self._index_pictures_without_lines([], append=False)
        entries.sort(key=lambda e: e.created)
        try:
            self._replace(INDEX, "".join(index_line(e).decode("ascii") for e in entries),
                          "rewrite the index")
        except T2IAError as error:  # a read-only folder still lists its pictures
            log.warning("history: %s", error)
        return entries


def _some(names: list[str]) -> str:
    return ", ".join(names[:3]) + (" …" if len(names) > 3 else "")
