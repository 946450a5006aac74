"""TAESD step previews: a local tiny VAE (random weights here) decodes the predicted x0 of a real
generation on the demo model; without one the approximation is used and says why."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from diffusers import AutoencoderTiny

from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.core.settings import Settings
from t2ia_desktop.engine.generate import Engine
from t2ia_desktop.engine.step_previews import preview_image
from t2ia_desktop.engine.taesd import NOTE_KEY, TaesdPreviews, find_taesd


def write_tiny_taesd(folder) -> None:
    """An AutoencoderTiny with TAESD's shape (4 latent channels, 8× upsampling), tiny widths."""
    torch.manual_seed(3)
    vae = AutoencoderTiny(encoder_block_out_channels=(8, 8, 8, 8),
                          decoder_block_out_channels=(8, 8, 8, 8),
                          num_encoder_blocks=(1, 1, 1, 1), num_decoder_blocks=(1, 1, 1, 1))
    vae.save_pretrained(folder)


@pytest.fixture(scope="module")
def taesd_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("taesd")
    write_tiny_taesd(root / "taesdxl")
    write_tiny_taesd(root / "taesd")
    return root


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return Engine(demo_root=tmp_path_factory.mktemp("demo-root"))


def job(model, family="sdxl") -> GenerationRequest:
    return GenerationRequest(model=str(model), prompt="a fox", steps=3, width=96, height=64,
                             guidance_scale=4.0, seed=5, family=family)


def run(engine, request, settings: Settings):
    engine.step_preview_decoder = TaesdPreviews(lambda: settings, engine.device, engine.dtype,
                                                budget=None)
    previews = []
    try:
        image = engine.generate(request, on_preview=lambda render: previews.append(render()))
    finally:
        engine.step_preview_decoder = None
    return image, previews


@pytest.mark.parametrize("family", ["sdxl", "sd15"])
def test_taesd_decodes_step_previews_at_the_pictures_size(engine, sdxl_demo, sd15_demo,
                                                          taesd_root, family):
    model = sdxl_demo if family == "sdxl" else sd15_demo
    settings = Settings(step_preview_decoder="taesd", taesd_folder=str(taesd_root))
    image, previews = run(engine, job(model, family), settings)
    approximate, approximated = run(engine, job(model, family), Settings())

    np.testing.assert_array_equal(np.array(image), np.array(approximate))  # previews only
    assert len(previews) == 3
    assert len(approximated) == 3
    # TAESD gives the picture's size (the padding cut off), the approximation 1/8 of it
    assert all(p.size == (96, 64) and p.mode == "RGB" for p in previews)
    assert all(p.size == (12, 8) for p in approximated)
    assert not any(NOTE_KEY in p.info for p in previews)
    shrunk = np.array(previews[-1].resize((12, 8), 2), dtype=int)
    assert np.abs(shrunk - np.array(approximated[-1], dtype=int)).mean() > 5  # another decoder


def test_the_decoded_preview_is_the_tiny_vae_output(taesd_root):
    vae = AutoencoderTiny.from_pretrained(taesd_root / "taesdxl")
    latents = torch.randn(1, 4, 6, 10, generator=torch.Generator().manual_seed(1))
    decoder = TaesdPreviews(lambda: Settings(step_preview_decoder="taesd",
                                             taesd_folder=str(taesd_root)))
    image = decoder(latents, "sdxl")
    with torch.no_grad():
        expected = vae.decode(latents).sample[0]
    expected = ((expected.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()
    assert image.size == (80, 48)
    assert np.abs(np.array(image, dtype=int) - expected.astype(int)).max() <= 1


def test_missing_taesd_falls_back_to_the_approximation_and_says_why(engine, sdxl_demo,
                                                                   tmp_path):
    settings = Settings(step_preview_decoder="taesd", taesd_folder=str(tmp_path / "none"))
    assert find_taesd(settings, "sdxl") is None  # the test cache is empty: nothing downloads
    _image, previews = run(engine, job(sdxl_demo), settings)
    assert all(p.size == (12, 8) for p in previews)
    note = previews[0].info[NOTE_KEY]
    assert "madebyollin/taesdxl" in note
    assert str(tmp_path / "none" / "taesdxl") in note
    assert "approximate" in note


def test_a_damaged_taesd_folder_falls_back_and_names_it(tmp_path):
    folder = tmp_path / "taesdxl"
    folder.mkdir()
    (folder / "config.json").write_text("{not json")
    (folder / "diffusion_pytorch_model.safetensors").write_bytes(b"garbage")
    decoder = TaesdPreviews(lambda: Settings(step_preview_decoder="taesd",
                                             taesd_folder=str(tmp_path)))
    latents = torch.zeros(1, 4, 4, 4)
    image = decoder(latents, "sdxl")
    assert np.array_equal(np.array(image), np.array(preview_image(latents, "sdxl")))
    assert "cannot be loaded" in image.info[NOTE_KEY]
    assert str(folder) in image.info[NOTE_KEY]


def test_the_app_hands_its_engine_a_decoder_that_follows_the_settings(engine, taesd_root,
                                                                      tmp_path):
    from t2ia_desktop.app import with_step_previews
    from t2ia_desktop.core.settings import SettingsStore

    store = SettingsStore(tmp_path / "settings.json")
    built = with_step_previews(lambda: engine, store)()
    try:
        decoder = built.step_preview_decoder
        latents = torch.zeros(1, 4, 4, 6)
        assert decoder(latents, "sdxl").size == (6, 4)  # the approximation, by default
        store.save(Settings(step_preview_decoder="taesd", taesd_folder=str(taesd_root)))
        assert decoder(latents, "sdxl").size == (48, 32)  # OK in Settings: the next preview
    finally:
        built.step_preview_decoder = None


def test_a_slow_taesd_leaves_the_steps_in_between_to_the_approximation(taesd_root):
    decoder = TaesdPreviews(lambda: Settings(step_preview_decoder="taesd",
                                             taesd_folder=str(taesd_root)), budget=0.25)
    latents = torch.zeros(1, 4, 4, 6)
    assert decoder(latents, "sdxl").size == (48, 32)  # the first one always decodes
    decoder._cost = 1000.0  # as if that decode had taken very long (a big picture on a CPU)
    quick = decoder(latents, "sdxl")
    assert quick.size == (6, 4)
    assert NOTE_KEY not in quick.info
    decoder._cost = 0.0  # as cheap as on a GPU: every step decodes
    assert decoder(latents, "sdxl").size == (48, 32)


def test_big_latents_are_decoded_at_the_previews_size(taesd_root):
    decoder = TaesdPreviews(lambda: Settings(step_preview_decoder="taesd",
                                             taesd_folder=str(taesd_root)), budget=None)
    image = decoder(torch.randn(1, 4, 128, 96), "sdxl")
    assert image.size == (192, 256)  # 1024 × 768 pictures preview at 256 on the long side
