"""Reading and writing images safely: clear errors, capped sizes, atomic writes, metadata."""

from __future__ import annotations

import json
import os
from pathlib import Path

from PIL import Image, PngImagePlugin, UnidentifiedImageError

from t2ia_desktop.core.conditions.a1111_units import units_text
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.files.atomic_file import atomic_write, write_target
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.core.pictures.photoshop import is_photoshop_file, open_psd, psd_picture

MAX_PIXELS = 16384 * 16384  # well above any canvas, well below a decompression bomb
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's own guard: the same limit, said in our words


def open_image(path: str | Path) -> Image.Image:
    """Open and fully decode an image, or raise BadInput saying why it cannot be used.

    A Photoshop file (``.psd``/``.psb``, found by its signature) gives the picture Photoshop
    shows, read by psd-tools (see :mod:`t2ia_desktop.core.pictures.photoshop`)."""
    file = Path(path)
    if file.is_dir():
        raise BadInput(f"{path} is a folder, not a picture")
    if not file.is_file():
        raise BadInput(f"{path}: no such file")
    if is_photoshop_file(file):
        psd = open_psd(file)
        _check_size(path, psd.width, psd.height)
        return psd_picture(psd, path)
    try:
        with Image.open(file) as image:
            _check_size(path, image.width, image.height)
            image.load()
            return image.copy()
    except BadInput:
        raise
    except Image.DecompressionBombError:
        raise BadInput(f"{path} is larger than the {MAX_PIXELS // 1_000_000} megapixel "
                       "limit") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise BadInput(f"{path} is not a readable image: {unreadable_reason(error)}") from None


def unreadable_reason(error: BaseException) -> str:
    """Why Pillow could not read a picture, in the artist's words with Pillow's reason kept."""
    reason = str(error).strip()
    if isinstance(error, UnidentifiedImageError):
        return "its format is not one this app reads, or it is not a picture"
    if "truncated" in reason or "broken data stream" in reason:
        return f"the file is damaged or incomplete ({reason}); save or download it again"
    if not reason:
        return f"Pillow gave no reason ({error.__class__.__name__})"
    return f"{reason}; save it again as PNG or JPEG"


def _check_size(path: str | Path, width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise BadInput(f"{path} is {width}×{height}, larger than the "
                       f"{MAX_PIXELS // 1_000_000} megapixel limit")


def check_output_path(path: str | Path, suffixes: tuple[str, ...] = (".png",)) -> Path:
    """``path`` if a picture can be written there, else a :class:`BadInput` saying why: the
    wrong kind of file, a folder in the way, a missing or read-only folder. A symbolic link
    is checked where it points (the file a save writes)."""
    out = Path(path)
    if out.suffix.lower() not in suffixes:
        raise BadInput(f"{path}: the output must be a {' or '.join(suffixes)} file")
    if out.is_dir():
        raise BadInput(f"{path} is a folder; name a {suffixes[0]} file in it, such as "
                       f"{out / ('picture' + suffixes[0])}")
    target = write_target(out)
    if target.exists() and not target.is_file():
        raise BadInput(f"{path} is not a regular file; choose a file to write")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.exists():
        raise BadInput(f"{path}: folder {folder} does not exist")
    if not folder.is_dir():
        raise BadInput(f"{path}: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK):
        raise BadInput(f"{path}: folder {folder} is not writable; choose another folder")
    return out


def png_metadata(request: GenerationRequest) -> PngImagePlugin.PngInfo:
    """The request as JSON (``t2ia``) and an A1111-style ``parameters`` text (its controls as
    sd-webui-controlnet's ``ControlNet N`` entries)."""
    info = PngImagePlugin.PngInfo()
    info.add_text("t2ia", json.dumps(request.to_metadata(), sort_keys=True))  # ASCII
    lines = [request.prompt]
    if request.negative_prompt:
        lines.append(f"Negative prompt: {request.negative_prompt}")
    lines.append(
        f"Steps: {request.steps}, Sampler: {request.scheduler}, CFG scale: "
        f"{request.guidance_scale:g}, Seed: {request.seed}, "
        f"Size: {request.width}x{request.height}, "
        f"Model: {request.model}"
        + (f", {units_text(request.controls, request.family)}" if request.controls else "")
    )
    # A path with bytes that are not UTF-8 (a model folder's name) must not lose the picture.
    text = "\n".join(lines).encode("utf-8", "backslashreplace").decode("utf-8")
    info.add_text("parameters", text)
    return info


def save_png(image: Image.Image, path: str | Path,
             request: GenerationRequest | None = None) -> None:
    """Write atomically: a temporary file in the same folder, flushed, then renamed."""
    with atomic_write(path, suffix=".tmp") as stream:
        image.save(stream, "PNG", pnginfo=png_metadata(request) if request else None)
