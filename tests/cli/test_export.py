"""``t2ia-desktop export``: a project flattened to PNG or converted to OpenRaster, no window."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from t2ia_desktop.core.document.composite import flatten
from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.files.ora import import_ora
from t2ia_desktop.core.files.project import save_project
from tests.builders import four_layers
from tests.cli.helpers import one_error_line, run_cli

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path) -> Path:
    path = tmp_path / "art.t2ia"
    save_project(four_layers(), path)
    return path


def test_png_is_the_flattened_picture_with_the_results_request(project, tmp_path):
    out = tmp_path / "flat.png"
    assert run_cli(["export", str(project), str(out)]) == 0
    doc = four_layers()
    with Image.open(out) as image:
        assert image.mode == "RGBA"
        assert np.array_equal(np.array(image), np.array(flatten(doc)))
        metadata = json.loads(image.text["t2ia"])
        assert "Seed: 4611686018427387907" in image.text["parameters"]
    assert metadata == doc.layers[-1].request.to_metadata()


def test_png_of_a_project_without_results_has_no_generation_metadata(tmp_path):
    project = tmp_path / "sketch.t2ia"
    save_project(Document.with_sketch_layer(16, 16), project)
    out = tmp_path / "flat.PNG"
    assert run_cli(["export", str(project), str(out)]) == 0
    with Image.open(out) as image:
        assert "t2ia" not in image.text
        assert image.size == (16, 16)


def test_ora_keeps_the_layers(project, tmp_path):
    out = tmp_path / "layers.ora"
    assert run_cli(["export", str(project), str(out)]) == 0
    back = import_ora(out)
    doc = four_layers()
    assert [lay.name for lay in back.layers] == [lay.name for lay in doc.layers]
    for mine, theirs in zip(doc.layers, back.layers, strict=True):
        assert np.array_equal(mine.pixels, theirs.pixels)


def bad_projects(tmp_path: Path, good: Path) -> dict[str, Path]:
    text = tmp_path / "text.t2ia"
    text.write_text("hello")
    truncated = tmp_path / "cut.t2ia"
    truncated.write_bytes(good.read_bytes()[:200])
    newer = tmp_path / "newer.t2ia"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(newer, "w") as out:
        for name in source.namelist():
            data = source.read(name)
            if name == "manifest.json":
                manifest = json.loads(data)
                manifest["format_version"] = 99
                data = json.dumps(manifest).encode()
            out.writestr(name, data)
    escape = tmp_path / "escape.t2ia"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(escape, "w") as out:
        for name in source.namelist():
            out.writestr(name, source.read(name))
        out.writestr("../../etc/passwd", "x")
    return {"missing": tmp_path / "none.t2ia", "text": text, "truncated": truncated,
            "newer": newer, "escape": escape}


@pytest.mark.parametrize(("case", "words"), [
    ("missing", "no such file"), ("text", "not a readable zip"), ("truncated", "zip"),
    ("newer", "update the app"), ("escape", "outside its folder"),
])
@pytest.mark.parametrize("suffix", [".png", ".ora"])
def test_a_bad_project_exits_2_with_one_line_and_writes_nothing(project, tmp_path, capsys,
                                                                case, words, suffix):
    out_folder = tmp_path / "out"
    out_folder.mkdir()
    bad = bad_projects(tmp_path, project)[case]
    assert run_cli(["export", str(bad), str(out_folder / f"x{suffix}")]) == 2
    assert words in one_error_line(capsys)
    assert os.listdir(out_folder) == []


def test_a_wrong_output_extension(project, tmp_path, capsys):
    assert run_cli(["export", str(project), str(tmp_path / "x.jpg")]) == 2
    assert ".png or .ora" in one_error_line(capsys)
    assert sorted(os.listdir(tmp_path)) == ["art.t2ia"]


def test_a_missing_output_folder(project, tmp_path, capsys):
    assert run_cli(["export", str(project), str(tmp_path / "no" / "x.png")]) == 2
    assert "does not exist" in one_error_line(capsys)


def test_missing_arguments_are_one_line_too(capsys):
    assert run_cli(["export", "only-one.t2ia"]) == 2
    assert "required" in one_error_line(capsys)


def test_an_existing_output_is_replaced_only_when_the_export_succeeds(project, tmp_path, capsys):
    out = tmp_path / "flat.png"
    out.write_bytes(b"previous")
    broken = tmp_path / "broken.t2ia"
    broken.write_bytes(b"PK\x03\x04broken")
    assert run_cli(["export", str(broken), str(out)]) == 2
    one_error_line(capsys)
    assert out.read_bytes() == b"previous"
    assert run_cli(["export", str(project), str(out)]) == 0
    assert out.read_bytes().startswith(b"\x89PNG")


def test_export_never_imports_torch(project, tmp_path):
    code = (
        "import sys; from t2ia_desktop.cli.main import main; "
        f"codes = [main(['export', {str(project)!r}, {str(tmp_path / 'a.png')!r}]), "
        f"main(['export', {str(project)!r}, {str(tmp_path / 'a.ora')!r}])]; "
        "print(codes, 'torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[0, 0] False"
