"""Zip archives of layers, read and written safely (shared by project files and OpenRaster).

Writing is atomic: the archive goes to a temporary file in the target's folder, is flushed and
fsynced, then renamed over the target, so a failed save leaves the old file as it was and no
temporary file behind. Reading trusts nothing: entry names that would escape a folder are
refused, every entry and image is size-capped before it is decompressed, and any damage in the
container or an image becomes a :class:`BadInput` that names the file.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
import time
import warnings
import zipfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Self

import numpy as np
from PIL import Image

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.files import atomic_file, fastpng
from t2ia_desktop.core.pictures.pixels import to_rgba as pixels_to_rgba

MAX_SIDE = 16384
"""Largest width or height of a canvas or layer image read from a file."""
MAX_IMAGE_PIXELS = 8192 * 8192
"""Largest image (canvas, layer or control image) read from a file: 256 MB as RGBA."""
MAX_TOTAL_PIXELS = 2**30
"""Largest sum of decoded pixels over one file (4 GiB as RGBA): 16 layers of 8192² fit."""
MAX_LAYERS = 1000
MAX_ENTRIES = 10_000
MAX_TEXT_BYTES = 16 << 20
"""Largest manifest or stack.xml, uncompressed."""

PNG_LEVEL = 1
"""zlib level of layer PNGs (with the run-length strategy, see fastpng): the fastest; Pillow's
default level 6 makes detailed layers about 10 % smaller at 2–5 times the time."""


def workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


@contextmanager
def encoding_pool() -> Iterator[Executor]:
    """Threads for compressing image bands (zlib releases the GIL); joined on exit."""
    with ThreadPoolExecutor(workers(), thread_name_prefix="t2ia-png") as pool:
        yield pool


def encode_png(pixels: np.ndarray, executor: Executor | None = None) -> bytes:
    """Lossless PNG bytes of an RGBA layer array."""
    return fastpng.encode_rgba(np.ascontiguousarray(pixels), PNG_LEVEL, executor)


def start_encode_png(pixels: np.ndarray, executor: Executor) -> Callable[[], list[bytes]]:
    """:func:`encode_png` started on ``executor``: call the result for the PNG's pieces."""
    return fastpng.start_encode(np.ascontiguousarray(pixels), PNG_LEVEL, executor)


def encode_image_png(image: Image.Image) -> bytes:
    """PNG bytes of any picture, keeping its mode where PNG can hold it losslessly."""
    if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    stream = io.BytesIO()
    image.save(stream, "PNG", compress_level=PNG_LEVEL)
    return stream.getvalue()


# -- writing ----------------------------------------------------------------------------------

def atomic_write(path: str | Path, write: Callable[[BinaryIO], None], what: str = "file") -> None:
    """Call ``write(stream)`` on a temporary file next to ``path``, then rename it into place
    (see :mod:`atomic_file`: through a symbolic link, with ordinary permissions, leftovers of
    killed saves removed).

    Any ``OSError`` (read-only folder, disk full, missing folder) becomes a :class:`BadInput`
    saying so; the previous file at ``path`` is untouched and the temporary file is removed.
    """
    try:
        with atomic_file.atomic_write(path) as stream:
            write(stream)
    except OSError as error:
        reason = error.strerror or str(error)
        raise BadInput(f"Could not save the {what} {path}: {reason}. Nothing was changed "
                       "on disk; free some space or choose another folder.") from None


class ArchiveWriter:
    """Entries of a zip being written: already-compressed images stored, text deflated."""

    def __init__(self, stream: BinaryIO) -> None:
        self._zip = zipfile.ZipFile(stream, "w", allowZip64=True)
        self._stamp = time.localtime()[:6]

    def add(self, name: str, data: bytes | Sequence[bytes], compress: bool = False) -> None:
        """One entry: ``data`` is its bytes, or pieces written one after the other (no join)."""
        info = zipfile.ZipInfo(name, date_time=self._stamp)
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        if isinstance(data, (bytes, bytearray, memoryview)):
            self._zip.writestr(info, data)
            return
        info.file_size = sum(len(part) for part in data)  # decides zip64 before writing
        with self._zip.open(info, "w") as entry:
            for part in data:
                entry.write(part)

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self.close()
            return
        # the temporary file is about to go: release the zip, whatever it says about it
        with contextlib.suppress(Exception):
            self._zip.close()


