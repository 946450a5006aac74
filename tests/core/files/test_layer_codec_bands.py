"""The layer codec's shortcuts: repeated-row bands are not compressed, noise bands are stored,
this writer's files decode band by band, and files of any other layout still decode exactly
(so older projects open). Every file stays an ordinary PNG."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib

import numpy as np
import pytest
from PIL import Image

from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.core.files import fastpng
from t2ia_desktop.core.files.project import FORMAT_VERSION, load_project, save_project

WIDTH, HEIGHT = 64, 200


def mixed_layer() -> np.ndarray:
    """Blank rows, a flat colour, noise and a smooth gradient with strokes, in bands."""
    rng = np.random.default_rng(11)
    pixels = np.zeros((HEIGHT, WIDTH, 4), np.uint8)
    pixels[40:80] = (30, 90, 200, 255)
    pixels[80:130] = rng.integers(0, 256, (50, WIDTH, 4), dtype=np.uint8)
    pixels[130:, :, 0] = np.arange(WIDTH, dtype=np.uint8)[None, :] * 3
    pixels[130:, :, 3] = 255
    pixels[150:154, 5:40] = (0, 0, 0, 255)
    return pixels


@pytest.fixture
def small_bands(monkeypatch):
    monkeypatch.setattr(fastpng, "BAND_BYTES", 20 * (WIDTH * 4 + 1))  # 20 rows a band


def idat_chunks(data: bytes) -> list[bytes]:
    chunks, position = [], 8
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        if kind == b"IDAT":
            chunks.append(data[position + 8:position + 8 + length])
        position += 12 + length
    return chunks


def png(width: int, height: int, idat: list[bytes]) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"".join((fastpng.SIGNATURE, fastpng._chunk(b"IHDR", header),
                     *(fastpng._chunk(b"IDAT", chunk) for chunk in idat),
                     fastpng._chunk(b"IEND", b"")))


def test_mixed_layer_round_trips_through_pillow_and_both_decoders(small_bands, monkeypatch):
    pixels = mixed_layer()
    data = fastpng.encode_rgba(pixels)
    with Image.open(io.BytesIO(data)) as image:
        assert np.array_equal(np.array(image), pixels)
    band_path = fastpng.decode_rgba(data)
    monkeypatch.setattr(fastpng, "_decode_bands", lambda idat, out: False)
    assert np.array_equal(fastpng.decode_rgba(data), pixels)  # the streaming decoder
    assert np.array_equal(band_path, pixels)


def test_own_files_decode_band_by_band(small_bands, monkeypatch):
    pixels = mixed_layer()
    data = fastpng.encode_rgba(pixels)

    def no_stream(idat, out):
        raise AssertionError("the band decoder should have read this file")

    monkeypatch.setattr(fastpng, "_decode_stream", no_stream)
    assert np.array_equal(fastpng.decode_rgba(data), pixels)


def test_repeated_rows_are_not_compressed_and_noise_is_stored(small_bands):
    stride = WIDTH * 4 + 1
    blank = np.zeros((HEIGHT, WIDTH, 4), np.uint8)
    before = fastpng._repeated_rows.cache_info()
    data = fastpng.encode_rgba(blank)
    after = fastpng._repeated_rows.cache_info()
    assert after.hits + after.misses - before.hits - before.misses == HEIGHT // 20
    assert len(data) < 1000
    assert np.array_equal(fastpng.decode_rgba(data), blank)
    noisy = np.random.default_rng(3).integers(0, 256, (HEIGHT, WIDTH, 4), dtype=np.uint8)
    stored = fastpng.encode_rgba(noisy)
    assert len(stored) > HEIGHT * stride  # stored deflate blocks: the bytes as they are
    assert np.array_equal(fastpng.decode_rgba(stored), noisy)
    smooth = np.zeros((HEIGHT, WIDTH, 4), np.uint8)
    smooth[..., 1] = np.arange(HEIGHT, dtype=np.uint8)[:, None]
    smooth[..., 0] = np.arange(WIDTH, dtype=np.uint8)[None, :]
    assert len(fastpng.encode_rgba(smooth)) < HEIGHT * stride / 4  # still compressed


@pytest.mark.parametrize("piece", [997, 8192])
def test_one_stream_split_anywhere_decodes_exactly(piece):
    """libpng and older writers: one zlib stream cut into IDAT chunks at any byte."""
    pixels = np.random.default_rng(5).integers(0, 60, (120, 90, 4), dtype=np.uint8)
    flat = pixels.reshape(120, -1)
    rows = np.zeros((120, flat.shape[1] + 1), np.uint8)
    rows[:, 0] = 2
    rows[0, 1:] = flat[0]
    rows[1:, 1:] = flat[1:] - flat[:-1]
    stream = zlib.compress(rows.tobytes(), 6)
    # the header alone first, the Adler-32 alone last: the band decoder's layout, nearly
    middle = stream[2:-4]
    idat = [stream[:2], *(middle[i:i + piece] for i in range(0, len(middle), piece)),
            stream[-4:]]
    assert np.array_equal(fastpng.decode_rgba(png(90, 120, idat)), pixels)


def test_damaged_band_files_give_none_or_the_right_shape(small_bands):
    data = fastpng.encode_rgba(mixed_layer())
    rng = np.random.default_rng(8)
    for _ in range(200):
        damaged = bytearray(data)
        position = int(rng.integers(33, len(data)))
        damaged[position] ^= 1 << int(rng.integers(0, 8))
        # keep the chunk CRCs right so the damage reaches the inflaters
        fixed = _recrc(bytes(damaged))
        result = fastpng.decode_rgba(fixed)
        assert result is None or result.shape == (HEIGHT, WIDTH, 4)


def _recrc(data: bytes) -> bytes:
    out, position = [data[:8]], 8
    while position + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if len(body) != length:
            break
        out.append(fastpng._chunk(kind, body))
        position += 12 + length
    return b"".join(out)


def test_a_version_1_project_from_an_older_writer_opens(tmp_path):
    """Layers written as one zlib stream (older versions, other tools) in a format-1 file."""
    document = Document(WIDTH, HEIGHT)
    pixels = mixed_layer()
    document.add_layer(Layer("Old paint", "paint", pixels.copy()))
    document.add_layer(Layer("Blank", "paint", np.zeros_like(pixels)))
    path = tmp_path / "new.t2ia"
    save_project(document, path)
    with zipfile.ZipFile(path) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(contents["manifest.json"])
    assert manifest["format_version"] == FORMAT_VERSION == 1
    for name, layer in zip(("layers/0000.png", "layers/0001.png"), document.layers, strict=True):
        flat = layer.pixels.reshape(HEIGHT, -1)
        rows = np.zeros((HEIGHT, flat.shape[1] + 1), np.uint8)
        rows[:, 1:] = flat  # filter None on every row
        contents[name] = png(WIDTH, HEIGHT, [zlib.compress(rows.tobytes(), 9)])
    old = tmp_path / "old.t2ia"
    with zipfile.ZipFile(old, "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    loaded, _ = load_project(old)
    assert [layer.name for layer in loaded.layers] == ["Old paint", "Blank"]
    assert np.array_equal(loaded.layers[0].pixels, pixels)
    assert not loaded.layers[1].pixels.any()


def test_a_project_of_blank_flat_and_noise_layers_round_trips(tmp_path, small_bands):
    document = Document(WIDTH, HEIGHT)
    flat = np.empty((HEIGHT, WIDTH, 4), np.uint8)
    flat[...] = (200, 100, 50, 255)
    rng = np.random.default_rng(2)
    for name, pixels in (("Blank", np.zeros_like(flat)), ("Flat", flat),
                         ("Noise", rng.integers(0, 256, flat.shape, dtype=np.uint8)),
                         ("Mixed", mixed_layer())):
        document.add_layer(Layer(name, "paint", pixels))
    path = tmp_path / "art.t2ia"
    save_project(document, path)
    loaded, _ = load_project(path)
    for original, reopened in zip(document.layers, loaded.layers, strict=True):
        assert np.array_equal(original.pixels, reopened.pixels), original.name
