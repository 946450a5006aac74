"""Downloading a whole pipeline from a local server in the hub's URL layout (no network): the
files chosen, progress, Cancel and resume, and the hub id generating offline afterwards."""

from __future__ import annotations

import shutil
import threading

import numpy as np
import pytest

from t2ia_desktop.core.errors import BadInput, Cancelled, ModelUnavailable
from t2ia_desktop.core.generation.checkpoints import (
    DOWNLOADED_MARKER,
    KnownModel,
    download_folder,
    downloaded,
)
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.engine.generate import Engine
from t2ia_desktop.engine.model_store.model_downloads import download_model, pipeline_files
from tests.engine.hub_server import online, serve_hub

REPO = "tiny/demo-sd15"


@pytest.fixture(scope="module")
def served(sd15_demo, tmp_path_factory):
    """The repository: the demo pipeline, an fp16 UNet variant, and pickles never fetched."""
    folder = tmp_path_factory.mktemp("served") / "repo"
    shutil.copytree(sd15_demo, folder, ignore=shutil.ignore_patterns("adapters"))
    unet = folder / "unet"
    shutil.copy(unet / "diffusion_pytorch_model.safetensors",
                unet / "diffusion_pytorch_model.fp16.safetensors")
    (unet / "diffusion_pytorch_model.bin").write_bytes(b"\x80\x04pickle")
    (folder / "v1-5-pruned.ckpt").write_bytes(b"\x80\x04pickle")
    return folder


def test_the_files_from_pretrained_needs_and_no_others():
    files = ["model_index.json", "v1-5.ckpt", "v1-5.safetensors", "unet/config.json",
             "unet/diffusion_pytorch_model.safetensors", "unet/diffusion_pytorch_model.bin",
             "unet/diffusion_pytorch_model.fp16.safetensors", "vae/config.json",
             "vae/diffusion_pytorch_model.safetensors", "vae/diffusion_flax_model.msgpack",
             "tokenizer/vocab.json", "tokenizer/merges.txt", "safety_checker/config.json",
             "text_encoder/model.onnx", "text_encoder/config.json",
             "text_encoder/model.safetensors"]
    index = {"_class_name": "StableDiffusionPipeline", "unet": ["diffusers", "U"],
             "vae": ["diffusers", "V"], "tokenizer": ["transformers", "T"],
             "text_encoder": ["transformers", "C"], "safety_checker": [None, None]}
    assert pipeline_files(files, index) == [
        ("model_index.json", "model_index.json"),
        ("text_encoder/config.json", "text_encoder/config.json"),
        ("text_encoder/model.safetensors", "text_encoder/model.safetensors"),
        ("tokenizer/vocab.json", "tokenizer/vocab.json"),
        ("tokenizer/merges.txt", "tokenizer/merges.txt"),
        ("unet/config.json", "unet/config.json"),
        ("unet/diffusion_pytorch_model.fp16.safetensors",
         "unet/diffusion_pytorch_model.safetensors"),
        ("vae/config.json", "vae/config.json"),
        ("vae/diffusion_pytorch_model.safetensors", "vae/diffusion_pytorch_model.safetensors"),
    ]


def test_download_then_generate_offline_from_the_hub_id(served, sd15_demo, monkeypatch,
                                                        tmp_path):
    seen = []
    with serve_hub(served, repo=REPO, nested=True) as hub, online(monkeypatch, hub):
        folder = download_model(REPO, progress=lambda done, total, name: seen.append(
            (done, total, name)))
    assert folder == download_folder(REPO)
    assert downloaded(REPO) == folder
    assert (folder / DOWNLOADED_MARKER).is_file()
    assert not list(folder.rglob("*.bin"))
    assert not list(folder.rglob("*.ckpt"))
    assert not list(folder.rglob("*.part"))
    assert not list(folder.rglob("*fp16*"))
    dones = [done for done, _total, _name in seen]
    assert dones == sorted(dones)
    assert seen[-1][0] == seen[-1][1]
    assert KnownModel(REPO, REPO, "sd15", "hub").state() == "installed"

    engine = Engine(demo_root=tmp_path / "demo-root", device="cpu")  # offline again here
    request = GenerationRequest(model=REPO, family="sd15", prompt="a fox", steps=2, width=64,
                                height=64, seed=1)
    from_hub_id = np.array(engine.generate(request))
    from_folder = np.array(engine.generate(request.with_changes(model=str(sd15_demo))))
    np.testing.assert_array_equal(from_hub_id, from_folder)


def test_cancel_keeps_complete_files_and_a_second_download_resumes(served, monkeypatch):
    cancel = threading.Event()

    def progress(done, total, name):
        if name.startswith("unet/"):
            cancel.set()

    with serve_hub(served, repo=REPO, nested=True, delay=0.01, chunk=16 * 1024) as hub, \
            online(monkeypatch, hub):
        with pytest.raises(Cancelled):
            download_model(REPO, progress=progress, cancel=cancel)
        folder = download_folder(REPO)
        assert downloaded(REPO) is None  # no marker: never taken for a model
        assert not list(folder.rglob("*.part"))
        kept = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
        assert "text_encoder/model.safetensors" in kept
        assert "unet/diffusion_pytorch_model.safetensors" not in kept
        hub.requests.clear()
        hub.delay = 0.0
        download_model(REPO)
    fetched = {path for method, path in hub.requests if method == "GET"}
    assert not any("text_encoder/model.safetensors" in path for path in fetched)
    assert any("unet/diffusion_pytorch_model.fp16.safetensors" in path for path in fetched)
    assert downloaded(REPO) is not None


def test_unknown_ids_and_other_repositories_are_told(served, tmp_path, monkeypatch):
    with serve_hub(served, repo=REPO, nested=True) as hub, online(monkeypatch, hub), \
            pytest.raises(ModelUnavailable, match="The hub has no model someone/nothing"):
        download_model("someone/nothing")
    lone = tmp_path / "lone"
    lone.mkdir()
    (lone / "weights.safetensors").write_bytes(b"x")
    with serve_hub(lone, repo="someone/lora", nested=True) as hub, online(monkeypatch, hub), \
            pytest.raises(BadInput, match="not a diffusers pipeline.*Add local model"):
        download_model("someone/lora")


def test_offline_mode_never_connects():
    with pytest.raises(ModelUnavailable, match="offline mode is on"):
        download_model(REPO)
