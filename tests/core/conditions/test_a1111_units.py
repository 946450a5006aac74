"""Controls in the A1111 parameters text, written as sd-webui-controlnet writes its
``ControlNet N`` entries and read back (ours and the extension's own)."""

from __future__ import annotations

from PIL import Image

from t2ia_desktop.core.conditions.a1111_units import ControlUnit, parse_unit, units_text
from t2ia_desktop.core.files.imageio import save_png
from t2ia_desktop.core.generation.parameters_text import parse_parameters, read_image_settings
from t2ia_desktop.core.generation.request import ControlSpec, GenerationRequest

SD_WEBUI = (
    "a fox in snow\nNegative prompt: blurry\n"
    "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 5, Size: 512x512, Model: v1-5, "
    'ControlNet 0: "Module: canny, Model: control_v11p_sd15_canny [d14c016b], Weight: 0.8, '
    "Resize Mode: Crop and Resize, Low Vram: False, Processor Res: 512, Threshold A: 100, "
    'Threshold B: 200, Guidance Start: 0.1, Guidance End: 0.9, Pixel Perfect: False, '
    'Control Mode: Balanced", '
    'ControlNet 1: "Module: none, Model: t2iadapter_sketch_sd15v2 [4a3e0c2e], Weight: 1", '
    'ControlNet 2: "Module: ip-adapter_clip_sd15, Model: ip-adapter_sd15 [6a3f6166], '
    'Weight: 1", Version: v1.9.3'
)


def request(*controls: ControlSpec, family: str = "sd15") -> GenerationRequest:
    return GenerationRequest(model="demo-sd15", family=family, prompt="a fox", width=64,
                             height=64, controls=controls)


def control(condition: str, guide: str, scale: float = 1.0, start: float = 0.0,
            end: float = 1.0) -> ControlSpec:
    return ControlSpec(condition, Image.new("RGB", (64, 64)), None, scale, start, end, guide)


def test_an_sd_webui_controlnet_text_gives_its_controls_and_names_the_others():
    found = parse_parameters(SD_WEBUI)
    assert found.controls == [ControlUnit("canny", "controlnet", 0.8, 0.1, 0.9),
                              ControlUnit("sketch", "adapter", 1.0, 0.0, 1.0)]
    assert found.settings["seed"] == 5
    assert any(note.startswith("ControlNet 2 (Module: ip-adapter_clip_sd15")
               and note.endswith("is not a condition here") for note in found.notes)


def test_our_entries_read_as_sd_webui_controlnet_writes_them():
    text = units_text(request(control("canny", "controlnet", 0.75, 0.0, 0.5)).controls, "sd15")
    assert text == ('ControlNet 0: "Module: canny, Model: control_v11p_sd15_canny, '
                    'Weight: 0.75, Guidance Start: 0.0, Guidance End: 0.5, '
                    'Control Mode: Balanced"')


def test_every_guide_goes_through_the_picture_and_back(tmp_path):
    sdxl = request(control("canny", "union", 0.5), control("openpose", "controlnet"),
                   control("depth-zoe", "adapter", 1.25, 0.2, 0.8),
                   control("lineart", "union"), family="sdxl")
    path = tmp_path / "guided.png"
    save_png(Image.new("RGB", (64, 64)), path, sdxl)
    ours = read_image_settings(path)  # our JSON comes first
    expected = [ControlUnit("canny", "union", 0.5), ControlUnit("openpose", "controlnet"),
                ControlUnit("depth-zoe", "adapter", 1.25, 0.2, 0.8),
                ControlUnit("lineart", "union")]
    assert ours.controls == expected
    with Image.open(path) as picture:
        theirs = parse_parameters(picture.info["parameters"])  # the A1111 text alone
    assert theirs.controls == expected
    assert "Model: controlnet-openpose-sdxl-1.0" in picture.info["parameters"]


def test_a_unit_without_module_is_told_by_its_model_name():
    assert parse_unit("Module: none, Model: controlnet-union-sdxl-1.0") is None  # which one?
    assert parse_unit("Module: depth_anything, Model: controlnet-union-sdxl-1.0") == (
        ControlUnit("depth-midas", "union"))
    assert parse_unit("Module: none, Model: control_v11f1p_sd15_depth, Weight: 0.6") == (
        ControlUnit("depth-midas", "controlnet", 0.6))
    assert parse_unit("Module: none, Model: control_v11e_sd15_shuffle") is None
