"""Settings from image gives the document's condition layers the guides the picture's controls
had: from our own metadata and from sd-webui-controlnet's ``ControlNet N`` entries."""

from __future__ import annotations

from PIL import Image, PngImagePlugin

from t2ia_desktop.core.files.imageio import save_png
from t2ia_desktop.core.generation.request import DEMO_MODEL, ControlSpec, GenerationRequest
from tests.ui.helpers import add_canny

SD_WEBUI = ("a fox\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 5, Size: 512x512, "
            'ControlNet 0: "Module: canny, Model: controlnet-union-sdxl-1.0 [abcd], Weight: 1, '
            'Guidance Start: 0, Guidance End: 1, Control Mode: Balanced", '
            'ControlNet 1: "Module: openpose_full, Model: thibaud_xl_openpose, Weight: 1"')


def our_png(path, guide: str) -> str:
    control = ControlSpec("canny", Image.new("RGB", (64, 64)), None, 0.7, 0.0, 1.0, guide)
    request = GenerationRequest(model=DEMO_MODEL, prompt="edges", width=64, height=64,
                                controls=(control,))
    save_png(Image.new("RGB", (64, 64)), path, request)
    return str(path)


def test_our_picture_sets_the_guide_of_the_canny_layer_as_one_undo_step(
    qtbot, window, square_photo, tmp_path
):
    _photo, edges = add_canny(qtbot, window, square_photo)
    found = window.settings_from_image.open_file(our_png(tmp_path / "cn.png", "controlnet"))
    assert found is not None
    assert edges.condition.guide == "controlnet"
    assert window.condition_panel.guide_combo.currentText() == "ControlNet"
    message = window.statusBar().currentMessage()
    assert "guided Canny edges of square by ControlNet" in message
    assert window.undo_action.text().endswith("Guides from a picture")
    window.undo_action.trigger()
    assert edges.condition.guide == "adapter"


def test_an_sd_webui_controlnet_picture_sets_the_guide_and_names_what_has_no_layer(
    qtbot, window, square_photo, tmp_path
):
    _photo, edges = add_canny(qtbot, window, square_photo)
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", SD_WEBUI)
    path = tmp_path / "webui.png"
    Image.new("RGB", (32, 32)).save(path, pnginfo=info)
    window.settings_from_image.open_file(path)
    assert edges.condition.guide == "union"
    message = window.statusBar().currentMessage()
    assert "guided Canny edges of square by ControlNet Union" in message
    assert "no condition layer for its openpose (ControlNet): add one to use it" in message
    assert window.generate_panel.seed_spin.value() == 5
