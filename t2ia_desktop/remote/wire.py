"""What travels between a client and the server: a request as JSON plus PNG images (never
pickle), and the events of a job.

A job over the WebSocket ``/v1/jobs``::

    client → {"type": "job", "request": {...}, "images": ["image-0", ...], "previews": bool}
    client → one binary message per name in "images": that image's PNG
    server → {"type": "replica", "replica": name, "device": "CPU" | "CUDA: …"}
    server → {"type": "phase", "phase": ..., "fraction": x | null}   (core/generation/phases.py)
    server → {"type": "step", "step": i, "total": n}
    server → {"type": "preview", "step": i} then a binary message: the preview's PNG
    server → {"type": "retry", "message": ...}   (a replica ended mid-job: once, elsewhere)
    server → {"type": "result"} then a binary message: the picture's PNG
    server → {"type": "error", "status": 4xx | 500 | 503, "kind": ..., "message": one line}
    server → {"type": "cancelled"}
    client → {"type": "cancel"}   at any time: the job stops within one step

The request's JSON has every :class:`GenerationRequest` field; ``controls`` is a list of every
:class:`ControlSpec` field with ``image`` the name of its PNG; ``init_image`` / ``mask_image``
are ``{"image": name}``. Reading goes through the project reader's typed checks, then
:meth:`GenerationRequest.validate` — the checks the command line and the app make.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import fields
from typing import Any

from PIL import Image

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.files.archive import MAX_IMAGE_PIXELS, MAX_SIDE
from t2ia_desktop.core.files.project import _jsonable, _ManifestReader
from t2ia_desktop.core.generation.request import ControlSpec, GenerationRequest

PROTOCOL_VERSION = 1
MAX_IMAGES = 64
"""Images one job may carry (controls, init image, mask)."""
DEFAULT_MAX_UPLOAD = 64 * 1024 * 1024
"""Bytes of PNG one job may upload unless the server says otherwise (``--max-upload-mb``)."""
IMAGE_FIELDS = ("init_image", "mask_image")


def png_bytes(image: Image.Image) -> bytes:
    stream = io.BytesIO()
    image.save(stream, "PNG", compress_level=1)  # lossless; speed over size on a LAN
    return stream.getvalue()


def encode_request(request: GenerationRequest) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    """The request's JSON and its images as ``(name, PNG)`` in the order they are sent."""
    images: list[tuple[str, bytes]] = []
    names: dict[int, str] = {}  # one upload for an image several controls share

    def entry(image: Image.Image) -> str:
        if id(image) not in names:
            names[id(image)] = f"image-{len(images)}"
            images.append((names[id(image)], png_bytes(image)))
        return names[id(image)]

    data: dict[str, Any] = {}
    for field in fields(GenerationRequest):
        value = getattr(request, field.name)
        if field.name == "controls":
            data["controls"] = [
                {**{f.name: _jsonable(getattr(control, f.name))
                    for f in fields(ControlSpec) if f.name != "image"},
                 "image": entry(control.image)}
                for control in value
            ]
        elif field.name in IMAGE_FIELDS:
            if value is not None:
                data[field.name] = {"image": entry(value)}
        else:
            data[field.name] = _jsonable(value)
    return data, images


class _UploadedImages:
    """What the project reader needs of an archive (``bad`` and ``image``), for a job's
    uploaded PNGs."""

    def __init__(self, images: dict[str, bytes]) -> None:
        self._bytes = images
        self._read: dict[str, Image.Image] = {}

    def bad(self, reason: str) -> BadInput:
        return BadInput(f"malformed request: {reason}")

    def image(self, name: str, what: str) -> Image.Image:
        if name not in self._bytes:
            raise self.bad(f"the {what} names {name[:40]!r}, which was not uploaded")
        if name not in self._read:
            self._read[name] = decode_png(self._bytes[name], what)
        return self._read[name]


def decode_png(data: bytes, what: str) -> Image.Image:
    """A PNG's picture, refused with one line when it is not a PNG, damaged or too large."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise BadInput(f"malformed request: the {what} is not a PNG")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
                width, height = image.size
                if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE) or (
                        width * height > MAX_IMAGE_PIXELS):
                    raise BadInput(f"the {what} is {width}×{height}, too large")
                image.load()
                return image.copy()
    except BadInput:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning) as error:
        raise BadInput(f"malformed request: the {what} is damaged ({error})") from None


def decode_request(data: Any, images: dict[str, bytes]) -> GenerationRequest:
    """The request ``encode_request`` made, every value of its declared type, validated as
    the command line validates; a :class:`BadInput` with one line otherwise."""
    source = _UploadedImages(images)
    if not isinstance(data, dict):
        raise source.bad("the request is not an object")
    known = {f.name for f in fields(GenerationRequest)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise source.bad(f"unknown field {unknown[0][:40]!r}")
    plain = {name: value for name, value in data.items() if name not in IMAGE_FIELDS}
    try:
        request = _ManifestReader(source).request(plain, "the request")
    except TypeError as error:  # e.g. a control with a field no ControlSpec has
        raise source.bad(str(error)[:120]) from None
    extra = {}
    for name in IMAGE_FIELDS:
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, dict) or not isinstance(value.get("image"), str):
            raise source.bad(f"{name} does not name an image")
        extra[name] = source.image(value["image"], name.replace("_", " "))
    if extra:
        request = request.with_changes(**extra)
    return request.validate()
