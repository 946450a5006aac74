"""The selection in project files: written only when something is selected, reopened exactly,
absent in older files (nothing selected), bad entries refused with a reason."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from PIL import Image

from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.document.selection import adopt_selection, document_selection, polygon_mask
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.files.project import FORMAT_VERSION, load_project, save_project
from t2ia_desktop.core.files.selection_file import SELECTION_ENTRY


def lasso_document() -> tuple[Document, np.ndarray]:
    document = Document.with_sketch_layer(96, 64)
    mask = polygon_mask(96, 64, [(3, 5), (90, 2), (70, 60), (40, 20), (10, 58)])
    adopt_selection(document, mask)
    return document, mask


def test_a_selection_reopens_exactly_and_the_format_version_stays(tmp_path):
    document, mask = lasso_document()
    path = tmp_path / "lasso.t2ia"
    save_project(document, path)
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["selection"] == SELECTION_ENTRY
        assert manifest["format_version"] == FORMAT_VERSION == 1  # older apps ignore it
        with archive.open(SELECTION_ENTRY) as entry, Image.open(entry) as image:
            assert image.mode == "L"
            assert image.size == (96, 64)
    opened, _settings = load_project(path)
    selection = document_selection(opened)
    assert np.array_equal(selection.mask, mask)
    assert selection.bounds() == (
        document_selection(document).bounds())


def test_nothing_selected_writes_nothing_and_older_files_open_unselected(tmp_path):
    document = Document.with_sketch_layer(32, 32)
    path = tmp_path / "plain.t2ia"
    save_project(document, path)
    with zipfile.ZipFile(path) as archive:
        assert SELECTION_ENTRY not in archive.namelist()
        assert "selection" not in json.loads(archive.read("manifest.json"))
    assert document_selection(load_project(path)[0]).is_empty()


def rewrite(path, manifest_change=None, entry: bytes | None = None):
    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(entries["manifest.json"])
    if manifest_change:
        manifest.update(manifest_change)
    entries["manifest.json"] = json.dumps(manifest).encode()
    if entry is not None:
        entries[SELECTION_ENTRY] = entry
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)


def png(size: tuple[int, int]) -> bytes:
    import io
    buffer = io.BytesIO()
    Image.new("L", size, 255).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(("change", "entry", "reason"), [
    ({"selection": 7}, None, "not given as the name of an image entry"),
    ({"selection": "nowhere.png"}, None, r"selection mask \(nowhere.png\) is missing"),
    (None, png((10, 10)), "selection mask is 10×10, not 96×64 like the canvas"),
    (None, b"not a png", "not a PNG image"),
])
def test_a_bad_selection_entry_is_refused_with_a_reason(tmp_path, change, entry, reason):
    document, _mask = lasso_document()
    path = tmp_path / "bad.t2ia"
    save_project(document, path)
    rewrite(path, change, entry)
    with pytest.raises(BadInput, match=reason):
        load_project(path)
