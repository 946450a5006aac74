"""Project files: exact round trips, atomic saves, and a clear BadInput for every bad file."""

from __future__ import annotations

import errno
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.core.errors import BadInput, T2IAError
from t2ia_desktop.core.files import archive as archive_module
from t2ia_desktop.core.files.archive import MAX_LAYERS, ArchiveWriter
from t2ia_desktop.core.files.project import FORMAT_VERSION, load_project, save_project
from tests.builders import H, W, four_layers, noise, state

SETTINGS = {"model": "demo", "steps": 12, "seed": 7, "prompt": "a boat", "nested": {"a": [1, 2]}}


@pytest.fixture
def saved(tmp_path) -> Path:
    path = tmp_path / "art.t2ia"
    save_project(four_layers(), path, SETTINGS)
    return path


def entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def rewrite(path: Path, changes: dict[str, bytes | None], out: Path | None = None) -> Path:
    """A copy of the archive with some entries replaced, added (in order) or removed (None)."""
    contents = entries(path)
    for name, data in changes.items():
        if data is None:
            contents.pop(name, None)
        else:
            contents[name] = data
    out = out or path.with_name("changed.t2ia")
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in contents.items():
            zf.writestr(name, data)
    return out


def with_manifest(path: Path, edit) -> Path:
    manifest = json.loads(entries(path)["manifest.json"])
    edit(manifest)
    return rewrite(path, {"manifest.json": json.dumps(manifest).encode()})


def refused(path: Path, *words: str) -> str:
    with pytest.raises(BadInput) as caught:
        load_project(path)
    message = str(caught.value)
    assert str(path) in message
    for word in words:
        assert word in message, message
    return message


# -- round trips ------------------------------------------------------------------------------

def test_a_four_layer_project_reopens_exactly(saved):
    original = four_layers()
    document, settings = load_project(saved)
    assert state(document) == state(original)
    assert settings == SETTINGS
    result = document.layers[-1]
    assert [c.image.mode for c in result.request.controls] == ["L", "RGB"]
    assert document.layers[1].condition.params == {
        "detect_resolution": 512, "bg_th": 0.1, "mode": "midas", "invert": False}


def test_saving_what_was_loaded_gives_the_same_document(saved, tmp_path):
    document, settings = load_project(saved)
    again = tmp_path / "again.t2ia"
    save_project(document, again, settings)
    assert state(load_project(again)[0]) == state(document)


def test_empty_document_and_no_settings(tmp_path):
    path = tmp_path / "empty.t2ia"
    save_project(Document(17, 9), path)
    document, settings = load_project(path)
    assert (document.width, document.height, document.layers, settings) == (17, 9, [], {})
    assert document.active is None


def test_the_archive_layout(saved):
    with zipfile.ZipFile(saved) as zf:
        infos = zf.infolist()
        assert infos[0].filename == "mimetype"
        assert zf.read("mimetype") == b"application/x-t2ia-project"
        manifest = json.loads(zf.read("manifest.json"))
        for layer in manifest["layers"]:
            with Image.open(io.BytesIO(zf.read(layer["image"]))) as image:
                assert (image.format, image.mode, image.size) == ("PNG", "RGBA", (W, H))
    assert manifest["format"] == "t2ia-project"
    assert manifest["format_version"] == FORMAT_VERSION
    assert [layer["kind"] for layer in manifest["layers"]] == [
        "sketch", "condition", "paint", "result"]
    controls = manifest["layers"][3]["request"]["controls"]
    assert [c["image"] for c in controls] == ["controls/0003-0.png", "controls/0003-1.png"]


def test_a_layer_png_from_another_writer_is_read_too(saved):
    layer = noise(9)
    stream = io.BytesIO()
    Image.fromarray(layer, "RGBA").save(stream, "PNG", compress_level=9)  # adaptive filters
    document, _ = load_project(rewrite(saved, {"layers/0002.png": stream.getvalue()}))
    assert np.array_equal(document.layers[2].pixels, layer)


def test_loaded_pixels_are_writable_arrays_of_their_own(saved):
    document, _ = load_project(saved)
    for layer in document.layers:
        assert layer.pixels.flags.writeable
        assert layer.pixels.flags.c_contiguous
        layer.pixels[0, 0] = 1


# -- atomic saves -----------------------------------------------------------------------------

def test_a_failed_save_leaves_the_old_file_and_no_temporary(saved, monkeypatch):
    before = saved.read_bytes()
    calls = []

    def full_disk(self, name, data, compress=False):
        calls.append(name)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, name, data, compress)

    original = ArchiveWriter.add
    monkeypatch.setattr(ArchiveWriter, "add", full_disk)
    with pytest.raises(BadInput, match="No space left on device") as caught:
        save_project(Document.with_sketch_layer(8, 8), saved)
    assert str(saved) in str(caught.value)
    assert saved.read_bytes() == before
    assert os.listdir(saved.parent) == [saved.name]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions")
