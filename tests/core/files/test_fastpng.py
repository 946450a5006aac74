"""The layer PNG codec: ordinary PNGs any reader opens, decoded exactly, damage never raises."""

from __future__ import annotations

import io
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from t2ia_desktop.core.files import fastpng
from t2ia_desktop.core.files.fastpng import adler32_combine, decode_rgba, encode_rgba, png_size


@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (37, 300), (700, 123)])
def test_pillow_reads_what_we_write_and_we_read_it_back(shape, monkeypatch):
    monkeypatch.setattr(fastpng, "BAND_BYTES", 3000)  # several bands even for small images
    pixels = np.random.default_rng(0).integers(0, 256, (*shape, 4), dtype=np.uint8)
    data = encode_rgba(pixels)
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == "RGBA"
        assert np.array_equal(np.array(image), pixels)
    assert np.array_equal(decode_rgba(data), pixels)
    assert png_size(data) == (shape[1], shape[0])
    with ThreadPoolExecutor(2) as pool:
        assert encode_rgba(pixels, executor=pool) == data


@pytest.mark.parametrize("mode", ["RGBA", "RGB", "L", "P"])
def test_other_writers_files_decode_exactly_or_fall_back(mode):
    rgba = np.random.default_rng(1).integers(0, 256, (31, 29, 4), dtype=np.uint8)
    rgba[:10] = (30, 60, 90, 255)  # a flat band so Pillow picks several filter types
    stream = io.BytesIO()
    Image.fromarray(rgba, "RGBA").convert(mode).save(stream, "PNG")
    decoded = decode_rgba(stream.getvalue())
    if mode != "RGBA":
        assert decoded is None
    elif decoded is not None:
        assert np.array_equal(decoded, rgba)


def test_sub_filter_rows_are_undone():
    pixels = np.random.default_rng(2).integers(0, 256, (6, 9, 4), dtype=np.uint8)
    flat = pixels.reshape(6, -1)
    rows = np.zeros((6, 1 + flat.shape[1]), np.uint8)
    rows[:, 0] = [0, 1, 2, 1, 1, 2]
    for y, kind in enumerate(rows[:, 0]):
        line = flat[y].astype(np.int16)
        if kind == 1:
            line[4:] -= flat[y, :-4]
        elif kind == 2 and y:
            line -= flat[y - 1]
        rows[y, 1:] = line.astype(np.uint8)
    ihdr = fastpng.struct.pack(">IIBBBBB", 9, 6, 8, 6, 0, 0, 0)
    data = b"".join((fastpng.SIGNATURE, fastpng._chunk(b"IHDR", ihdr),
                     fastpng._chunk(b"IDAT", zlib.compress(rows.tobytes())),
                     fastpng._chunk(b"IEND", b"")))
    assert np.array_equal(decode_rgba(data), pixels)


def test_adler32_combine_matches_zlib():
    rng = np.random.default_rng(3)
    for length_a, length_b in [(0, 5), (5, 0), (1, 1), (70000, 3), (100, 200_000)]:
        a = rng.integers(0, 256, length_a, dtype=np.uint8).tobytes()
        b = rng.integers(0, 256, length_b, dtype=np.uint8).tobytes()
        assert adler32_combine(zlib.adler32(a), zlib.adler32(b), len(b)) == zlib.adler32(a + b)


def test_damaged_or_truncated_data_gives_none_never_an_error():
    pixels = np.random.default_rng(4).integers(0, 256, (20, 20, 4), dtype=np.uint8)
    data = encode_rgba(pixels)
    rng = np.random.default_rng(5)
    for _ in range(300):
        damaged = bytearray(data)
        if rng.random() < 0.5:
            damaged = damaged[:rng.integers(0, len(data))]
        else:
            for _ in range(rng.integers(1, 4)):
                damaged[rng.integers(0, len(damaged))] ^= 1 << rng.integers(0, 8)
        result = decode_rgba(bytes(damaged))
        assert result is None or result.shape == (20, 20, 4)


def test_a_header_that_lies_about_the_size_yields_none_not_a_huge_array():
    data = bytearray(encode_rgba(np.zeros((4, 4, 4), np.uint8)))
    data[16:24] = fastpng.struct.pack(">II", 50_000, 50_000)  # breaks the CRC too
    assert decode_rgba(bytes(data)) is None
