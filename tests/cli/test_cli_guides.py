"""``generate --control CONDITION=IMAGE --guide GUIDE``: the guide of each control, a guide the
model's family lacks refused in one line before anything loads, and what the picture records."""

from __future__ import annotations

import json
import sys
import types

import pytest
from PIL import Image

from t2ia_desktop.cli.main import main
from tests.cli.helpers import generate_args, one_error_line, run_cli


@pytest.fixture
def painter(monkeypatch):
    """An engine module whose Engine records the request it is given and paints grey."""
    requests = []

    class Engine:
        def __init__(self, **_options):
            self.store = types.SimpleNamespace(offload=None)

        def generate(self, request, **_callbacks):
            requests.append(request)
            return Image.new("RGB", (request.width, request.height), "grey")

    module = types.ModuleType("t2ia_desktop.engine.generate")
    module.Engine = Engine
    monkeypatch.setitem(sys.modules, "t2ia_desktop.engine.generate", module)
    return requests


def test_each_control_gets_its_own_guide_and_the_picture_records_them(files, painter):
    status = main(generate_args(
        files, "--raw-control",
        "--control", f"sketch={files.sketch}", "--guide", "union", "--scale", "1",
        "--control", f"canny={files.sketch}", "--guide", "controlnet", "--scale", "0.5",
        "--control", f"depth-midas={files.sketch}"))
    assert status == 0
    (request,) = painter
    assert [(c.condition, c.guide) for c in request.controls] == [
        ("sketch", "union"), ("canny", "controlnet"), ("depth-midas", "adapter")]
    with Image.open(files.out) as picture:
        metadata = json.loads(picture.info["t2ia"])
        parameters = picture.info["parameters"]
    assert [c["guide"] for c in metadata["controls"]] == ["union", "controlnet", "adapter"]
    assert ('ControlNet 1: "Module: canny, Model: controlnet-canny-sdxl-1.0, Weight: 0.5, '
            'Guidance Start: 0.0, Guidance End: 1.0') in parameters
    assert 'ControlNet 0: "Module: scribble_pidinet, Model: controlnet-union-sdxl-1.0' in parameters
    assert "Model: t2i-adapter-depth-midas-sdxl-1.0" in parameters


@pytest.mark.parametrize(("extra", "expected"), [
    (["--control", "lineart={sketch}", "--guide", "controlnet"],
     "the Lineart condition has no ControlNet for SDXL models; it works with SD15 models; "
     "use T2I-Adapter or ControlNet Union instead"),
    (["--control", "color={sketch}", "--guide", "union"],
     "the Colour palette condition has no ControlNet Union for SDXL models"),
    (["--control", "canny={sketch}", "--guide", "controlnet", "--guide", "union"],
     "2 --guide values for 1 --control images"),
    (["--control", "canny={sketch}", "--guide", "lora"], "--guide"),
])
def test_a_guide_the_family_lacks_exits_2_with_one_line(files, capsys, no_engine, extra,
                                                        expected):
    extra = [item.format(sketch=files.sketch) for item in extra]
    assert run_cli(generate_args(files, *extra)) == 2
    assert expected in one_error_line(capsys)
    assert not files.out.exists()


def test_the_help_explains_the_guide(capsys):
    assert run_cli(["generate", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--guide {adapter,controlnet,union}" in text
    assert "--control canny=a.png --guide controlnet" in text