def test_a_read_only_folder_is_a_clear_error(saved):
    before = saved.read_bytes()
    saved.parent.chmod(0o555)
    try:
        with pytest.raises(BadInput, match="Permission denied"):
            save_project(four_layers(), saved)
    finally:
        saved.parent.chmod(0o755)
    assert saved.read_bytes() == before
    assert os.listdir(saved.parent) == [saved.name]


def test_a_folder_that_refuses_new_files_is_a_clear_error(saved, monkeypatch):
    before = saved.read_bytes()

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)  # what a read-only folder does as root too
    with pytest.raises(BadInput, match="Permission denied"):
        save_project(four_layers(), saved)
    assert saved.read_bytes() == before


def test_a_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(BadInput, match="No such file"):
        save_project(four_layers(), tmp_path / "gone" / "art.t2ia")
    assert os.listdir(tmp_path) == []


def test_settings_that_are_not_json_fail_before_anything_is_written(tmp_path):
    with pytest.raises(T2IAError, match="not storable"):
        save_project(four_layers(), tmp_path / "art.t2ia", {"when": object()})
    assert os.listdir(tmp_path) == []


def test_saving_keeps_an_existing_files_permissions(saved):
    saved.chmod(0o640)
    save_project(four_layers(), saved)
    assert saved.stat().st_mode & 0o777 == 0o640


# -- bad input --------------------------------------------------------------------------------

def test_a_missing_file(tmp_path):
    refused(tmp_path / "none.t2ia", "no such file")


def test_not_a_zip(tmp_path):
    path = tmp_path / "notes.t2ia"
    path.write_text("just some text")
    refused(path, "not a t2ia project", "not a readable zip")


def test_a_truncated_zip(saved):
    data = saved.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 30):
        saved.write_bytes(data[:cut])
        refused(saved)


def test_no_manifest(saved):
    refused(rewrite(saved, {"manifest.json": None}), "no manifest.json")


def test_manifest_not_json(saved):
    refused(rewrite(saved, {"manifest.json": b"{\"format\": "}), "not valid JSON")
    refused(rewrite(saved, {"manifest.json": b"\xff\xfe"}), "not UTF-8")
    refused(rewrite(saved, {"manifest.json": b"[" * 100_000}), "nested too deeply")


def test_manifest_of_another_format(saved):
    refused(with_manifest(saved, lambda m: m.update(format="krita")), "not a t2ia project")
    refused(rewrite(saved, {"manifest.json": b"[1, 2]"}), "not a t2ia project")


def test_a_newer_format_version_says_to_update_the_app(saved):
    message = refused(with_manifest(saved, lambda m: m.update(format_version=2,
                                                               app_version="9.0")),
                      "made by a newer version of t2ia desktop", "update the app")
    assert "9.0" in message


def test_an_unknown_layer_kind(saved):
    def edit(manifest):
        manifest["layers"][1]["kind"] = "vector"

    refused(with_manifest(saved, edit), "unknown kind 'vector'")


@pytest.mark.parametrize(("key", "value", "words"), [
    ("opacity", "half", ["opacity", "not a float"]),
    ("opacity", 1.5, ["opacity of 1.5"]),
    ("visible", "yes", ["visible"]),
    ("name", None, ["name"]),
    ("id", "", ["id"]),
    ("condition", [1], ["condition", "not an object"]),
    ("request", {"prompt": "no model"}, ["request", "no model"]),
])
def test_wrong_values_in_a_layer(saved, key, value, words):
    def edit(manifest):
        manifest["layers"][1][key] = value

    refused(with_manifest(saved, edit), *words)


def test_wrong_values_in_conditions_and_requests(saved):
    def scale(manifest):
        manifest["layers"][1]["condition"]["conditioning_scale"] = "strong"

    def seed(manifest):
        manifest["layers"][3]["request"]["seed"] = 1.5

    def controls(manifest):
        manifest["layers"][3]["request"]["controls"] = {"a": 1}

    refused(with_manifest(saved, scale), "conditioning_scale")
    refused(with_manifest(saved, seed), "seed", "not a int")
    refused(with_manifest(saved, controls), "controls", "not a list")


def test_duplicate_layer_ids(saved):
    def edit(manifest):
        manifest["layers"][2]["id"] = manifest["layers"][0]["id"]

    refused(with_manifest(saved, edit), "share the id")


