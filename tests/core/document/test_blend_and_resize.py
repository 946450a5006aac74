"""Blend modes in flatten, canvas resize, lock and blend-mode steps, and their file round trips."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from t2ia_desktop.core.document.composite import composite, flatten
from t2ia_desktop.core.document.document import BLEND_MODES, Document, Layer
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.files.ora import export_ora, import_ora
from t2ia_desktop.core.files.project import load_project, save_project
from t2ia_desktop.core.undo.commands import (
    AddLayer,
    ResizeCanvas,
    SetLayerProperty,
    anchor_offset,
)
from t2ia_desktop.core.undo.stack import UndoStack
from tests.builders import noise, state
from tests.core.undo.histories import SH, SW, apply, operations, small_document


def solid(rgba, width=4, height=3) -> np.ndarray:
    return np.tile(np.array(rgba, np.uint8), (height, width, 1))


@pytest.mark.parametrize(("mode", "expected"), [
    ("normal", (200, 100, 50)),
    ("multiply", (round(200 * 128 / 255), round(100 * 128 / 255), round(50 * 128 / 255))),
    ("screen", tuple(round(255 - (255 - c) * (255 - 128) / 255) for c in (200, 100, 50))),
    ("darken", (128, 100, 50)),
    ("lighten", (200, 128, 128)),
    # overlay on a backdrop of 128 (>= half): screen-like 1 - 2(1-b)(1-s)
    ("overlay", tuple(round(255 * (1 - 2 * (1 - 128 / 255) * (1 - c / 255)))
                      for c in (200, 100, 50))),
])
def test_blend_modes_on_an_opaque_backdrop_follow_the_w3c_formulas(mode, expected):
    doc = Document(4, 3)
    doc.add_layer(Layer("Grey", "paint", solid((128, 128, 128, 255))))
    doc.add_layer(Layer("Top", "paint", solid((200, 100, 50, 255)), blend_mode=mode))
    pixel = np.asarray(flatten(doc))[1, 2]
    assert np.abs(pixel[:3].astype(int) - expected).max() <= 1
    assert pixel[3] == 255


def test_a_blended_layer_over_transparency_is_just_the_layer():
    # where nothing lies below, every mode shows the layer itself (W3C source-over part)
    for mode in BLEND_MODES:
        out = composite([Layer("T", "paint", solid((10, 200, 30, 128)), blend_mode=mode)], 4, 3)
        assert np.abs(out[0, 0].astype(int) - (10, 200, 30, 128)).max() <= 1, mode


def test_an_opaque_normal_layer_hides_what_is_below_but_an_opaque_multiply_does_not():
    doc = Document(4, 3)
    doc.add_layer(Layer("Red", "paint", solid((255, 0, 0, 255))))
    top = doc.add_layer(Layer("Grey", "photo", solid((128, 128, 128, 255))))
    assert tuple(np.asarray(flatten(doc))[0, 0]) == (128, 128, 128, 255)
    top.blend_mode = "multiply"
    assert tuple(np.asarray(flatten(doc))[0, 0]) == (128, 0, 0, 255)


def test_an_unknown_blend_mode_is_refused():
    doc = Document(4, 3)
    layer = doc.add_layer(Layer("A", "paint", solid((1, 2, 3, 255))))
    with pytest.raises(ValueError, match="blend mode"):
        doc.set_blend_mode(layer, "dissolve")
    assert layer.blend_mode == "normal"


@pytest.mark.parametrize(("anchor", "offset"), [
    ((0, 0), (0, 0)), ((1, 1), (4, 3)), ((2, 2), (8, 6)), ((2, 0), (8, 0)),
])
def test_anchor_offsets_put_the_old_canvas_where_the_anchor_says(anchor, offset):
    assert anchor_offset((10, 8), (18, 14), anchor) == offset
    assert anchor_offset((18, 14), (10, 8), anchor) == (-offset[0], -offset[1])


def test_resize_pads_and_crops_every_layer_and_undo_restores_them():
    doc = small_document()
    before = state(doc)
    stack = UndoStack(doc)
    old = [layer.pixels.copy() for layer in doc.layers]
    stack.push(ResizeCanvas(SW + 6, SH - 4, anchor_offset((SW, SH), (SW + 6, SH - 4), (2, 1))))
    assert (doc.width, doc.height) == (SW + 6, SH - 4)
    for layer, pixels in zip(doc.layers, old, strict=True):
        assert layer.pixels.shape == (SH - 4, SW + 6, 4)
        assert not layer.pixels[:, :6].any()  # anchored right: new margin on the left
        assert np.array_equal(layer.pixels[:, 6:], pixels[2:SH - 2])  # centred vertically
    assert stack.labels == [f"Canvas size {SW + 6}×{SH - 4}"]
    stack.undo()
    assert state(doc) == before
    stack.redo()
    assert (doc.width, doc.height) == (SW + 6, SH - 4)


def test_project_and_ora_keep_blend_modes_and_the_lock(tmp_path):
    doc = Document(6, 5)
    doc.add_layer(Layer("Back", "photo", noise(1, 6, 5, opaque=True)))
    for number, mode in enumerate(BLEND_MODES[1:], 2):
        doc.add_layer(Layer(mode, "paint", noise(number, 6, 5), blend_mode=mode,
                            locked=number % 2 == 0))
    save_project(doc, tmp_path / "a.t2ia")
    loaded, _settings = load_project(tmp_path / "a.t2ia")
    assert state(loaded) == state(doc)
    export_ora(doc, tmp_path / "a.ora")
    ora = import_ora(tmp_path / "a.ora")
    assert [layer.blend_mode for layer in ora.layers] == list(BLEND_MODES)
    assert np.array_equal(np.asarray(flatten(ora)), np.asarray(flatten(doc)))


def test_a_project_with_an_unknown_blend_mode_says_so(tmp_path):
    import json
    import zipfile

    doc = Document(6, 5)
    doc.add_layer(Layer("Back", "photo", noise(1, 6, 5, opaque=True)))
    save_project(doc, tmp_path / "a.t2ia")
    with zipfile.ZipFile(tmp_path / "a.t2ia") as source:
        entries = {name: source.read(name) for name in source.namelist()}
    manifest = json.loads(entries["manifest.json"])
    manifest["layers"][0]["blend_mode"] = "vivid-light"
    entries["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(tmp_path / "b.t2ia", "w") as target:
        for name, data in entries.items():
            target.writestr(name, data)
    with pytest.raises(BadInput, match="unknown blend mode 'vivid-light'"):
        load_project(tmp_path / "b.t2ia")


# -- undo property test with the new steps ----------------------------------------------------

new_operations = st.one_of(
    operations,
    st.tuples(st.just("blend"), st.integers(0, 50), st.sampled_from(BLEND_MODES)),
    st.tuples(st.just("lock"), st.integers(0, 50), st.booleans()),
    st.tuples(st.just("resize"), st.integers(1, SW + 8), st.integers(1, SH + 8),
              st.integers(0, 2), st.integers(0, 2)),
)


def apply_new(stack: UndoStack, doc: Document, operation: tuple) -> None:
    kind = operation[0]
    if kind == "resize":
        _, width, height, column, row = operation
        stack.push(ResizeCanvas(width, height, anchor_offset((doc.width, doc.height),
                                                             (width, height), (column, row))))
    elif kind in ("blend", "lock") and doc.layers:
        layer = doc.layers[operation[1] % len(doc.layers)]
        name = "blend_mode" if kind == "blend" else "locked"
        stack.push(SetLayerProperty(layer, name, operation[2]))
    elif kind not in ("blend", "lock", "paint", "stroke", "add"):
        apply(stack, doc, operation)
    elif kind in ("paint", "stroke") and doc.layers:
        # the canvas may have been resized: paint within it
        layer = doc.layers[operation[1] % len(doc.layers)]
        with stack.edit_pixels(layer, (0, 0, doc.width, doc.height), "Fill"):
            layer.pixels[: doc.height // 2, : doc.width // 2] = operation[-1]
    elif kind == "add":
        stack.push(AddLayer(Layer(f"L{operation[2]}", "paint",
                                  noise(operation[2], doc.width, doc.height)),
                            operation[1] % (len(doc.layers) + 1)))


@settings(max_examples=80, deadline=None, derandomize=True)
@given(st.lists(new_operations, max_size=20))
def test_undo_all_with_resizes_blends_and_locks_restores_every_state(history):
    doc = small_document()
    stack = UndoStack(doc)
    states = [state(doc)]
    changes = []
    stack.changed.connect(lambda: changes.append(1))
    for operation in history:
        changes.clear()
        apply_new(stack, doc, operation)
        if operation[0] in ("undo", "redo", "seal") or not changes:
            assert state(doc) == states[stack.index]
        else:
            states = states[:stack.index] + [state(doc)]
    while stack.can_undo:
        stack.undo()
        assert state(doc) == states[stack.index]
    assert state(doc) == state(small_document())
    while stack.can_redo:
        stack.redo()
    assert state(doc) == states[-1]
