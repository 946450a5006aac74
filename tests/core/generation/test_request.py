"""GenerationRequest: validation names the bad field; metadata is JSON with image hashes."""

from __future__ import annotations

import json
from functools import partial

import pytest
from PIL import Image

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.request import SCHEDULERS
from tests.builders import control, request

lighthouse = partial(
    request, prompt="a lighthouse", width=512, height=512, steps=20,
    controls=(control("sketch", conditioning_scale=0.8),
              control("canny", conditioning_scale=1.2, shade=17)),
)


def test_a_good_request_validates_and_returns_itself():
    request = lighthouse()
    assert request.validate() is request


@pytest.mark.parametrize("scheduler", list(SCHEDULERS))
def test_every_listed_scheduler_is_accepted(scheduler):
    lighthouse(scheduler=scheduler).validate()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"steps": 0}, "steps"),
        ({"steps": 501}, "steps"),
        ({"width": 500}, "width"),  # not a multiple of 8
        ({"height": 100}, "height"),
        ({"width": 56}, "width"),  # a multiple of 8 but below 64
        ({"height": 4104}, "height"),  # a multiple of 8 but above 4096
        ({"scheduler": "karras-9000"}, "scheduler"),
        ({"adapter_conditioning_factor": 1.5}, "adapter_conditioning_factor"),
        ({"adapter_conditioning_factor": -0.1}, "adapter_conditioning_factor"),
        ({"adapter_conditioning_factor": float("nan")}, "adapter_conditioning_factor"),
        ({"family": "sd3"}, "family"),
        ({"family": "SDXL"}, "family"),
        ({"model": ""}, "model"),
        ({"seed": -1}, "seed"),
        ({"guidance_scale": 51.0}, "guidance"),
    ],
)
def test_validate_rejects_a_bad_field_and_names_it(changes, field):
    with pytest.raises(BadInput, match=field):
        lighthouse(**changes).validate()


@pytest.mark.parametrize("scale", [-0.01, 2.01, float("nan")])
def test_validate_rejects_a_control_scale_outside_0_to_2_and_names_the_control(scale):
    request = lighthouse(controls=(control("sketch"), control("canny", conditioning_scale=scale)))
    with pytest.raises(BadInput, match="conditioning scale of canny"):
        request.validate()


@pytest.mark.parametrize("scale", [0.0, 2.0])
def test_control_scale_bounds_are_inclusive(scale):
    lighthouse(controls=(control("sketch", conditioning_scale=scale),)).validate()


@pytest.mark.parametrize("size", [64, 4096])
def test_size_bounds_are_inclusive(size):
    lighthouse(width=size, height=size).validate()


def test_unknown_scheduler_message_lists_the_choices():
    with pytest.raises(BadInput) as caught:
        lighthouse(scheduler="nope").validate()
    for name in SCHEDULERS:
        assert name in str(caught.value)


def test_request_is_frozen():
    request = lighthouse()
    with pytest.raises(AttributeError):
        request.steps = 3  # type: ignore[misc]
    assert request.with_changes(steps=3).steps == 3
    assert request.steps == 20


def test_metadata_is_json_and_holds_control_hashes_not_images():
    request = lighthouse(seed=1234, negative_prompt="fog")
    metadata = request.to_metadata()

    round_trip = json.loads(json.dumps(metadata))
    assert round_trip == metadata
    assert metadata["prompt"] == "a lighthouse"
    assert metadata["seed"] == 1234
    assert metadata["negative_prompt"] == "fog"
    assert metadata["model"] == "demo"

    controls = metadata["controls"]
    assert [c["condition"] for c in controls] == ["sketch", "canny"]
    assert [c["conditioning_scale"] for c in controls] == [0.8, 1.2]
    for listed, spec in zip(controls, request.controls, strict=True):
        assert listed["image_sha256"] == spec.image_hash()
        assert isinstance(listed["image_sha256"], str)
        assert not any(isinstance(value, Image.Image) for value in listed.values())
    # different pixels, different hashes; same pixels, same hash
    assert controls[0]["image_sha256"] != controls[1]["image_sha256"]
    assert control("sketch").image_hash() == control("canny").image_hash()


def test_metadata_of_a_request_without_controls_has_an_empty_list():
    metadata = lighthouse(controls=()).to_metadata()
    assert metadata["controls"] == []
    json.dumps(metadata)
