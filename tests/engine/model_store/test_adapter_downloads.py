"""Which files an adapter download takes from a repository, and what it refuses."""

from __future__ import annotations

import pytest

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.engine.model_store.adapter_downloads import adapter_files


def test_the_fp16_safetensors_is_taken_under_the_plain_name():
    files = ["README.md", "config.json", "diffusion_pytorch_model.safetensors",
             "diffusion_pytorch_model.fp16.safetensors", "images/example.png"]
    assert adapter_files(files) == [
        ("config.json", "config.json"),
        ("diffusion_pytorch_model.fp16.safetensors", "diffusion_pytorch_model.safetensors")]


def test_safetensors_before_a_pickle_and_a_pickle_only_when_nothing_else():
    both = ["config.json", "diffusion_pytorch_model.bin", "diffusion_pytorch_model.safetensors"]
    assert adapter_files(both)[1] == ("diffusion_pytorch_model.safetensors",) * 2
    assert adapter_files(["config.json", "diffusion_pytorch_model.bin"])[1] == (
        "diffusion_pytorch_model.bin",) * 2


@pytest.mark.parametrize(("files", "words"), [
    (["diffusion_pytorch_model.safetensors"], "no config.json"),
    (["config.json", "model.ckpt"], "no diffusion_pytorch_model.safetensors"),
])
def test_what_is_not_an_adapter_is_refused(files, words):
    with pytest.raises(BadInput, match=words):
        adapter_files(files)
