"""The Generate panel's Scheduler, Speed and LoRA controls: presets fill in the settings, the
request carries them, and they survive a project file."""

from __future__ import annotations

from PySide6.QtCore import Qt
from safetensors.numpy import save_file

from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.files.project import load_project, save_project
from t2ia_desktop.core.generation.request import DEMO_MODEL
from t2ia_desktop.core.generation.sampling import SPEED_BY_ID
from t2ia_desktop.ui.generate.panel import GeneratePanel
from tests.ui.helpers import generate_panel, shown

MODELS = [("demo (random weights)", DEMO_MODEL, "sdxl"),
          ("SD 1.5", "runwayml/stable-diffusion-v1-5", "sd15")]


def make_panel(qtbot) -> tuple[GeneratePanel, Document]:
    document = Document.with_sketch_layer(128, 128)
    return shown(qtbot, generate_panel(document, MODELS)), document


def lora_file(folder, name="ink.safetensors"):
    import numpy as np

    path = folder / name
    save_file({"lora_unet_x.lora_down.weight": np.zeros((1, 1), np.float32)}, str(path))
    return str(path)


def choose(combo, data) -> None:
    combo.setCurrentIndex(combo.findData(data))


def test_speed_presets_fill_scheduler_steps_and_guidance(qtbot):
    panel, document = make_panel(qtbot)
    sampling = panel.sampling
    choose(sampling.scheduler_combo, "dpmpp-2m")
    panel.steps_spin.setValue(24)
    choose(sampling.speed_combo, "lightning-4")
    assert (panel.settings.scheduler, panel.steps_spin.value(), panel.guidance_spin.value()) == \
        ("euler-trailing", 4, 0.0)
    request = panel.settings.build_request(document, panel.registry)[0]
    assert (request.speed, request.scheduler, request.steps, request.guidance_scale) == \
        ("lightning-4", "euler-trailing", 4, 0.0)
    choose(sampling.speed_combo, "lcm")
    assert (panel.settings.scheduler, panel.steps_spin.value(), panel.guidance_spin.value()) == \
        ("lcm", 4, 1.0)
    choose(sampling.speed_combo, "hyper-8-cfg")
    preset = SPEED_BY_ID["hyper-8-cfg"]
    assert (panel.settings.scheduler, panel.steps_spin.value(), panel.guidance_spin.value()) == \
        (preset.scheduler, 8, 5.0)
    choose(sampling.speed_combo, "normal")  # back to the artist's own settings
    assert (panel.settings.scheduler, panel.steps_spin.value(), panel.guidance_spin.value()) == \
        ("dpmpp-2m", 24, 7.5)


def test_scheduler_choice_reaches_the_request_and_has_tooltips(qtbot):
    panel, document = make_panel(qtbot)
    combo = panel.sampling.scheduler_combo
    assert combo.toolTip()
    for index in range(combo.count()):
        assert combo.itemData(index, Qt.ItemDataRole.ToolTipRole)
    choose(combo, "dpmpp-2m-karras")
    assert panel.settings.build_request(document, panel.registry)[0].scheduler == "dpmpp-2m-karras"


def test_sd15_greys_out_sdxl_only_presets(qtbot):
    panel, document = make_panel(qtbot)
    choose(panel.sampling.speed_combo, "lightning-4")
    panel.model_combo.setCurrentIndex(1)  # SD 1.5: no Lightning LoRA
    assert panel.settings.speed == "normal"
    assert not panel.settings.set_speed("lightning-8")
    assert panel.settings.set_speed("hyper-8")
    assert panel.settings.build_request(document, panel.registry)[0].speed == "hyper-8"


def test_lora_list_adds_weighs_switches_and_removes(qtbot, tmp_path):
    panel, document = make_panel(qtbot)
    loras = panel.lora_list
    ink, paper = lora_file(tmp_path), lora_file(tmp_path, "paper.safetensors")
    assert loras.add_file(ink)
    assert loras.add_file(paper)
    loras.rows[0].weight_slider.setValue(0.6)
    request = panel.settings.build_request(document, panel.registry)[0]
    assert request.loras == ((ink, 0.6), (paper, 1.0))
    loras.rows[1].enabled_check.click()
    assert panel.settings.build_request(document, panel.registry)[0].loras == ((ink, 0.6),)
    loras.rows[0].remove_button.click()
    assert [row.path for row in loras.rows] == [paper]
    assert panel.settings.build_request(document, panel.registry)[0].loras == ()


def test_pickle_loras_are_refused_with_a_message(qtbot, tmp_path):
    panel, _ = make_panel(qtbot)
    pickle = tmp_path / "style.ckpt"
    pickle.write_bytes(b"\x80\x04")
    assert not panel.lora_list.add_file(str(pickle))
    assert panel.lora_list.message.isVisible()
    assert "safetensors" in panel.lora_list.message.text()
    assert panel.lora_list.rows == []


def test_sampling_settings_survive_a_project(qtbot, tmp_path):
    panel, document = make_panel(qtbot)
    ink = lora_file(tmp_path)
    choose(panel.sampling.speed_combo, "lcm")
    panel.steps_spin.setValue(6)  # the artist's own change after the preset
    choose(panel.sampling.scheduler_combo, "tcd")
    panel.lora_list.add_file(ink, 0.75)
    save_project(document, tmp_path / "a.t2ia", panel.settings.to_dict())
    _document, settings = load_project(tmp_path / "a.t2ia")

    other, other_document = make_panel(qtbot)
    assert other.settings.update_from_dict(settings) == []
    request = other.settings.build_request(other_document, other.registry)[0]
    assert (request.speed, request.scheduler, request.steps, request.loras) == \
        ("lcm", "tcd", 6, ((ink, 0.75),))

    (tmp_path / "ink.safetensors").unlink()  # moved away since
    third, _ = make_panel(qtbot)
    assert "loras" in third.settings.update_from_dict(settings)
    assert "ink.safetensors" in third.lora_list.message.text()
