"""Small ICC profiles written byte by byte (ICC.1:2001 v2 matrix/TRC): an Adobe-RGB-like wide
gamut RGB and a gamma-1.8 grey, so tests need no profile files from the system."""

from __future__ import annotations

import struct

D50 = (0.9642, 1.0, 0.8249)
WIDE_RGB_PRIMARIES = ((0.60974, 0.31111, 0.01947), (0.20528, 0.62567, 0.06087),
                      (0.14919, 0.06322, 0.74457))
"""Adobe RGB (1998)'s primaries adapted to D50, as its profile stores them."""


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(xyz) -> bytes:
    return b"XYZ \0\0\0\0" + b"".join(_s15(v) for v in xyz)


def _curve(gamma: float) -> bytes:
    return b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"


def _desc(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\0"
    return (b"desc\0\0\0\0" + struct.pack(">I", len(ascii_text)) + ascii_text
            + struct.pack(">II", 0, 0) + struct.pack(">HB", 0, 0) + b"\0" * 67)


def _profile(space: bytes, tags: list[tuple[bytes, bytes]]) -> bytes:
    table_size = 4 + 12 * len(tags)
    offset = 128 + table_size
    table, data = struct.pack(">I", len(tags)), b""
    for signature, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = 128 + table_size + len(data)
    header = (struct.pack(">I", size) + b"\0\0\0\0" + struct.pack(">I", 0x02100000) + b"mntr"
              + space + b"XYZ " + b"\0" * 12 + b"acsp" + b"\0" * 24 + struct.pack(">I", 0)
              + b"".join(_s15(v) for v in D50) + b"\0" * 48)
    assert len(header) == 128
    return header + table + data


def wide_rgb_profile() -> bytes:
    tags = [(b"desc", _desc("Wide RGB (test)")), (b"wtpt", _xyz(D50))]
    for name, primary in zip((b"rXYZ", b"gXYZ", b"bXYZ"), WIDE_RGB_PRIMARIES, strict=True):
        tags.append((name, _xyz(primary)))
    tags += [(name, _curve(563 / 256)) for name in (b"rTRC", b"gTRC", b"bTRC")]
    tags.append((b"cprt", b"text\0\0\0\0no copyright\0"))
    return _profile(b"RGB ", tags)


def grey_profile(gamma: float = 1.8) -> bytes:
    return _profile(b"GRAY", [(b"desc", _desc("Grey 1.8 (test)")), (b"wtpt", _xyz(D50)),
                              (b"kTRC", _curve(gamma)),
                              (b"cprt", b"text\0\0\0\0no copyright\0")])
