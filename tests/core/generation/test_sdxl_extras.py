"""SDXL extras in requests: kept by project files, the saved queue and the image history."""

from __future__ import annotations

import numpy as np
from PIL import Image

from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.files.project import load_project, save_project
from t2ia_desktop.core.generation.queue_file import QueueStore
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.core.generation.sdxl_extras import DEMO_REFINER, SDXL_SETTINGS
from t2ia_desktop.core.image_history.query import request_from_metadata
from t2ia_desktop.core.image_history.store import History

EXTRAS = {"prompt_2": "ink", "negative_prompt_2": "rain", "refiner": DEMO_REFINER,
              "refiner_switch": 0.7, "original_size": (2048, 1024), "target_size": (1024, 768),
              "crops_coords_top_left": (0, 64), "negative_original_size": (512, 512),
              "negative_target_size": (256, 256), "negative_crops_coords_top_left": (8, 8),
              "aesthetic_score": 7.5, "negative_aesthetic_score": 1.5}


def extras_of(request: GenerationRequest) -> dict:
    return {name: getattr(request, name) for name in SDXL_SETTINGS}


def sample() -> GenerationRequest:
    return GenerationRequest(model="demo", prompt="a boat", width=64, height=64,
                             **EXTRAS).validate()


def test_a_result_layer_keeps_its_extras_in_a_project(tmp_path):
    document = Document.with_sketch_layer(64, 64)
    document.add_result(Image.fromarray(np.zeros((64, 64, 3), np.uint8)), sample())
    save_project(document, tmp_path / "art.t2ia")
    loaded, _ = load_project(tmp_path / "art.t2ia")
    assert extras_of(loaded.layers[-1].request) == EXTRAS


def test_the_saved_queue_keeps_the_extras(tmp_path):
    store = QueueStore(tmp_path / "queue")
    store.write([(sample(), "queued")])
    assert extras_of(store.read().requests[0]) == EXTRAS


def test_a_history_picture_gives_the_extras_back(tmp_path):
    history = History(tmp_path / "history")
    entry = history.add(Image.new("RGB", (64, 64)), sample())
    rebuilt = request_from_metadata(history.request_metadata(entry))
    assert rebuilt is not None
    assert extras_of(rebuilt) == EXTRAS
    damaged = {**history.request_metadata(entry), "original_size": [1, 2, 3]}
    assert request_from_metadata(damaged) is None
