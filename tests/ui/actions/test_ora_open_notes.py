"""Opening an OpenRaster file whose layers use ops the canvas cannot draw says which, by name;
the drawable ops come in as blend modes the canvas shows."""

from __future__ import annotations

import numpy as np

from tests.core.files.test_ora import png, write_ora


def test_opening_names_the_ops_read_as_normal(qtbot, window, tmp_path):
    pixels = np.full((12, 20, 4), 200, np.uint8)
    stack = ('<layer name="Tint" src="data/a.png" composite-op="svg:hue"/>'
             '<layer name="Glow" src="data/b.png" composite-op="svg:color-dodge"/>')
    path = write_ora(tmp_path / "mypaint.ora", stack, {"data/a.png": png(pixels),
                                                       "data/b.png": png(pixels)},
                     size=(20, 12))
    window.files.confirm_discard = lambda: True
    assert window.files.open_path(path)
    modes = {layer.name: layer.blend_mode for layer in window.document.layers}
    assert modes == {"Glow": "color-dodge", "Tint": "normal"}
    assert "Blend mode hue read as normal (not drawn here) on “Tint”" in (
        window.statusBar().currentMessage())
