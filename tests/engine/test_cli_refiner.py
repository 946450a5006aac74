"""`generate --refiner/--refine-from/--original-size/--crop/--negative-prompt-2` on the demo."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from t2ia_desktop.cli.main import main
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.engine.demo.refiner import write_demo_refiner


@pytest.fixture(scope="module")
def refiner_folder(tmp_path_factory, sdxl_demo):
    return write_demo_refiner(tmp_path_factory.mktemp("refiner") / "refiner", sdxl_demo)


def test_the_command_line_passes_the_sdxl_extras(tmp_path, sdxl_demo, refiner_folder, capsys):
    from t2ia_desktop.engine.generate import Engine

    out = tmp_path / "out.png"
    status = main(["generate", "--model", str(sdxl_demo), "--prompt", "a boat", "--steps", "3",
                   "--width", "64", "--height", "64", "--seed", "5", "--guidance", "4",
                   "--refiner", str(refiner_folder), "--refine-from", "0.5",
                   "--original-size", "256x128", "--crop", "8,4", "--aesthetic-score", "7",
                   "--negative-prompt-2", "rain", "--out", str(out)])
    assert status == 0, capsys.readouterr().err
    with Image.open(out) as image:
        metadata = json.loads(image.text["t2ia"])
        ours = np.array(image.convert("RGB"))
    assert metadata["refiner"] == str(refiner_folder)
    assert metadata["refiner_switch"] == 0.5
    assert metadata["original_size"] == [128, 256]  # diffusers' (height, width)
    assert metadata["crops_coords_top_left"] == [4, 8]  # (top, left)
    assert metadata["negative_prompt_2"] == "rain"
    assert metadata["aesthetic_score"] == 7.0

    request = GenerationRequest(
        model=str(sdxl_demo), prompt="a boat", steps=3, width=64, height=64, seed=5,
        guidance_scale=4.0, refiner=str(refiner_folder), refiner_switch=0.5,
        original_size=(128, 256), crops_coords_top_left=(4, 8), aesthetic_score=7.0,
        negative_prompt_2="rain")
    np.testing.assert_array_equal(ours, np.array(Engine(device="cpu").generate(request)))


@pytest.mark.parametrize(("extra", "words"), [
    (["--original-size", "512"], "WIDTHxHEIGHT"),
    (["--crop", "left"], "LEFT,TOP"),
    (["--refiner", "demo-refiner", "--refine-from", "1.5"], "refiner switch"),
    (["--refiner", "demo-refiner", "--family", "sd15", "--model", "demo"], "only with SDXL"),
])
def test_bad_sdxl_options_fail_with_one_line(tmp_path, sdxl_demo, capsys, extra, words):
    args = ["generate", "--model", str(sdxl_demo), "--prompt", "a boat",
            "--out", str(tmp_path / "o.png")]
    if "--model" in extra:
        args = args[:1] + args[3:]
    assert main([*args, *extra]) == 2
    assert words in capsys.readouterr().err
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize("masked", [False, True])
def test_the_command_line_refines_img2img_and_inpainting(tmp_path, sdxl_demo, refiner_folder,
                                                        capsys, masked):
    from t2ia_desktop.engine.generate import Engine

    rng = np.random.default_rng(4)
    photo = Image.fromarray(rng.integers(0, 255, (64, 96, 3), np.uint8))
    mask = Image.new("L", photo.size, 0)
    mask.paste(255, (16, 8, 64, 48))
    photo.save(tmp_path / "photo.png")
    mask.save(tmp_path / "mask.png")
    out = tmp_path / "out.png"
    args = ["generate", "--model", str(sdxl_demo), "--prompt", "a boat", "--steps", "4",
            "--seed", "8", "--guidance", "3", "--init-image", str(tmp_path / "photo.png"),
            "--strength", "0.75", "--refiner", str(refiner_folder), "--refine-from", "0.5",
            "--out", str(out)]
    if masked:
        args += ["--mask", str(tmp_path / "mask.png")]
    assert main(args) == 0, capsys.readouterr().err
    with Image.open(out) as image:
        metadata = json.loads(image.text["t2ia"])
        ours = np.array(image.convert("RGB"))
    assert metadata["refiner"] == str(refiner_folder)
    assert metadata["refiner_switch"] == 0.5
    assert metadata["strength"] == 0.75
    assert ("mask_image_sha256" in metadata) == masked
    assert ours.shape == (64, 96, 3)
    if masked:
        keep = np.array(mask) == 0
        np.testing.assert_array_equal(ours[keep], np.array(photo)[keep])

    request = GenerationRequest(
        model=str(sdxl_demo), prompt="a boat", steps=4, width=96, height=64, seed=8,
        guidance_scale=3.0, init_image=Image.open(tmp_path / "photo.png"), strength=0.75,
        mask_image=Image.open(tmp_path / "mask.png") if masked else None,
        refiner=str(refiner_folder), refiner_switch=0.5)
    engine = Engine(device="cpu")
    np.testing.assert_array_equal(ours, np.array(engine.generate(request)))
    assert engine.last_injection is not None
    assert engine.refiners._key is not None
