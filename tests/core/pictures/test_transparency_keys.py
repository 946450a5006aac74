"""A PNG's transparent colour key (tRNS) survives every conversion to RGBA: 16-bit grey and RGB
pictures, for photos and for OpenRaster layers (reference: the key in the file's own bytes)."""

from __future__ import annotations

import struct
import zipfile
import zlib

import numpy as np

from t2ia_desktop.core.files.ora import import_ora
from t2ia_desktop.core.files.photo import load_photo


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(
        ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(samples: np.ndarray, colour_type: int, key: tuple[int, ...]) -> bytes:
    """A 16-bit PNG of ``samples`` ((h, w) grey or (h, w, 3) RGB) with colour key ``key``."""
    height, width = samples.shape[:2]
    rows = samples.astype(">u2").reshape(height, -1)
    raw = b"".join(b"\0" + row.tobytes() for row in rows)
    return (b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0))
            + _chunk(b"tRNS", struct.pack(f">{len(key)}H", *key))
            + _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b""))


GREY = np.array([[0, 1000, 65535, 1000], [1000, 1001, 30000, 7]], np.uint16)


def test_a_16_bit_grey_png_keeps_its_transparent_colour(tmp_path):
    (tmp_path / "grey16.png").write_bytes(png(GREY, 0, (1000,)))
    alpha = np.asarray(load_photo(tmp_path / "grey16.png"))[..., 3]
    assert np.array_equal(alpha == 0, GREY == 1000)  # 1001 stays: only the exact key is clear


def test_a_16_bit_rgb_png_keeps_its_transparent_colour(tmp_path):
    rgb = np.zeros((2, 3, 3), np.uint16)
    rgb[0, 1] = rgb[1, 2] = (1000, 2000, 3000)
    rgb[1, 0] = (40000, 2000, 3000)
    (tmp_path / "rgb16.png").write_bytes(png(rgb, 2, (1000, 2000, 3000)))
    alpha = np.asarray(load_photo(tmp_path / "rgb16.png"))[..., 3]
    assert np.array_equal(alpha == 0, np.all(rgb == (1000, 2000, 3000), axis=-1))


def test_an_openraster_layer_in_16_bit_grey_keeps_its_transparent_colour(tmp_path):
    path = tmp_path / "grey.ora"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "image/openraster", compress_type=zipfile.ZIP_STORED)
        archive.writestr("stack.xml", '<?xml version="1.0"?><image w="4" h="2"><stack>'
                                      '<layer name="Grey" src="data/grey.png"/></stack></image>')
        archive.writestr("data/grey.png", png(GREY, 0, (1000,)))
    [layer] = import_ora(path).layers
    assert np.array_equal(layer.pixels[..., 3] == 0, GREY == 1000)
