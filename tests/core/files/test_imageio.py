"""Reading images with clear errors, checking output paths, atomic PNG writes with metadata."""

from __future__ import annotations

import io
import json
from functools import partial

import pytest
from PIL import Image

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.files.imageio import check_output_path, open_image, save_png
from tests.builders import control, request


def _png_bytes(size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise(size, 60).convert("RGB").save(buffer, "PNG")
    return buffer.getvalue()


red_kite = partial(request, prompt="a red kite", negative_prompt="blurry", seed=42, steps=12,
                   scheduler="ddim", controls=(control(conditioning_scale=0.9),))


def test_open_image_reads_a_good_png_fully(tmp_path):
    path = tmp_path / "good.png"
    path.write_bytes(_png_bytes())
    image = open_image(path)
    assert image.size == (64, 48)
    assert image.mode == "RGB"
    path.unlink()  # fully decoded: no lazy read from a file that is gone
    assert image.tobytes()


def test_open_image_on_a_missing_file(tmp_path):
    with pytest.raises(BadInput, match="no such file"):
        open_image(tmp_path / "missing.png")


def test_open_image_on_a_folder(tmp_path):
    with pytest.raises(BadInput):
        open_image(tmp_path)


def test_open_image_on_a_text_file_named_png(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("this is not a picture\n")
    with pytest.raises(BadInput, match="not a readable image"):
        open_image(path)


def test_open_image_on_a_truncated_png(tmp_path):
    data = _png_bytes((256, 256))
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(BadInput, match="not a readable image"):
        open_image(path)


def test_check_output_path_accepts_png_in_an_existing_folder(tmp_path):
    assert check_output_path(tmp_path / "out.png") == tmp_path / "out.png"
    assert check_output_path(tmp_path / "OUT.PNG") == tmp_path / "OUT.PNG"


@pytest.mark.parametrize("name", ["out.jpg", "out", "out.png.txt"])
def test_check_output_path_rejects_other_suffixes(tmp_path, name):
    with pytest.raises(BadInput, match=r"\.png"):
        check_output_path(tmp_path / name)


def test_check_output_path_rejects_a_missing_folder(tmp_path):
    with pytest.raises(BadInput, match="does not exist"):
        check_output_path(tmp_path / "no" / "such" / "out.png")


def test_save_png_writes_atomically_with_metadata(tmp_path):
    out = tmp_path / "result.png"
    request = red_kite()
    image = Image.new("RGB", (64, 64), (10, 20, 30))

    save_png(image, out, request)

    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.png"]  # no temp file left
    with Image.open(out) as saved:
        saved.load()
        assert saved.size == (64, 64)
        assert saved.getpixel((5, 5)) == (10, 20, 30)
        metadata = json.loads(saved.text["t2ia"])
        parameters = saved.text["parameters"]
    assert metadata == json.loads(json.dumps(request.to_metadata()))
    assert metadata["controls"][0]["image_sha256"] == request.controls[0].image_hash()
    assert parameters.splitlines()[0] == "a red kite"
    assert "Negative prompt: blurry" in parameters
    for part in ("Steps: 12", "Sampler: ddim", "Seed: 42", "Size: 64x64", "Model: demo"):
        assert part in parameters


def test_save_png_without_request_has_no_t2ia_chunk(tmp_path):
    out = tmp_path / "control.png"
    save_png(Image.new("L", (8, 8), 255), out)
    with Image.open(out) as saved:
        assert "t2ia" not in saved.text
        assert saved.mode == "L"


def test_save_png_replaces_an_existing_file(tmp_path):
    out = tmp_path / "result.png"
    save_png(Image.new("RGB", (8, 8), (255, 0, 0)), out)
    save_png(Image.new("RGB", (8, 8), (0, 255, 0)), out)
    with Image.open(out) as saved:
        assert saved.convert("RGB").getpixel((0, 0)) == (0, 255, 0)
    assert [p.name for p in tmp_path.iterdir()] == ["result.png"]


def test_a_failed_save_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    out = tmp_path / "result.png"
    save_png(Image.new("RGB", (8, 8), (255, 0, 0)), out)
    before = out.read_bytes()

    with pytest.raises(OSError, match="CMYK"):
        save_png(Image.new("CMYK", (8, 8)), out)  # PNG cannot hold CMYK

    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["result.png"]
