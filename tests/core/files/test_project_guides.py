"""Projects keep which guide reads each condition layer (and each control of a result's
request); files written before guides existed open with adapters."""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.files.project import load_project, save_project
from tests.builders import four_layers


def guided(path: Path) -> Path:
    document = four_layers()
    document.layers[1].condition.guide = "controlnet"
    result = document.layers[-1]
    sketch, depth = result.request.controls
    result.request = replace(result.request, controls=(
        replace(sketch, guide="union"),
        replace(depth, guide="controlnet", controlnet="diffusers/controlnet-depth-sdxl-1.0")))
    save_project(document, path, {})
    return path


def manifest_edited(path: Path, edit) -> Path:
    with zipfile.ZipFile(path) as zf:
        contents = {name: zf.read(name) for name in zf.namelist()}
    manifest = json.loads(contents["manifest.json"])
    edit(manifest)
    contents["manifest.json"] = json.dumps(manifest).encode()
    out = path.with_name("edited.t2ia")
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in contents.items():
            zf.writestr(name, data)
    return out


def test_guides_of_layers_and_of_a_results_controls_reopen(tmp_path):
    document, _settings = load_project(guided(tmp_path / "art.t2ia"))
    assert document.layers[1].condition.guide == "controlnet"
    controls = document.layers[-1].request.controls
    assert [(c.guide, c.controlnet) for c in controls] == [
        ("union", None), ("controlnet", "diffusers/controlnet-depth-sdxl-1.0")]


def test_a_project_from_before_guides_opens_with_adapters(tmp_path):
    def forget_guides(manifest):
        for layer in manifest["layers"]:
            if layer["condition"]:
                del layer["condition"]["guide"]
            for control in (layer["request"] or {}).get("controls", []):
                del control["guide"], control["controlnet"]

    old = manifest_edited(guided(tmp_path / "art.t2ia"), forget_guides)
    document, _settings = load_project(old)
    assert document.layers[1].condition.guide == "adapter"
    assert {c.guide for c in document.layers[-1].request.controls} == {"adapter"}


@pytest.mark.parametrize("where", ["condition", "control"])
def test_an_unknown_guide_is_refused_naming_the_known_ones(tmp_path, where):
    def edit(manifest):
        if where == "condition":
            manifest["layers"][1]["condition"]["guide"] = "lora"
        else:
            manifest["layers"][-1]["request"]["controls"][0]["guide"] = "lora"

    bad = manifest_edited(guided(tmp_path / "art.t2ia"), edit)
    with pytest.raises(BadInput, match="unknown 'lora' .known: adapter, controlnet, union"):
        load_project(bad)
