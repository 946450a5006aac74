"""OpenRaster composite ops of the spec read and written, those the canvas cannot draw named,
and MyPaint's background tile repeated over the canvas."""

from __future__ import annotations

import numpy as np

from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.core.files.ora import export_ora, read_ora
from tests.core.files.test_ora import png, write_ora

W, H = 20, 12
DRAWN = {"svg:src-over": "normal", "svg:multiply": "multiply", "svg:screen": "screen",
         "svg:overlay": "overlay", "svg:darken": "darken", "svg:lighten": "lighten",
         "svg:color-dodge": "color-dodge", "svg:color-burn": "color-burn",
         "svg:hard-light": "hard-light", "svg:soft-light": "soft-light",
         "svg:difference": "difference", "svg:exclusion": "exclusion", "svg:plus": "plus"}
"""The OpenRaster spec's ops and the blend mode each must come in as."""
NOT_DRAWN = ("svg:hue", "svg:saturation", "svg:color", "svg:luminosity")


def test_every_op_of_the_spec_is_read_and_the_undrawable_are_named_once(tmp_path):
    ops = list(DRAWN) + list(NOT_DRAWN)
    pixels = np.full((H, W, 4), 128, np.uint8)
    stack = "".join(f'<layer name="{op}" src="data/{index}.png" composite-op="{op}"/>'
                    for index, op in enumerate(reversed(ops)))
    files = {f"data/{index}.png": png(pixels) for index in range(len(ops))}
    document, notes = read_ora(write_ora(tmp_path / "ops.ora", stack, files, size=(W, H)))
    modes = {layer.name: layer.blend_mode for layer in document.layers}
    for op, mode in DRAWN.items():
        assert modes[op] == mode
    for op in NOT_DRAWN:
        assert modes[op] == "normal"
    assert len(notes) == len(NOT_DRAWN)
    assert any(note.startswith("blend mode hue read as normal") and "“svg:hue”" in note
               for note in notes)


def test_export_writes_each_mode_as_its_op(tmp_path):
    document = Document(W, H)
    for mode in DRAWN.values():
        document.add_layer(Layer(mode, "paint", np.zeros((H, W, 4), np.uint8),
                                 blend_mode=mode))
    export_ora(document, tmp_path / "out.ora")
    back, notes = read_ora(tmp_path / "out.ora")
    assert notes == []
    assert {layer.name: layer.blend_mode for layer in back.layers if layer.name in
            DRAWN.values()} == {mode: mode for mode in DRAWN.values()}


def test_a_mypaint_background_tile_is_repeated(tmp_path):
    tile = np.zeros((8, 8, 4), np.uint8)
    tile[..., 3] = 255
    tile[:4, :4, :3] = (200, 180, 150)  # a checker that shows the repeat
    stack = ('<layer name="paint" src="data/paint.png"/>'
             '<layer name="background" src="data/background.png" '
             'background_tile="data/background_tile.png"/>')
    files = {"data/paint.png": png(np.zeros((H, W, 4), np.uint8)),
             "data/background.png": png(tile), "data/background_tile.png": png(tile)}
    document, _ = read_ora(write_ora(tmp_path / "mypaint.ora", stack, files, size=(W, H)))
    background = next(layer for layer in document.layers if layer.name == "background")
    expected = np.tile(tile, (2, 3, 1))[:H, :W]
    assert np.array_equal(background.pixels, expected)
    assert background.kind == "photo"
