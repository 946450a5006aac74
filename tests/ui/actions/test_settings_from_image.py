"""File → Open settings from image…, and generated PNGs dropped on the Generate panel."""

from __future__ import annotations

from PIL import Image, PngImagePlugin
from PySide6.QtCore import QPoint

from t2ia_desktop.core.files.imageio import save_png
from t2ia_desktop.core.generation.request import DEMO_MODEL, GenerationRequest
from t2ia_desktop.core.generation.sdxl_extras import DEMO_REFINER
from tests.ui.helpers import drop_files

A1111 = ("a castle on a hill\nNegative prompt: blurry\n"
         "Steps: 22, Sampler: Euler a, CFG scale: 6.5, Seed: 4242, Size: 832x1216, "
         "Model hash: abcd1234, Model: sd_xl_base_1.0")


def our_png(path) -> str:
    request = GenerationRequest(
        model=DEMO_MODEL, prompt="a lighthouse at dusk", negative_prompt="fog", seed=31337,
        steps=17, guidance_scale=4.5, prompt_2="watercolour", refiner=DEMO_REFINER,
        refiner_switch=0.65, original_size=(2048, 1024), width=256, height=192)
    save_png(Image.new("RGB", (256, 192), "navy"), path, request)
    return str(path)


def a1111_png(path) -> str:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", A1111)
    Image.new("RGB", (32, 32), "red").save(path, pnginfo=info)
    return str(path)


def test_the_file_menu_restores_our_png(qtbot, window, tmp_path):
    actions = window.settings_from_image
    assert actions.action in window.file_menu.actions()
    actions.choose_file = lambda: our_png(tmp_path / "result.png")
    actions.action.trigger()
    panel = window.generate_panel
    assert panel.prompt_edit.toPlainText() == "a lighthouse at dusk"
    assert panel.negative_edit.toPlainText() == "fog"
    assert (panel.seed_spin.value(), panel.steps_spin.value()) == (31337, 17)
    assert panel.guidance_spin.value() == 4.5
    request = panel.settings.build_request(window.document, panel.registry)[0]
    assert request.prompt_2 == "watercolour"
    assert request.refiner == DEMO_REFINER
    assert request.refiner_switch == 0.65
    assert request.original_size == (2048, 1024)
    message = window.statusBar().currentMessage()
    assert "Restored the settings of result.png" in message
    assert "size" in message


def test_a_png_dropped_on_the_generate_panel_restores_it(qtbot, window, tmp_path):
    path = our_png(tmp_path / "dropped.png")
    panel = window.generate_panel
    viewport = panel.prompt_edit.viewport()  # on the prompt box: no path pasted as text
    assert drop_files(viewport, [path], QPoint(5, 5))
    assert panel.prompt_edit.toPlainText() == "a lighthouse at dusk"
    panel.prompt_edit.setPlainText("")
    assert drop_files(panel, [path], QPoint(5, 5))
    assert panel.seed_spin.value() == 31337
    assert panel.prompt_edit.toPlainText()
    assert not drop_files(panel, [str(tmp_path / "notes.txt")], QPoint(5, 5))


def test_an_a1111_png_fills_what_the_panel_has_and_notes_the_rest(qtbot, window, tmp_path):
    panel = window.generate_panel
    model_before = panel.settings.model
    found = window.settings_from_image.open_file(a1111_png(tmp_path / "a1111.png"))
    assert found is not None
    assert found.source == "parameters"
    assert panel.prompt_edit.toPlainText() == "a castle on a hill"
    assert panel.negative_edit.toPlainText() == "blurry"
    assert (panel.steps_spin.value(), panel.seed_spin.value()) == (22, 4242)
    assert panel.guidance_spin.value() == 6.5
    assert panel.settings.model == model_before  # A1111's checkpoint name is not ours
    message = window.settings_from_image.last_message
    assert "from its A1111 parameters" in message
    assert "model" in message
    assert "size" in message
    assert "Model hash" in message


def test_pictures_without_settings_change_nothing_and_say_so(qtbot, window, tmp_path):
    panel = window.generate_panel
    panel.prompt_edit.setPlainText("keep me")
    plain = tmp_path / "plain.png"
    Image.new("RGB", (8, 8)).save(plain)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    for path, words in ((plain, "carries no generation settings"), (broken, "cannot read")):
        assert window.settings_from_image.open_file(path) is None
        assert words in window.statusBar().currentMessage()
        assert panel.prompt_edit.toPlainText() == "keep me"
    window.settings_from_image.choose_file = lambda: ""  # cancelled: nothing happens
    window.settings_from_image.action.trigger()
    assert panel.prompt_edit.toPlainText() == "keep me"


def test_an_a1111_seed_above_2_31_and_karras_reach_the_panel(qtbot, window, tmp_path):
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a fox <lora:ink:0.6>\nSteps: 9, Sampler: DPM++ 2M, "
                                "Schedule type: Karras, CFG scale: 5, Seed: 4294967295")
    Image.new("RGB", (16, 16)).save(tmp_path / "big_seed.png", pnginfo=info)
    window.settings_from_image.open_file(tmp_path / "big_seed.png")
    panel = window.generate_panel
    assert panel.seed_spin.value() == 2**32 - 1
    assert panel.settings.seed == 2**32 - 1
    assert panel.settings.scheduler == "dpmpp-2m-karras"
    assert panel.prompt_edit.toPlainText() == "a fox"
    message = window.statusBar().currentMessage()
    assert "from its A1111 parameters" in message
    assert "LoRA tags taken out of the prompt: ink (0.6)" in message
    assert "kept the current" not in message  # the seed was taken
    request = panel.settings.build_request(window.document, panel.registry)[0]
    assert request.seed == 2**32 - 1


def test_a_comfyui_picture_names_its_source(qtbot, window, tmp_path):
    info = PngImagePlugin.PngInfo()
    info.add_text("prompt", '{"3": {"class_type": "KSampler", "inputs": {"seed": 7, "steps": '
                            '12, "cfg": 6, "sampler_name": "euler", "scheduler": "normal"}}}')
    Image.new("RGB", (16, 16)).save(tmp_path / "comfy.png", pnginfo=info)
    window.settings_from_image.open_file(tmp_path / "comfy.png")
    assert window.generate_panel.seed_spin.value() == 7
    assert "from its ComfyUI graph" in window.statusBar().currentMessage()


def test_lora_tags_go_to_the_lora_list_when_the_file_is_beside_the_artists_loras(
        qtbot, window, tmp_path):
    folder = tmp_path / "loras"
    folder.mkdir()
    for name in ("mine", "ink"):
        (folder / f"{name}.safetensors").write_bytes(b"{}")
    settings = window.generate_panel.settings
    settings.loras = ((str(folder / "mine.safetensors"), 1.0, True),)
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a fox <lora:ink:0.6> <lora:gone:1>\nSteps: 9, Seed: 3")
    Image.new("RGB", (16, 16)).save(tmp_path / "tags.png", pnginfo=info)
    window.settings_from_image.open_file(tmp_path / "tags.png")
    assert settings.loras == ((str(folder / "ink.safetensors"), 0.6, True),)
    message = window.statusBar().currentMessage()
    assert "LoRAs from the prompt's tags put in the LoRA list: ink (0.6)" in message
    assert "no such file beside your LoRAs: gone (1)" in message
