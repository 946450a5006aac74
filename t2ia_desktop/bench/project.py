"""Save and open a 16-layer 4096×4096 project; print the figures (never asserted).

    .venv/bin/t2ia-desktop bench --project [--project-size 4096] [--layers 16] [--repeats 2]

Two documents: *artwork*, a plausible mix (a photo, four results, three condition maps, a
sketch, six paint layers with strokes, a mask), and *noise*, every layer opaque noise on a
gradient, the worst case for PNG. For each: the first save (nothing encoded yet), a save after
a brush-sized edit of one detailed layer (the others are copied from the encoded-layer cache),
opening (the app's way, keeping the read bytes for the next save) and saving again right after
opening. Also timed: one detailed layer through Pillow's own PNG encoder at zlib level 1 and at
its default level 6, for comparison with the layer codec.
"""

from __future__ import annotations

import io
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from t2ia_desktop.core.document.composite import flatten
from t2ia_desktop.core.document.document import ConditionSettings, Document, Layer
from t2ia_desktop.core.files import archive
from t2ia_desktop.core.files.layer_cache import EncodedLayerCache
from t2ia_desktop.core.files.ora import export_ora
from t2ia_desktop.core.files.project import load_project, save_project


def _gradient(size: int, rng: np.random.Generator, noise: int) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    phase = rng.random(3) * 6
    rgb = np.stack([np.sin(4 * x + phase[0]) + np.cos(3 * y), np.sin(5 * y + phase[1]),
                    np.cos(3 * (x + y) + phase[2])], -1)
    rgb = ((rgb - rgb.min()) / np.ptp(rgb) * 255).astype(np.int16)
    rgb += rng.integers(-noise, noise + 1, rgb.shape, dtype=np.int16)
    out = np.empty((size, size, 4), np.uint8)
    out[..., :3] = np.clip(rgb, 0, 255)
    out[..., 3] = 255
    return out


def _strokes(size: int, rng: np.random.Generator, count: int, colour=None) -> np.ndarray:
    out = np.zeros((size, size, 4), np.uint8)
    for _ in range(count):
        x, y = rng.integers(0, size, 2)
        w, h = rng.integers(8, size // 4, 2)
        out[y:y + h // 8 + 4, x:x + w] = colour or (*rng.integers(0, 256, 3), 255)
    return out


def artwork(size: int, layers: int) -> Document:
    rng = np.random.default_rng(0)
    doc = Document(size, size)
    kinds = (["photo"] + ["result"] * 4 + ["condition"] * 3 + ["sketch"] + ["paint"] * 6
             + ["mask"])
    for index, kind in enumerate((kinds * (layers // len(kinds) + 1))[:layers]):
        if kind in ("photo", "result"):
            pixels = _gradient(size, rng, noise=12)
        elif kind == "condition":
            pixels = _gradient(size, rng, noise=0)  # depth-like: smooth
        elif kind == "sketch":
            pixels = _strokes(size, rng, 400, (0, 0, 0, 255))
        elif kind == "mask":
            pixels = _strokes(size, rng, 20, (255, 255, 255, 255))
        else:
            pixels = _strokes(size, rng, 200)
        condition = ConditionSettings("depth") if kind in ("condition", "sketch") else None
        doc.add_layer(Layer(f"{kind} {index}", kind, pixels, condition=condition))
    return doc


def noise(size: int, layers: int) -> Document:
    rng = np.random.default_rng(1)
    doc = Document(size, size)
    for index in range(layers):
        doc.add_layer(Layer(f"noise {index}", "paint", _gradient(size, rng, noise=40)))
    return doc


def _time(action, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _edit_one_layer(doc: Document, step: int) -> None:
    """A stroke-sized change (256×32 pixels) on the second layer (a detailed one)."""
    layer = doc.layers[min(1, len(doc.layers) - 1)]
    layer.pixels[64:96, 64:320] = (step % 256, 40, 200, 255)
    doc.notify_pixels_changed(layer, (64, 64, 256, 32))


def _resave_opened(doc: Document, path: Path, again: Path, cache: EncodedLayerCache) -> float:
    """Seconds to save a just-opened project (checked equal to ``doc``) to ``again``."""
    loaded, _ = load_project(path, cache=cache)
    assert all(np.array_equal(a.pixels, b.pixels)
               for a, b in zip(doc.layers, loaded.layers, strict=True))
    return _time(lambda: save_project(loaded, again, cache=cache), 1)


def measure(doc: Document, folder: Path, repeats: int) -> dict:
    path = folder / "bench.t2ia"
    cache = EncodedLayerCache()

    def first_save() -> None:
        cache.clear()
        save_project(doc, path, cache=cache)

    save_s = _time(first_save, repeats)
    size_mb = path.stat().st_size / 1e6
    steps = iter(range(1, 1000))
    edited_s = _time(lambda: (_edit_one_layer(doc, next(steps)),
                              save_project(doc, path, cache=cache)), repeats)
    open_cache = EncodedLayerCache()

    def open_() -> None:
        open_cache.clear()
        load_project(path, cache=open_cache)

    load_s = _time(open_, repeats)
    resave_s = _resave_opened(doc, path, folder / "again.t2ia", open_cache)
    open_cache.clear()
    flatten_s = _time(lambda: flatten(doc), 1)
    ora_s = _time(lambda: export_ora(doc, folder / "bench.ora"), 1)
    return {"save_s": round(save_s, 2), "save_after_one_layer_edit_s": round(edited_s, 2),
            "open_s": round(load_s, 2), "save_after_open_s": round(resave_s, 2),
            "file_mb": round(size_mb, 1), "flatten_s": round(flatten_s, 2),
            "export_ora_s": round(ora_s, 2)}


def pillow_reference(size: int) -> dict:
    pixels = _gradient(size, np.random.default_rng(2), noise=12)
    image = Image.fromarray(pixels)
    figures = {}
    for level in (1, 6):
        stream = io.BytesIO()
        start = time.perf_counter()
        image.save(stream, "PNG", compress_level=level)
        figures[f"pillow_level{level}_encode_s"] = round(time.perf_counter() - start, 2)
        figures[f"pillow_level{level}_mb"] = round(len(stream.getvalue()) / 1e6, 1)
    start = time.perf_counter()
    data = archive.encode_png(pixels)
    figures["layer_codec_encode_s_one_thread"] = round(time.perf_counter() - start, 2)
    figures["layer_codec_mb"] = round(len(data) / 1e6, 1)
    return figures


def project_figures(size: int = 4096, layers: int = 16, repeats: int = 2) -> dict:
    figures: dict = {"size": size, "layers": layers, "cpus": os.cpu_count(),
                     "png_zlib_level": archive.PNG_LEVEL}
    with tempfile.TemporaryDirectory() as folder:
        for name, build in (("artwork", artwork), ("noise", noise)):
            doc = build(size, layers)
            figures[name] = measure(doc, Path(folder), repeats)
            del doc
    figures["one_detailed_layer"] = pillow_reference(size)
    return figures
