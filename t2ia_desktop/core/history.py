"""Every finished image is written to the history folder the moment it exists.

Whether or not the project is ever saved, a result is on disk as a PNG with its whole request
embedded, a thumbnail, and one line in ``index.jsonl``. The index can always be rebuilt from the
PNGs, so a corrupt index never loses a result.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from t2ia_desktop.core.errors import T2IAError
from t2ia_desktop.core.imageio import save_png
from t2ia_desktop.core.request import GenerationRequest

THUMBNAIL_SIZE = 256
INDEX = "index.jsonl"


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


class History:
    """A folder of results: ``<id>.png``, ``<id>.thumb.png`` and ``index.jsonl``."""

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
        try:
            lines = (self.folder / INDEX).read_text(encoding="utf-8").splitlines()
            entries = [_from_json(json.loads(line), self.folder) for line in lines if line]
        except (OSError, ValueError, KeyError, TypeError):
            return self.rebuild_index()
        return [e for e in entries if e.image.is_file()]

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
            temporary = self.folder / f".{INDEX}.tmp"
            temporary.write_text(
                "".join(json.dumps(_to_json(e)) + "\n" for e in entries), encoding="utf-8"
            )
            os.replace(temporary, self.folder / INDEX)
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
