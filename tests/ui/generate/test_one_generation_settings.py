"""One GenerationSettings for every path: the window's Generate and ``t2ia-desktop generate``
build the same request from the same settings, and a project, the queue file and a result PNG
give back settings that build that request again."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image
from PySide6.QtCore import QPointF

from t2ia_desktop.cli.main import main
from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.files.imageio import save_png
from t2ia_desktop.core.files.project import load_project, save_project
from t2ia_desktop.core.generation.parameters_text import read_image_settings
from t2ia_desktop.core.generation.queue_file import QueueStore
from t2ia_desktop.core.generation.settings import GenerationSettings
from tests.ui.conftest import MODELS
from tests.ui.helpers import drag


def fill_in(window) -> None:
    """The artist's choices, through the panel's widgets."""
    panel = window.generate_panel
    panel.prompt_edit.setPlainText("a lighthouse on a cliff at dusk")
    panel.negative_edit.setPlainText("blurry")
    panel.steps_spin.setValue(2)
    panel.guidance_spin.setValue(5.5)
    panel.seed_spin.setValue(4242)
    panel.step_fraction_slider.setValue(0.6)
    panel.sampling.scheduler_combo.setCurrentIndex(
        panel.sampling.scheduler_combo.findData("dpmpp-2m"))
    panel.advanced.prompt_2_edit.setPlainText("oil painting")
    panel.advanced.pairs["original_size"].set_value((512, 768))


def without_image_hashes(metadata: dict) -> dict:
    data = {name: value for name, value in metadata.items() if not name.endswith("_sha256")}
    data["controls"] = [{k: v for k, v in control.items() if k != "image_sha256"}
                        for control in metadata["controls"]]
    return data


def test_the_window_and_the_command_line_build_the_same_request(window, tmp_path, capsys):
    canvas = window.canvas
    drag(canvas, [canvas.from_document(QPointF(x, y)).toPoint()
                  for x, y in ((40, 70), (120, 110), (200, 80))])
    fill_in(window)
    job = window.generate()
    assert job is not None
    from_window = job.request
    document = window.document
    control = document.controls()[0]

    settings_file = tmp_path / "settings.json"
    settings_file.write_text(json.dumps(window.generation_settings.to_dict()))
    control.image.save(tmp_path / "sketch.png")
    out = tmp_path / "out.png"
    status = main(["generate", "--settings", str(settings_file), "--raw-control",
                   "--control", f"sketch={tmp_path / 'sketch.png'}",
                   "--width", str(from_window.width), "--height", str(from_window.height),
                   "--out", str(out)])
    assert status == 0, capsys.readouterr().err
    with Image.open(out) as picture:
        from_cli = json.loads(picture.info["t2ia"])
    expected = json.loads(json.dumps(from_window.to_metadata()))  # pairs as JSON lists
    assert without_image_hashes(from_cli) == without_image_hashes(expected)
    assert from_cli["prompt_2"] == "oil painting"
    assert from_cli["original_size"] == [512, 768]
    assert from_cli["scheduler"] == "dpmpp-2m"
    assert from_cli["controls"][0]["conditioning_scale"] == control.conditioning_scale


def restored(data: dict, *, from_request: bool = False) -> GenerationSettings:
    settings = GenerationSettings.for_models(MODELS, seed=1)
    ignored = (settings.update_from_request(data) if from_request
               else settings.update_from_dict(data))
    assert ignored == []
    return settings


def test_a_project_the_queue_file_and_a_result_png_give_the_settings_back(tmp_path):
    document = Document.with_sketch_layer(128, 96)
    sketch = document.sketch_layer()
    sketch.pixels[40:50, 10:100] = (0, 0, 0, 255)
    settings = GenerationSettings.for_models(MODELS, seed=77)
    settings.update_from_dict({"prompt": "a fox", "steps": 12, "guidance_scale": 4.0,
                               "scheduler": "dpmpp-2m", "speed": "normal",
                               "adapter_conditioning_factor": 0.5, "refiner": "demo-refiner",
                               "refiner_switch": 0.7, "target_size": [640, 480],
                               "advanced_open": True, "batch": 3, "mode": "img2img"})
    request = settings.request(128, 96, document.controls())
    settings.mode = "txt2img"  # the request above is txt2img: keep the two in step

    save_project(document, tmp_path / "a.t2ia", settings.to_dict())
    _document, kept = load_project(tmp_path / "a.t2ia")
    assert restored(kept).to_dict() == settings.to_dict()

    store = QueueStore(tmp_path / "queue")
    store.write([(request, "queued")])
    saved = store.read()
    assert saved is not None
    again = restored(saved.requests[0].to_metadata(), from_request=True)
    assert again.request(128, 96, document.controls()).to_metadata() == request.to_metadata()

    save_png(Image.fromarray(np.zeros((96, 128, 3), np.uint8)), tmp_path / "r.png", request)
    found = read_image_settings(tmp_path / "r.png")
    again = restored(found.settings, from_request=True)
    assert again.request(128, 96, document.controls()).to_metadata() == request.to_metadata()
