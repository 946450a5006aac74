"""The text a picture carries, wherever its writer put it, read without decoding the pixels.

- PNG: every ``tEXt``, ``zTXt`` and ``iTXt`` chunk, before or after the pixel data (A1111
  writes its ``parameters`` after it when it saves the picture first and the text second);
- JPEG and WebP: EXIF UserComment (where A1111, Forge and SD.Next put ``parameters``), and the
  JPEG comment and Pillow's other text fields.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from PIL import Image

MAX_TEXT_BYTES = 16 << 20
"""The most text read from one picture (a ComfyUI workflow is rarely over 1 MB)."""
USER_COMMENT = 0x9286
EXIF_IFD = 0x8769
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def picture_texts(path: str | Path, image: Image.Image) -> dict[str, str]:
    """Named texts of the picture at ``path`` (``image``: it opened with Pillow, header only).
    EXIF UserComment comes as ``parameters`` (A1111's name) when there is no such text."""
    texts = {key: value for key, value in image.info.items()
             if isinstance(key, str) and isinstance(value, str)}
    if image.format == "PNG":
        texts.update(png_texts(Path(path)))
    comment = image.info.get("comment")
    if isinstance(comment, bytes) and comment.strip():
        texts.setdefault("comment", comment.decode("utf-8", "replace"))
    user_comment = _user_comment(image)
    if user_comment:
        texts.setdefault("parameters", user_comment)
    return texts


def png_texts(path: Path) -> dict[str, str]:
    """Every text chunk of a PNG file, before or after its pixel data (later ones win)."""
    texts: dict[str, str] = {}
    total = 0
    with open(path, "rb") as stream:
        if stream.read(8) != PNG_SIGNATURE:
            return texts
        while header := stream.read(8):
            if len(header) < 8:
                break
            length, kind = struct.unpack(">I4s", header)
            if kind in (b"tEXt", b"zTXt", b"iTXt") and total + length <= MAX_TEXT_BYTES:
                data = stream.read(length)
                total += length
                found = _text_chunk(kind, data)
                if found is not None:
                    texts[found[0]] = found[1]
                stream.seek(4, 1)  # CRC
            elif kind == b"IEND":
                break
            else:
                stream.seek(length + 4, 1)
    return texts


def _text_chunk(kind: bytes, data: bytes) -> tuple[str, str] | None:
    """(keyword, text) of one PNG text chunk, or None when it is damaged."""
    keyword, _, rest = data.partition(b"\0")
    try:
        if kind == b"tEXt":
            text = rest.decode("latin-1")
        elif kind == b"zTXt":
            text = _inflate(rest[1:]).decode("latin-1")
        else:  # iTXt: compressed flag, method, language\0, translated keyword\0, text
            compressed = rest[:1] == b"\1"
            _language, _, rest = rest[2:].partition(b"\0")
            _translated, _, body = rest.partition(b"\0")
            text = (_inflate(body) if compressed else body).decode("utf-8")
    except (zlib.error, UnicodeDecodeError, ValueError):
        return None
    return keyword.decode("latin-1"), text


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    out = inflater.decompress(data, MAX_TEXT_BYTES)
    if inflater.unconsumed_tail:
        raise ValueError("text too long")
    return out


def _user_comment(image: Image.Image) -> str:
    """EXIF UserComment as text ('' when there is none): its 8-byte character code says how
    the rest is written (ASCII, UNICODE as UTF-16 of either byte order, or undefined)."""
    try:
        value = image.getexif().get_ifd(EXIF_IFD).get(USER_COMMENT)
    except Exception:  # EXIF Pillow cannot parse: no settings there
        return ""
    if isinstance(value, str):
        return value.strip("\0 ")
    if not isinstance(value, bytes) or len(value) <= 8:
        return ""
    code, body = value[:8], value[8:]
    if code.startswith(b"UNICODE"):
        if body[:2] in (b"\xfe\xff", b"\xff\xfe"):
            text = body.decode("utf-16", "replace")  # the byte order mark says which
        else:
            big_endian = len(body) > 1 and body[0] == 0 and body[1] != 0
            text = body.decode("utf-16-be" if big_endian else "utf-16-le", "replace")
    else:
        text = body.decode("utf-8", "replace")
    return text.strip("\0 ")
