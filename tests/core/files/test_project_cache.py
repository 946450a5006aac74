"""Saving re-encodes only changed layers: every pixel edit invalidates a layer's cached PNG,
and an unchanged layer's bytes are copied as they are."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from t2ia_desktop.core.document.brush import BrushTip, Dab, StrokePainter
from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.core.document.fill import flood_fill
from t2ia_desktop.core.files.layer_cache import EncodedLayerCache
from t2ia_desktop.core.files.project import load_project, save_project
from t2ia_desktop.core.undo.commands import PixelEdit, PixelRecorder, ResizeCanvas
from t2ia_desktop.core.undo.stack import UndoStack
from tests.builders import H, W, noise


@pytest.fixture
def cache() -> EncodedLayerCache:
    return EncodedLayerCache()


def three_layers() -> Document:
    doc = Document(W, H)
    doc.add_layer(Layer("Photo", "photo", noise(1, opaque=True)))
    doc.add_layer(Layer("Paint", "paint", noise(2)))
    doc.add_layer(Layer("Sketch", "sketch", np.zeros((H, W, 4), np.uint8)))
    return doc


def layer_entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()
                if name.startswith("layers/")}


def saved_and_reopened(doc: Document, path: Path, cache: EncodedLayerCache) -> Document:
    save_project(doc, path, cache=cache)
    loaded, _ = load_project(path, cache=None)
    for original, reopened in zip(doc.layers, loaded.layers, strict=True):
        assert np.array_equal(original.pixels, reopened.pixels), original.name
    return loaded


def test_an_unchanged_layer_is_copied_byte_for_byte(tmp_path, cache, monkeypatch):
    doc = three_layers()
    first, second = tmp_path / "a.t2ia", tmp_path / "b.t2ia"
    save_project(doc, first, cache=cache)
    encoded = []
    monkeypatch.setattr("t2ia_desktop.core.files.project.start_encode_png",
                        lambda pixels, pool: encoded.append(pixels) or (lambda: [b"never"]))
    save_project(doc, second, cache=cache)
    assert encoded == []
    assert layer_entries(second) == layer_entries(first)
    assert cache.hits == 3


def test_opening_keeps_the_read_bytes_and_saving_copies_them(tmp_path, cache):
    path, again = tmp_path / "a.t2ia", tmp_path / "b.t2ia"
    save_project(three_layers(), path, cache=None)
    loaded, _ = load_project(path, cache=cache)
    assert cache.nbytes == sum(len(data) for data in layer_entries(path).values())
    save_project(loaded, again, cache=cache)
    assert cache.hits == 3
    assert layer_entries(again) == layer_entries(path)


def test_a_brush_stroke_is_saved(tmp_path, cache):
    doc = three_layers()
    save_project(doc, tmp_path / "a.t2ia", cache=cache)
    stack, layer = UndoStack(doc), doc.layers[2]
    painter = StrokePainter(layer.pixels, BrushTip(6.0, (200, 10, 10)))
    recorder = PixelRecorder(layer)
    start, end = Dab(4, 5), Dab(30, 20)
    rect = painter.segment_rect(start, end)
    recorder.before_paint(rect)
    painter.paint(start, end)
    doc.notify_pixels_changed(layer, rect)
    stack.push(recorder.finish("Brush stroke"))
    assert layer.pixels[..., 3].any()
    saved_and_reopened(doc, tmp_path / "b.t2ia", cache)
    stack.undo()
    assert not saved_and_reopened(doc, tmp_path / "c.t2ia", cache).layers[2].pixels.any()
    stack.redo()
    assert saved_and_reopened(doc, tmp_path / "d.t2ia", cache).layers[2].pixels[..., 3].any()


def test_a_fill_and_its_undo_are_saved(tmp_path, cache):
    doc = three_layers()
    layer = doc.layers[2]
    save_project(doc, tmp_path / "a.t2ia", cache=cache)
    stack = UndoStack(doc)
    with stack.edit_pixels(layer, (0, 0, W, H), "Fill"):
        flood_fill(layer.pixels, 3, 3, (0, 90, 200), 0)
        doc.notify_pixels_changed(layer, (0, 0, W, H))
    assert saved_and_reopened(doc, tmp_path / "b.t2ia", cache).layers[2].pixels[3, 3, 2] == 200
    stack.undo()
    assert not saved_and_reopened(doc, tmp_path / "c.t2ia", cache).layers[2].pixels.any()


def test_a_transform_and_a_merge_are_saved(tmp_path, cache):
    doc = three_layers()
    paint, photo = doc.layers[1], doc.layers[0]
    save_project(doc, tmp_path / "a.t2ia", cache=cache)
    stack = UndoStack(doc)
    original = paint.pixels.copy()  # a transform moves the layer's content by 5 pixels
    paint.pixels[...] = 0
    paint.pixels[:, 5:] = original[:, :-5]
    doc.notify_pixels_changed(paint, (0, 0, W, H))
    stack.push(PixelEdit.capture(paint, (0, 0, W, H), original, "Move Paint"))
    saved_and_reopened(doc, tmp_path / "b.t2ia", cache)
    with stack.edit_pixels(photo, (0, 0, W, H), "Merge into Photo"):  # as merge down does
        photo.pixels[...] = 255 - photo.pixels
    doc.notify_pixels_changed(photo, (0, 0, W, H))
    saved_and_reopened(doc, tmp_path / "c.t2ia", cache)
    stack.undo()
    stack.undo()
    reopened = saved_and_reopened(doc, tmp_path / "d.t2ia", cache)
    assert np.array_equal(reopened.layers[1].pixels, original)


def test_clearing_resizing_and_new_pixel_arrays_are_saved(tmp_path, cache):
    doc = three_layers()
    save_project(doc, tmp_path / "a.t2ia", cache=cache)
    doc.clear_layer(doc.layers[1])
    assert not saved_and_reopened(doc, tmp_path / "b.t2ia", cache).layers[1].pixels.any()
    doc.layers[2].pixels = noise(9)
    saved_and_reopened(doc, tmp_path / "c.t2ia", cache)
    stack = UndoStack(doc)
    stack.push(ResizeCanvas(W + 8, H, (4, 0)))
    saved_and_reopened(doc, tmp_path / "d.t2ia", cache)
    stack.undo()
    saved_and_reopened(doc, tmp_path / "e.t2ia", cache)


def test_the_same_file_opened_twice_and_edited_apart_saves_each_its_own(tmp_path, cache):
    """Equal layer ids in two documents never share cached bytes."""
    path = tmp_path / "a.t2ia"
    save_project(three_layers(), path, cache=None)
    one, _ = load_project(path, cache=cache)
    two, _ = load_project(path, cache=cache)
    one.layers[1].pixels[0, 0] = (1, 2, 3, 4)
    one.notify_pixels_changed(one.layers[1], (0, 0, 1, 1))
    saved_and_reopened(one, tmp_path / "one.t2ia", cache)
    assert saved_and_reopened(two, tmp_path / "two.t2ia", cache).layers[1].pixels[0, 0, 0] != 1


def test_the_cache_stays_within_its_bound_and_keeps_one_revision_per_layer():
    cache = EncodedLayerCache(max_bytes=100)
    cache.put("a", 1, [b"x" * 40], (1, 1))
    cache.put("a", 2, [b"y" * 40], (1, 1))
    assert cache.get("a", 1, (1, 1)) is None
    assert cache.nbytes == 40
    cache.put("b", 3, [b"z" * 40], (1, 1))
    cache.put("c", 4, [b"w" * 40], (1, 1))  # the least recently used ("a") goes
    assert cache.get("a", 2, (1, 1)) is None
    assert cache.get("c", 4, (1, 1)).data() == b"w" * 40
    assert cache.nbytes == 80
    cache.put("d", 5, [b"v" * 101], (1, 1))  # larger than the whole cache: not kept
    assert cache.get("d", 5, (1, 1)) is None
    assert cache.get("c", 4, (2, 2)) is None  # another size: never a hit
