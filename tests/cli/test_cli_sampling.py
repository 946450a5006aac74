"""``generate --speed/--lora/--scheduler``: parsing, preset defaults and bad input."""

from __future__ import annotations

import pytest

from t2ia_desktop.cli.main import build_parser, main
from t2ia_desktop.cli.sampling import lora_argument
from t2ia_desktop.cli.settings import generation_settings
from t2ia_desktop.core.generation.settings import GenerationSettings


def parse(*extra: str):
    return build_parser().parse_args(["generate", "--model", "demo", "--prompt", "x",
                                      "--out", "o.png", *extra])


def test_lora_argument_keeps_colons_of_the_path():
    assert lora_argument("ink.safetensors") == ("ink.safetensors", 1.0)
    assert lora_argument("ink.safetensors:0.6") == ("ink.safetensors", 0.6)
    assert lora_argument(r"C:\loras\ink.safetensors") == (r"C:\loras\ink.safetensors", 1.0)
    assert lora_argument(r"C:\loras\ink.safetensors:-0.5") == (r"C:\loras\ink.safetensors", -0.5)


def sampling_of(*extra: str) -> GenerationSettings:
    return generation_settings(parse(*extra))


def test_speed_fills_what_is_not_given():
    settings = sampling_of("--speed", "lightning-4")
    assert (settings.scheduler, settings.steps, settings.guidance_scale) == \
        ("euler-trailing", 4, 0.0)
    settings = sampling_of("--speed", "lcm", "--steps", "6", "--guidance", "1.5")
    assert (settings.scheduler, settings.steps, settings.guidance_scale) == ("lcm", 6, 1.5)
    settings = sampling_of("--speed", "lcm", "--steps", "30")  # given, even at the default
    assert (settings.scheduler, settings.steps) == ("lcm", 30)
    settings = sampling_of("--scheduler", "dpmpp-2m-karras", "--lora", "a.safetensors:2")
    assert settings.scheduler == "dpmpp-2m-karras"
    assert settings.request(64, 64).loras == (("a.safetensors", 2.0),)


@pytest.mark.parametrize(("extra", "message"), [
    (["--lora", "style.ckpt"], "pickle"),
    (["--lora", "missing.safetensors"], "does not exist"),
    (["--speed", "lightning-4", "--family", "sd15"], "SD15"),
])
def test_bad_sampling_input_is_one_clear_line(tmp_path, capsys, monkeypatch, extra, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "style.ckpt").write_bytes(b"\x80\x04")
    model = tmp_path / "model"
    model.mkdir()
    (model / "model_index.json").write_text('{"_class_name": "StableDiffusionPipeline"}'
                                            if "sd15" in extra else
                                            '{"_class_name": "StableDiffusionXLPipeline"}')
    code = main(["generate", "--model", str(model), "--prompt", "x", "--width", "64",
                 "--height", "64", "--out", str(tmp_path / "o.png"), *extra])
    assert code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