def test_a_missing_or_misnamed_layer_image(saved):
    refused(rewrite(saved, {"layers/0001.png": None}), "layers/0001.png", "missing")

    def edit(manifest):
        manifest["layers"][0]["image"] = "layers/nothing.png"

    refused(with_manifest(saved, edit), "missing")


def test_a_layer_image_of_the_wrong_size(saved):
    stream = io.BytesIO()
    Image.new("RGBA", (W + 1, H)).save(stream, "PNG")
    refused(rewrite(saved, {"layers/0000.png": stream.getvalue()}), f"{W + 1}×{H}",
            f"not {W}×{H}")


def test_a_layer_image_that_is_not_a_png(saved):
    stream = io.BytesIO()
    Image.new("RGB", (W, H)).save(stream, "JPEG")
    refused(rewrite(saved, {"layers/0000.png": stream.getvalue()}), "not a PNG")
    refused(rewrite(saved, {"layers/0000.png": b"\x89PNG\r\n\x1a\n" + b"\0" * 40}))


def test_a_damaged_png_inside_a_sound_zip(saved):
    data = bytearray(entries(saved)["layers/0001.png"])
    data[len(data) // 2] ^= 0xFF
    refused(rewrite(saved, {"layers/0001.png": bytes(data)}), "layers/0001.png")


@pytest.mark.parametrize("name", ["../evil.png", "/etc/evil.png", "a/../../evil.png",
                                  "C:/evil.png", "a\\..\\evil.png", "./x"])
def test_entries_that_escape_the_folder_are_refused(saved, name):
    refused(rewrite(saved, {name: b"boo"}), "outside its folder", "refused")


def test_a_manifest_pointing_outside_the_file_is_refused(saved):
    def edit(manifest):
        manifest["layers"][0]["image"] = "../layers/0000.png"

    refused(with_manifest(saved, edit), "outside the file")


def test_a_huge_canvas_is_refused_before_decoding(saved):
    refused(with_manifest(saved, lambda m: m.update(width=16384, height=16384)), "megapixel")
    refused(with_manifest(saved, lambda m: m.update(width=100_000)), "width")
    refused(with_manifest(saved, lambda m: m.update(height=True)), "height")


def test_too_many_layers_and_too_many_pixels_are_refused(saved):
    def many(manifest):
        manifest["layers"] = manifest["layers"] * (MAX_LAYERS // 4 + 1)

    refused(with_manifest(saved, many), "more than the 1000 allowed")

    def big(manifest):
        manifest.update(width=8192, height=8192)
        manifest["layers"] = manifest["layers"] * 5  # 20 × 64 Mpx > 1 Gpx

    refused(with_manifest(saved, big), "too many to open safely")


def test_a_png_bomb_is_refused_from_its_header(saved):
    bomb = io.BytesIO()
    Image.new("L", (9000, 9000)).save(bomb, "PNG")  # ~80 kB that would decode to 81 Mpx
    refused(rewrite(saved, {"controls/0003-0.png": bomb.getvalue()}), "megapixel limit")


def test_a_zip_bomb_manifest_is_refused(saved):
    manifest = entries(saved)["manifest.json"]
    padded = manifest.rstrip()[:-1] + b"," + b'"pad": "' + b" " * (17 << 20) + b'"}'
    refused(rewrite(saved, {"manifest.json": padded}), "more than the")


def test_the_total_pixel_cap_counts_every_image(saved, monkeypatch):
    monkeypatch.setattr(archive_module, "MAX_TOTAL_PIXELS", 4 * W * H + 10)
    refused(saved, "megapixels in all")  # 4 layers fit, the 2 control images do not


def test_settings_that_are_not_an_object(saved):
    refused(with_manifest(saved, lambda m: m.update(settings=[1])), "settings")


def test_an_unknown_active_id_falls_back_to_the_default(saved):
    document, _ = load_project(with_manifest(saved, lambda m: m.update(active="nope")))
    assert document.active is document.layers[2]  # the top paint layer, as add_layer picks


def test_fields_a_later_version_may_add_are_ignored_and_missing_ones_take_defaults(saved):
    def edit(manifest):
        manifest["layers"][3]["request"]["future"] = 1
        del manifest["layers"][3]["request"]["scheduler"]
        del manifest["layers"][1]["condition"]["error"]

    document, _ = load_project(with_manifest(saved, edit))
    assert document.layers[3].request.scheduler == "euler-a"
    assert document.layers[1].condition.error == ""


def test_a_layer_added_by_hand_to_a_loaded_document_must_fit(saved):
    document, _ = load_project(saved)
    with pytest.raises(ValueError, match="layer is .* document is"):
        document.add_layer(Layer("x", "paint", np.zeros((2, 2, 4), np.uint8)))
