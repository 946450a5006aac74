"""The Generate panel's Advanced section: typed values reach the request, round-trip through
settings and project files, and SD1.5 gets the defaults with a reason."""

from __future__ import annotations

from PySide6.QtCore import Qt

from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.files.project import load_project, save_project
from t2ia_desktop.core.generation.request import DEFAULT_SDXL_MODEL, DEMO_MODEL, GenerationRequest
from t2ia_desktop.core.generation.sdxl_extras import (
    DEFAULT_SDXL_REFINER,
    DEMO_REFINER,
    SDXL_SETTINGS,
)
from t2ia_desktop.ui.generate.panel import GeneratePanel
from tests.ui.helpers import generate_panel, shown

MODELS = [("demo (random weights)", DEMO_MODEL, "sdxl"),
          ("SDXL base 1.0", DEFAULT_SDXL_MODEL, "sdxl"),
          ("SD 1.5", "runwayml/stable-diffusion-v1-5", "sd15")]


def make_panel(qtbot) -> tuple[GeneratePanel, Document]:
    document = Document.with_sketch_layer(128, 128)
    return shown(qtbot, generate_panel(document, MODELS)), document


def extras(request: GenerationRequest) -> dict:
    return {name: getattr(request, name) for name in SDXL_SETTINGS}


def fill_in(qtbot, panel: GeneratePanel) -> None:
    """What an artist does: open Advanced, type, pick the refiner, tick and set two sizes."""
    advanced = panel.advanced
    assert not advanced.body.isVisible()
    qtbot.mouseClick(advanced.toggle, Qt.MouseButton.LeftButton)
    assert advanced.body.isVisible()
    qtbot.keyClicks(advanced.prompt_2_edit, "oil painting, impasto")
    qtbot.keyClicks(advanced.negative_2_edit, "photo")
    advanced.refiner_combo.setCurrentIndex(advanced.refiner_combo.findData(DEMO_REFINER))
    advanced.switch_slider.setValue(0.7)
    advanced.aesthetic_spin.setValue(7.5)
    original = advanced.pairs["original_size"]
    qtbot.mouseClick(original.check, Qt.MouseButton.LeftButton)
    original.first.setValue(2048)  # width
    original.second.setValue(1536)  # height
    crop = advanced.pairs["negative_crops_coords_top_left"]
    qtbot.mouseClick(crop.check, Qt.MouseButton.LeftButton)
    crop.first.setValue(40)  # left
    crop.second.setValue(16)  # top


def test_untouched_advanced_gives_the_request_defaults(qtbot):
    panel, document = make_panel(qtbot)
    request = panel.settings.build_request(document, panel.registry)[0]
    defaults = GenerationRequest(model=DEMO_MODEL, prompt="")
    assert extras(request) == extras(defaults)
    assert [panel.advanced.refiner_combo.itemData(i)
            for i in range(panel.advanced.refiner_combo.count())] == [None, DEMO_REFINER]
    assert "adapters" in panel.advanced.refiner_combo.toolTip().lower()
    assert not panel.advanced.switch_slider.isEnabled()  # no refiner: no switch


def test_typed_values_reach_the_request_and_round_trip_through_a_project(qtbot, tmp_path):
    panel, document = make_panel(qtbot)
    fill_in(qtbot, panel)
    assert panel.advanced.switch_slider.isEnabled()
    request = panel.settings.build_request(document, panel.registry)[0].validate()
    assert request.prompt_2 == "oil painting, impasto"
    assert request.negative_prompt_2 == "photo"
    assert request.refiner == DEMO_REFINER
    assert request.refiner_switch == 0.7
    assert request.aesthetic_score == 7.5
    assert request.negative_aesthetic_score == 2.5
    assert request.original_size == (1536, 2048)  # diffusers' (height, width)
    assert request.negative_crops_coords_top_left == (16, 40)  # (top, left)
    assert request.target_size is None
    assert request.crops_coords_top_left is None

    path = tmp_path / "art.t2ia"
    save_project(document, path, panel.settings.to_dict())
    _doc, settings = load_project(path)
    other, other_doc = make_panel(qtbot)
    assert other.settings.update_from_dict(settings) == []
    assert extras(other.settings.build_request(other_doc, other.registry)[0]) == extras(request)
    assert other.advanced.body.isVisible()  # the section reopens as it was left


def test_a_real_sdxl_model_offers_the_sdxl_refiner(qtbot):
    panel, document = make_panel(qtbot)
    panel.model_combo.setCurrentIndex(1)
    combo = panel.advanced.refiner_combo
    assert combo.itemData(1) == DEFAULT_SDXL_REFINER
    assert combo.findData(DEMO_REFINER) < 0
    combo.setCurrentIndex(1)
    assert panel.settings.build_request(document, panel.registry)[0].refiner == DEFAULT_SDXL_REFINER


def test_sd15_disables_the_section_and_says_why(qtbot):
    panel, document = make_panel(qtbot)
    fill_in(qtbot, panel)
    panel.model_combo.setCurrentIndex(2)
    advanced = panel.advanced
    assert advanced.reason.isVisible()
    assert "SDXL only" in advanced.reason.text()
    assert not advanced.prompt_2_edit.isEnabled()
    assert not advanced.refiner_combo.isEnabled()
    # no SDXL extra reaches an SD1.5 job
    request = panel.settings.build_request(document, panel.registry)[0].validate()
    assert extras(request) == extras(GenerationRequest(model="m", prompt="", family="sd15"))
    panel.model_combo.setCurrentIndex(0)  # back to SDXL: the typed values are still there
    request = panel.settings.build_request(document, panel.registry)[0]
    assert request.prompt_2 == "oil painting, impasto"


def test_bad_values_in_settings_are_named_and_skipped(qtbot):
    panel, document = make_panel(qtbot)
    ignored = panel.settings.update_from_dict({"original_size": [1024], "refiner_switch": 3.0,
                                    "aesthetic_score": "high", "prompt_2": 5,
                                    "target_size": [640, 512]})
    assert sorted(ignored) == ["aesthetic_score", "original_size", "prompt_2",
                               "refiner_switch"]
    request = panel.settings.build_request(document, panel.registry)[0]
    assert request.target_size == (640, 512)
    assert request.original_size is None
