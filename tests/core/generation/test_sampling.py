"""Scheduler and speed choices in requests: validation and metadata."""

from __future__ import annotations

import pytest

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.request import SCHEDULERS, GenerationRequest
from t2ia_desktop.core.generation.sampling import SCHEDULER_CHOICES, SPEED_PRESETS


def test_the_issue_s_schedulers_are_offered():
    ids = [c.id for c in SCHEDULER_CHOICES]
    assert ids[0] == "euler-a"
    for wanted in ("euler", "dpmpp-2m", "dpmpp-2m-karras", "unipc", "ddim", "lcm", "tcd"):
        assert wanted in SCHEDULERS
    assert all(c.tooltip for c in SCHEDULER_CHOICES)


def test_presets_name_known_schedulers_and_sane_settings():
    for preset in SPEED_PRESETS[1:]:
        assert preset.scheduler in SCHEDULERS
        assert 1 <= preset.steps <= 12
        assert 0 <= preset.guidance_scale <= 8
        assert all(name.endswith(".safetensors") for _, name in preset.files.values())


def test_unknown_scheduler_and_speed_are_refused():
    with pytest.raises(BadInput, match="scheduler"):
        GenerationRequest(model="demo", prompt="x", scheduler="heun").validate()
    with pytest.raises(BadInput, match="speed"):
        GenerationRequest(model="demo", prompt="x", speed="warp").validate()


def test_loras_travel_in_the_metadata(tmp_path):
    lora = tmp_path / "ink.safetensors"
    lora.write_bytes(b"")
    request = GenerationRequest(model="demo", prompt="x", scheduler="lcm", speed="lcm",
                                loras=((str(lora), 0.7),)).validate()
    data = request.to_metadata()
    assert data["scheduler"] == "lcm"
    assert data["speed"] == "lcm"
    assert [list(item) for item in data["loras"]] == [[str(lora), 0.7]]
    with pytest.raises(BadInput, match="twice"):
        request.with_changes(loras=((str(lora), 0.7), (str(lora), 0.2))).validate()
