"""Reading generation settings back from pictures: our JSON, A1111 text, and bad files."""

from __future__ import annotations

import json

import pytest
from PIL import Image, PngImagePlugin

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.files.imageio import save_png
from t2ia_desktop.core.generation.parameters_text import parse_parameters, read_image_settings
from t2ia_desktop.core.generation.request import GenerationRequest

A1111 = ("a castle on a hill,\nwith towers\nNegative prompt: blurry,\nlow quality\n"
         "Steps: 22, Sampler: DPM++ 2M Karras, CFG scale: 6.5, Seed: 4242, Size: 832x1216, "
         'Model hash: abcd1234, Model: sd_xl_base_1.0, Lora hashes: "a: 1, b: 2", Version: v1')


def png_with(path, **texts) -> str:
    info = PngImagePlugin.PngInfo()
    for key, value in texts.items():
        info.add_text(key, value)
    Image.new("RGB", (16, 16), "gray").save(path, pnginfo=info)
    return str(path)


def test_an_a1111_text_gives_prompts_steps_sampler_cfg_seed_and_size():
    found = parse_parameters(A1111)
    assert found.settings == {
        "prompt": "a castle on a hill,\nwith towers", "negative_prompt": "blurry,\nlow quality",
        "steps": 22, "scheduler": "dpmpp-2m-karras", "guidance_scale": 6.5, "seed": 4242,
        "width": 832, "height": 1216, "model": "sd_xl_base_1.0"}
    assert found.source == "parameters"
    assert found.notes == ["ignored Model hash, Lora hashes, Version"]  # quoted commas kept


def test_a_prompt_alone_and_an_unknown_sampler():
    assert parse_parameters("just a prompt").settings == {"prompt": "just a prompt"}
    found = parse_parameters("x\nSteps: 3, Sampler: Heun, Seed: nine")
    assert found.settings == {"prompt": "x", "steps": 3}
    assert "sampler “Heun” is not offered here" in found.notes
    assert "Seed “nine” is not a number" in found.notes


def test_our_own_png_gives_the_whole_request(tmp_path):
    request = GenerationRequest(model="demo", prompt="a boat", negative_prompt="rain", seed=9,
                                steps=12, prompt_2="ink", refiner="demo-refiner",
                                original_size=(768, 512), width=512, height=768)
    save_png(Image.new("RGB", (8, 8)), tmp_path / "ours.png", request)
    found = read_image_settings(tmp_path / "ours.png")
    assert found.source == "t2ia"
    assert found.settings["prompt"] == "a boat"
    assert found.settings["seed"] == 9
    assert found.settings["prompt_2"] == "ink"
    assert found.settings["refiner"] == "demo-refiner"
    assert found.settings["original_size"] == [768, 512]
    assert "width" not in found.settings
    assert found.notes == ["not restored: size (the canvas sets it)"]


def test_unknown_fields_of_a_newer_version_are_noted(tmp_path):
    metadata = {"prompt": "a", "model": "demo", "seed": 1, "hypernetwork": "x", "width": 64}
    found = read_image_settings(png_with(tmp_path / "new.png", t2ia=json.dumps(metadata)))
    assert found.settings == {"prompt": "a", "model": "demo", "seed": 1}
    assert any("hypernetwork" in note for note in found.notes)


def test_damaged_json_falls_back_to_the_a1111_text(tmp_path):
    path = png_with(tmp_path / "both.png", t2ia="{broken", parameters=A1111)
    assert read_image_settings(path).settings["seed"] == 4242
    with pytest.raises(BadInput, match="damaged"):
        read_image_settings(png_with(tmp_path / "only.png", t2ia="[1, 2"))


def written(path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize(("make", "words"), [
    (lambda p: png_with(p), "carries no generation settings"),
    (lambda p: written(p, b"\x89PNG\r\n\x1a\n garbage"), "cannot read"),
    (lambda p: written(p, b"hello"), "cannot read"),
    (lambda p: png_with(p, parameters="   "), "no prompt or settings"),
    (lambda p: str(p.with_name("missing.png")), "does not exist"),
])
def test_bad_pictures_get_a_clear_message(tmp_path, make, words):
    path = make(tmp_path / "bad.png")
    with pytest.raises(BadInput, match=words):
        read_image_settings(path)
