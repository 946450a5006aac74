"""Photoshop files in the window: Import photo, Import photo (keep size) and paste of a copied
file all bring the picture Photoshop shows as one photo layer (psd-tools' render as reference);
Import PSD layers keeps the layers and says what it could not keep."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtWidgets import QApplication

from t2ia_desktop.core.files.photo import fit_to_canvas, place_at_size
from tests.core.pictures.psd_files import artist_file, as_photoshop_saves, layered
from tests.ui.conftest import DOC_HEIGHT, DOC_WIDTH


@pytest.mark.parametrize("how", ["import", "keep size", "paste"])
def test_a_photoshop_file_comes_as_one_picture_whichever_way_it_is_brought(qtbot, window,
                                                                           tmp_path, how):
    path = layered(tmp_path / "paint.psd")
    truth = Image.fromarray(as_photoshop_saves(path), "RGBA")
    actions = window.layer_actions
    actions.choose_file = lambda title, filters: str(path)
    window.choose_photo = lambda: str(path)
    before = len(window.document.layers)
    if how == "import":
        window.import_action.trigger()
    elif how == "keep size":
        actions.import_keep_action.trigger()
    else:
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(path))])
        QApplication.clipboard().setMimeData(mime)
        actions.paste()
    assert len(window.document.layers) == before + 1
    [layer] = [layer for layer in window.document.layers if layer.name == "paint"]
    assert layer.kind == "photo"
    place = place_at_size if how == "keep size" else fit_to_canvas
    expected = place(truth, DOC_WIDTH, DOC_HEIGHT).astype(np.int32)
    got = layer.pixels.astype(np.int32)
    seen = np.abs(got[..., :3] * got[..., 3:] - expected[..., :3] * expected[..., 3:]) / 255
    assert seen.max() <= 3
    assert np.abs(got[..., 3] - expected[..., 3]).max() <= 2


def test_import_psd_layers_says_what_it_merged_and_left_out(qtbot, window, tmp_path):
    path = artist_file(tmp_path / "art.psd")
    window.layer_actions.choose_file = lambda title, filters: str(path)
    window.layer_actions.import_psd_action.trigger()
    message = window.statusBar().currentMessage()
    assert message.startswith("Imported 4 layers from art.psd; ")
    assert "clipping masks merged: Clip into Masked" in message
    assert "layer masks applied to “Masked”" in message
