"""Pictures that cannot be used are refused with the reason: Pillow's own words kept (a
truncated file, an unsupported variant), the one megapixel limit in the app's words."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.files.imageio import MAX_PIXELS
from t2ia_desktop.core.files.photo import load_photo


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(
        ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def test_a_truncated_jpeg_says_it_is_damaged_with_pillows_reason(tmp_path):
    data = io.BytesIO()
    Image.effect_noise((64, 64), 60).convert("RGB").save(data, "JPEG")
    (tmp_path / "cut.jpg").write_bytes(data.getvalue()[: len(data.getvalue()) // 2])
    with pytest.raises(BadInput, match=r"damaged or incomplete \(image file is truncated"):
        load_photo(tmp_path / "cut.jpg")


def test_an_unsupported_bmp_variant_keeps_pillows_reason(tmp_path):
    # a 16-bit BITMAPV3 BMP with bit fields Pillow does not handle (R 4, G 4, B 8 bits)
    width = height = 2
    row = b"\0" * 4
    header_size = 56
    offset = 14 + header_size
    dib = struct.pack("<IiiHHIIiiII", header_size, width, height, 1, 16, 3, len(row) * height,
                      2835, 2835, 0, 0) + struct.pack("<IIII", 0xF000, 0x0F00, 0x00FF, 0)
    data = b"BM" + struct.pack("<IHHI", offset + len(row) * height, 0, 0, offset) + dib
    (tmp_path / "odd.bmp").write_bytes(data + row * height)
    with pytest.raises(BadInput) as refused:
        load_photo(tmp_path / "odd.bmp")
    assert "bitfields" in str(refused.value).lower()
    assert "OSError" not in str(refused.value)


def test_a_picture_over_the_limit_says_the_megapixel_limit_not_pillows_class(tmp_path):
    side = int((2 * MAX_PIXELS) ** 0.5) + 16  # beyond even Pillow's decompression-bomb error
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    chunks = [png_chunk(b"IHDR", header), png_chunk(b"IDAT", zlib.compress(b"\0")),
              png_chunk(b"IEND", b"")]
    (tmp_path / "huge.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"".join(chunks))
    with pytest.raises(BadInput, match=f"{MAX_PIXELS // 1_000_000} megapixel limit"):
        load_photo(tmp_path / "huge.png")
    assert Image.MAX_IMAGE_PIXELS == MAX_PIXELS  # Pillow's own guard is the same limit
