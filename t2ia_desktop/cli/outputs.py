"""Where ``generate`` and ``detect`` write: checked before any model or detector loads, and a
finished picture that cannot be saved is kept elsewhere rather than lost.

- The output must be a writable file's place: not a folder, in a folder that exists and can be
  written (core/files/imageio.py).
- The output must not be one of the command's inputs (``generate --init-image photo.png --out
  photo.png`` would paint over the artist's photo) unless ``--overwrite`` says so.
- A save that fails (a full disk, a folder made read-only meanwhile) leaves the old output as
  it was, and the new picture goes to the temporary folder, whose path the error line gives.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PIL import Image

from t2ia_desktop.cli.failures import os_error_message, printable
from t2ia_desktop.core.errors import BadInput

PICTURE_MODES = ("1", "L", "LA", "P", "RGB", "RGBA")
"""What a control image may be: 8-bit pictures (a float or 16-bit one is no control image)."""


def check_output(path: str, option: str, inputs: Iterable[tuple[str, str | None]] = (),
                 overwrite: bool = False, suffixes: tuple[str, ...] = (".png",)) -> Path:
    """The output ``path`` (given as ``option``), checked; ``inputs`` are ``(what, path)`` of
    the files the command reads, which it must not replace unless ``overwrite``."""
    from t2ia_desktop.core.files.imageio import check_output_path

    out = check_output_path(path, suffixes)
    if overwrite or not out.exists():
        return out
    for what, given in inputs:
        if given and _same_file(out, Path(given)):
            raise BadInput(f"{printable(path)} is also the {what}: writing it would replace "
                           f"that file. Choose another {option}, or add --overwrite to replace "
                           "it")
    return out


def _same_file(out: Path, given: Path) -> bool:
    try:
        return given.exists() and os.path.samefile(out, given)
    except OSError:
        return False


def save_picture(image: Image.Image, out: Path, request: Any = None) -> None:
    """Save ``image`` to ``out`` (atomically, with ``request``'s metadata). When that fails
    the picture is kept in the temporary folder and the :class:`BadInput` says where."""
    from t2ia_desktop.core.files.imageio import save_png

    try:
        save_png(image, out, request)
    except OSError as error:
        message = f"Could not save {printable(out)}: {os_error_message(error, named=False)}"
        kept = _keep_elsewhere(image, out, request)
        if kept is not None:
            message += f". The picture is kept as {printable(kept)}: move it from there"
        raise BadInput(message) from None


def _keep_elsewhere(image: Image.Image, out: Path, request: Any) -> Path | None:
    from t2ia_desktop.core.files.imageio import png_metadata

    try:
        handle, name = tempfile.mkstemp(prefix=f"t2ia-{out.stem[:40]}-", suffix=".png")
    except OSError:
        return None
    try:
        with os.fdopen(handle, "wb") as stream:
            image.save(stream, "PNG", pnginfo=png_metadata(request) if request else None)
    except (OSError, ValueError):
        Path(name).unlink(missing_ok=True)
        return None
    return Path(name)


def checked_control(image: object, condition: Any) -> Image.Image:
    """A detector's result, refused with the condition's name and source unless it is an
    8-bit picture (a float depth map, say, is not a control image)."""
    source = getattr(condition, "source", "built-in")
    label = getattr(condition, "label", None) or getattr(condition, "id", "?")
    todo = "please report it" if source == "built-in" else f"update or turn off {source}"
    if not isinstance(image, Image.Image):
        raise BadInput(f"The {label} detector returned a {type(image).__name__}, not a "
                       f"picture; {todo}")
    if image.mode not in PICTURE_MODES:
        kind = {"F": "a float", "I": "a 32-bit"}.get(image.mode, "a 16-bit")
        if image.mode not in ("F", "I") and not image.mode.startswith("I;16"):
            kind = "an unusable"
        raise BadInput(f"The {label} detector returned {kind} picture (mode {image.mode}), "
                       f"not an 8-bit L or RGB one; {todo}")
    return image
