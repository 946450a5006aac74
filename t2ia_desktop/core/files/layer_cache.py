"""Encoded layer PNGs kept between saves, so a save re-encodes only the layers that changed.

A layer's pixels have a :attr:`~t2ia_desktop.core.document.document.Layer.revision` that every edit
changes. After a save (or an open: the bytes read from the file *are* the encoded layer) the
PNG bytes are kept under ``(layer id, revision)``; the next save of that layer at the same
revision writes them as they are instead of compressing 64 MB of pixels again.

The cache keeps only the newest revision of each layer and at most :attr:`max_bytes` in all
(least recently used go first), so its memory is at most about one file's size. It is safe to
use from the autosave writer thread and the UI thread at once.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_MAX_BYTES = 384 << 20
"""Enough for a detailed 16-layer 4096² artwork (≈ 210 MB of PNG) while keeping the app within
1.5 × its layers' pixels with the view caches; layers of grain that do not fit are cheap to
write again (they are stored, not compressed)."""
MAX_BYTES_ENV = "T2IA_LAYER_CACHE_MB"
"""Overrides the cache's size in MiB (0 turns it off)."""


@dataclass(frozen=True)
class EncodedLayer:
    """The PNG of one layer at one revision, as the pieces it was written in."""

    parts: tuple[bytes, ...]
    size: tuple[int, int]  # width, height it decodes to

    @property
    def nbytes(self) -> int:
        return sum(len(part) for part in self.parts)

    def data(self) -> bytes:
        return self.parts[0] if len(self.parts) == 1 else b"".join(self.parts)


class EncodedLayerCache:
    """PNG bytes by ``(layer id, revision)``, bounded by :attr:`max_bytes`."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[str, int], EncodedLayer] = OrderedDict()
        self._newest: dict[str, int] = {}  # layer id -> revision held
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def nbytes(self) -> int:
        return self._bytes

    def get(self, layer_id: str, revision: int, size: tuple[int, int]) -> EncodedLayer | None:
        """The bytes saved for this layer at this revision and size, or None."""
        with self._lock:
            entry = self._entries.get((layer_id, revision))
            if entry is None or entry.size != size:
                self.misses += 1
                return None
            self._entries.move_to_end((layer_id, revision))
            self.hits += 1
            return entry

    def put(self, layer_id: str, revision: int, parts: Sequence[bytes],
            size: tuple[int, int]) -> None:
        """Keep the PNG of a layer at ``revision`` (an older revision of it goes)."""
        entry = EncodedLayer(tuple(parts), size)
        if entry.nbytes > self.max_bytes:
            return
        with self._lock:
            held = self._newest.get(layer_id)
            if held is not None:
                if held > revision:  # a newer one is there already (another thread saved)
                    return
                self._drop((layer_id, held))
            self._entries[(layer_id, revision)] = entry
            self._newest[layer_id] = revision
            self._bytes += entry.nbytes
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._newest.clear()
            self._bytes = 0

    def _drop(self, key: tuple[str, int]) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= entry.nbytes
            if self._newest.get(key[0]) == key[1]:
                del self._newest[key[0]]


def _max_bytes_from_environment() -> int:
    try:
        return max(0, int(os.environ.get(MAX_BYTES_ENV, ""))) << 20
    except ValueError:
        return DEFAULT_MAX_BYTES


shared_cache = EncodedLayerCache(_max_bytes_from_environment())
"""The cache project saves and opens use unless given another: one per process, so the
window's Save and the autosave thread (which saves a copy with the same revisions) share it."""
