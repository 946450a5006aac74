"""In the window, Save after a stroke, an undo, a redo or a merge writes the new pixels (only
the changed layer is encoded again), and autosave reuses what Save encoded."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from t2ia_desktop.core.document.document import Layer
from t2ia_desktop.core.files.layer_cache import shared_cache
from t2ia_desktop.core.files.project import load_project, save_project
from t2ia_desktop.ui.window.autosave import copy_document
from t2ia_desktop.ui.window.main_window import MainWindow
from tests.builders import pixel_centre
from tests.ui.helpers import drag


def stroke(window: MainWindow, y: int) -> None:
    drag(window.canvas, [pixel_centre(window.canvas, x, y) for x in (40, 120, 200)])


def save_matches(window: MainWindow, path: Path) -> None:
    assert window.files.save_to(path)
    reopened, _ = load_project(path, cache=None)
    for layer, saved in zip(window.document.layers, reopened.layers, strict=True):
        assert np.array_equal(layer.pixels, saved.pixels), layer.name


def test_save_after_strokes_undo_redo_and_merge_writes_the_new_pixels(window, tmp_path):
    path = tmp_path / "art.t2ia"
    sketch = window.document.layers[0]
    save_matches(window, path)
    revision = sketch.revision
    stroke(window, 60)
    assert sketch.revision != revision
    assert sketch.pixels[..., 3].any()
    save_matches(window, path)
    window.undo_actions.undo_step()
    assert not sketch.pixels.any()
    save_matches(window, path)
    window.undo_actions.redo_step()
    save_matches(window, path)

    paint = np.zeros_like(sketch.pixels)
    paint[10:30, 10:40] = (250, 20, 20, 255)
    upper = Layer("Paint", "paint", paint)
    window.edits.add_layer(upper, None, "Add Paint")
    save_matches(window, path)
    assert window.layer_actions.merge_down(upper) is sketch
    assert sketch.pixels[15, 15, 0] == 250
    save_matches(window, path)


def test_autosave_copies_keep_revisions_and_reuse_the_saved_bytes(window, tmp_path,
                                                                   monkeypatch):
    path = tmp_path / "art.t2ia"
    stroke(window, 60)
    assert window.files.save_to(path)
    copied = copy_document(window.document)
    assert [layer.revision for layer in copied.layers] == [
        layer.revision for layer in window.document.layers]
    encoded = []
    monkeypatch.setattr("t2ia_desktop.core.files.project.start_encode_png",
                        lambda pixels, pool: encoded.append(pixels) or (lambda: [b"never"]))
    save_project(copied, tmp_path / "autosave.t2ia", cache=shared_cache)
    assert encoded == []  # every layer came from what Save encoded
    reopened, _ = load_project(tmp_path / "autosave.t2ia", cache=None)
    assert np.array_equal(reopened.layers[0].pixels, window.document.layers[0].pixels)
