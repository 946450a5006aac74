"""`generate --device/--dtype/--offload/--family` on the demo model, and the offload override
reaching the memory plan."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from t2ia_desktop.cli.main import main
from t2ia_desktop.core.generation.memory_policy import (
    GB,
    DeviceFacts,
    choose_memory_plan,
    with_offload,
)
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.engine.generate import Engine


def generate(model, out, *extra: str) -> list[str]:
    return ["generate", "--model", str(model), "--prompt", "a boat", "--steps", "2",
            "--width", "64", "--height", "64", "--seed", "3", "--out", str(out), *extra]


def test_cpu_in_fp32_without_offload_paints_like_the_defaults_here(tmp_path, sdxl_demo, capsys):
    default, explicit = tmp_path / "default.png", tmp_path / "explicit.png"
    assert main(generate(sdxl_demo, default)) == 0, capsys.readouterr().err
    assert main(generate(sdxl_demo, explicit, "--device", "cpu", "--dtype", "fp32",
                         "--offload", "none")) == 0, capsys.readouterr().err
    if not torch.cuda.is_available():  # auto is the CPU in fp32 here
        np.testing.assert_array_equal(np.array(Image.open(default)),
                                      np.array(Image.open(explicit)))


def test_bf16_on_the_cpu_is_allowed_with_a_warning(tmp_path, sdxl_demo, capsys):
    out = tmp_path / "bf16.png"
    assert main(generate(sdxl_demo, out, "--device", "cpu", "--dtype", "bf16")) == 0
    assert "usually slower than fp32" in capsys.readouterr().err
    assert Image.open(out).size == (64, 64)


def test_family_picks_the_demo_model_and_a_folder_of_the_other_family_is_refused(
        tmp_path, sd15_demo, capsys):
    out = tmp_path / "sd15.png"
    assert main(generate("demo", out, "--family", "sd15", "--device", "cpu")) == 0
    assert Image.open(out).size == (64, 64)
    assert main(generate(sd15_demo, tmp_path / "no.png", "--family", "sdxl")) == 2
    assert "not a sdxl model" in capsys.readouterr().err
    assert not (tmp_path / "no.png").exists()


def test_the_offload_override_replaces_the_plans_choice(tmp_path, sdxl_demo):
    roomy = choose_memory_plan(DeviceFacts("cuda", 24 * GB, 20 * GB), "sdxl")
    assert roomy.offload == "none"
    assert with_offload(roomy, None) is roomy
    sequential = with_offload(roomy, "sequential")
    assert (sequential.offload, sequential.attention_slicing, sequential.vae_slicing) == (
        "sequential", True, True)
    assert with_offload(sequential, "none").offload == "none"
    model = with_offload(roomy, "model")
    assert model.offload == "model"
    assert not model.attention_slicing

    engine = Engine(demo_root=tmp_path, device="cpu")
    engine.store.offload = "model"  # what --offload model sets (placement is a no-op on CPU)
    engine.generate(GenerationRequest(model=str(sdxl_demo), prompt="x", steps=1, width=64,
                                      height=64))
    assert engine.store.memory_plan.offload == "model"
    assert engine.store.base(str(sdxl_demo), "sdxl").vae.use_slicing