# -- reading ----------------------------------------------------------------------------------

def is_safe_member(name: str) -> bool:
    """Whether a zip entry name stays inside the archive's folder when extracted anywhere."""
    if not name or "\\" in name or "\x00" in name or name.startswith("/"):
        return False
    parts = name.split("/")
    if ":" in parts[0]:  # C:foo, a drive on Windows
        return False
    return all(part not in ("..", ".") for part in parts)


class ArchiveReader:
    """A zip opened for reading with every guard in place; errors are :class:`BadInput`."""

    def __init__(self, path: str | Path, kind: str) -> None:
        """``kind`` names what the file should be, with its article: "a t2ia project"."""
        self.path = Path(path)
        self.kind = kind
        self.pixels_read = 0
        self._count_lock = threading.Lock()
        if self.path.is_dir():
            raise BadInput(f"{path} is a folder, not {kind}")
        if not self.path.is_file():
            raise BadInput(f"{path}: no such file")
        try:
            self._zip = zipfile.ZipFile(self.path)
            infos = self._zip.infolist()
        except Exception as error:
            raise self.bad(f"it is not {kind} (not a readable zip: {_reason(error)})") from None
        if len(infos) > MAX_ENTRIES:
            self.close()
            raise self.bad(f"it has {len(infos)} entries, more than the {MAX_ENTRIES} allowed")
        for info in infos:
            if not is_safe_member(info.filename):
                self.close()
                raise self.bad(f"it holds an entry named {info.filename!r} that would be "
                               "written outside its folder; refused")

    def bad(self, reason: str) -> BadInput:
        return BadInput(f"{self.path} cannot be opened: {reason}")

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def names(self) -> list[str]:
        return self._zip.namelist()

    def read(self, name: str, limit: int, what: str) -> bytes:
        """The entry's bytes, refusing it if it would inflate beyond ``limit``."""
        if not is_safe_member(name):
            raise self.bad(f"the {what} is named {name!r}, a path outside the file; refused")
        try:
            info = self._zip.getinfo(name)
        except KeyError:
            raise self.bad(f"the {what} ({name}) is missing") from None
        if info.file_size > limit:
            raise self.bad(f"the {what} ({name}) would take {info.file_size:,} bytes, more than "
                           f"the {limit:,} allowed")
        try:
            # zipfile stops at the declared size, so ``limit`` also caps a lying header
            return self._zip.read(info)
        except Exception as error:
            raise self.bad(f"the {what} ({name}) is damaged ({_reason(error)})") from None

    def text(self, name: str, what: str) -> str:
        data = self.read(name, MAX_TEXT_BYTES, what)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise self.bad(f"the {what} ({name}) is not UTF-8 text") from None

    def rgba(self, name: str, what: str, size: tuple[int, int] | None = None) -> np.ndarray:
        """An image entry as an ``(h, w, 4)`` uint8 array; ``size`` if given must match."""
        return self.rgba_and_png(name, what, size)[0]

    def rgba_and_png(self, name: str, what: str, size: tuple[int, int] | None = None
                     ) -> tuple[np.ndarray, bytes | None]:
        """:meth:`rgba`, and the entry's PNG bytes when they hold exactly those pixels as an
        8-bit RGBA PNG (so writing them again saves the same layer); else None."""
        width, height = self._check_size(self.image_size(name, what), name, what, size)
        data = self.read(name, _png_limit(width, height), what)
        pixels = fastpng.decode_rgba(data)
        exact = pixels is not None
        if pixels is None and not fastpng.chunks_intact(data):
            raise self.bad(f"the {what} ({name}) is damaged (a PNG chunk fails its checksum)")
        if pixels is None:  # not the plain kind this app writes: Pillow reads the rest
            pixels = np.array(to_rgba(self._decode(data, name, what, (width, height))))
        if pixels.shape != (height, width, 4):
            raise self.bad(f"the {what} ({name}) changed size while decoding")
        return pixels, data if exact else None

    def rgba_all(self, entries: list[tuple[str, str, tuple[int, int] | None]]
                 ) -> list[np.ndarray]:
        """:meth:`rgba` of each ``(name, what, size)``, decoded on several threads at once."""
        return [pixels for pixels, _ in self.rgba_and_png_all(entries)]

    def rgba_and_png_all(self, entries: list[tuple[str, str, tuple[int, int] | None]]
                         ) -> list[tuple[np.ndarray, bytes | None]]:
        """:meth:`rgba_and_png` of each ``(name, what, size)``, on several threads at once,
        the largest entries first so that no big one is left alone at the end."""
        if len(entries) < 2:
            return [self.rgba_and_png(*entry) for entry in entries]
        order = sorted(range(len(entries)), key=lambda i: -self._stored_size(entries[i][0]))
        with ThreadPoolExecutor(min(len(entries), workers(), 4),
                                thread_name_prefix="t2ia-png") as pool:
            futures = {i: pool.submit(self.rgba_and_png, *entries[i]) for i in order}
            try:
                return [futures[i].result() for i in range(len(entries))]
            except BaseException:
                for future in futures.values():
                    future.cancel()
                raise

    def _stored_size(self, name: str) -> int:
        try:
            return self._zip.getinfo(name).compress_size
        except KeyError:
            return 0  # rgba_and_png says it is missing

    def image(self, name: str, what: str) -> Image.Image:
        """An image entry decoded as is (any mode Pillow reads from a PNG)."""
        size = self._check_size(self.image_size(name, what), name, what, None)
        return self._decode(self.read(name, _png_limit(*size), what), name, what, size)

    def image_size(self, name: str, what: str) -> tuple[int, int]:
        """The size a PNG entry declares, read from its first bytes only."""
        if not is_safe_member(name):
            raise self.bad(f"the {what} is named {name!r}, a path outside the file; refused")
        try:
            info = self._zip.getinfo(name)
        except KeyError:
            raise self.bad(f"the {what} ({name}) is missing") from None
        try:
            with self._zip.open(info) as entry:
                head = entry.read(33)
        except Exception as error:
            raise self.bad(f"the {what} ({name}) is damaged ({_reason(error)})") from None
        size = fastpng.png_size(head)
        if size is None:
            raise self.bad(f"the {what} ({name}) is not a PNG image")
        return size

    def _check_size(self, found: tuple[int, int], name: str, what: str,
                    expected: tuple[int, int] | None) -> tuple[int, int]:
        width, height = found
        if expected is not None and found != expected:
            raise self.bad(f"the {what} ({name}) is {width}×{height}, not "
                           f"{expected[0]}×{expected[1]} like the canvas")
        if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE) or (
                width * height > MAX_IMAGE_PIXELS):
            raise self.bad(f"the {what} ({name}) is {width}×{height}, larger than the "
                           f"{MAX_IMAGE_PIXELS // 1_000_000} megapixel limit")
        with self._count_lock:
            self.pixels_read += width * height
            total = self.pixels_read
        if total > MAX_TOTAL_PIXELS:
            raise self.bad(f"its images hold more than {MAX_TOTAL_PIXELS // 1_000_000} "
                           "megapixels in all, too many to open safely")
        return width, height

    def _decode(self, data: bytes, name: str, what: str, size: tuple[int, int]) -> Image.Image:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(data), formats=("PNG",)) as image:
                    if image.size != size:
                        raise ValueError("size differs from the header")
                    image.load()
                    return image.copy()
        except Exception as error:
            raise self.bad(f"the {what} ({name}) is not a readable PNG "
                           f"({_reason(error)})") from None


def to_rgba(image: Image.Image) -> Image.Image:
    """Straight 8-bit RGBA from any mode Pillow reads: 16-bit grey scaled, not clipped, and a
    transparent colour key kept (see :func:`t2ia_desktop.core.pictures.pixels.to_rgba`)."""
    return pixels_to_rgba(image)


def _png_limit(width: int, height: int) -> int:
    """Most bytes a PNG of this size can need (stored, unfiltered, 16-bit RGBA), plus margin."""
    return width * height * 8 + height * 8 + (1 << 20)


def _reason(error: BaseException) -> str:
    text = str(error).strip()
    return f"{error.__class__.__name__}: {text}" if text else error.__class__.__name__
