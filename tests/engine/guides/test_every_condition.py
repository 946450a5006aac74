"""Every built-in condition generates end to end on the demo model through the CLI."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from t2ia_desktop.cli.main import main
from t2ia_desktop.core.conditions.registry import builtin_conditions

CASES = [(c.id, family) for c in builtin_conditions() for family in c.adapters]


def generate(tmp_path, model, condition, image, *extra):
    source = tmp_path / f"{condition}.png"
    image.save(source)
    out = tmp_path / f"{condition}-out.png"
    code = main(["generate", "--model", str(model), "--prompt", "a harbour",
                 "--control", f"{condition}={source}", "--steps", "2", "--guidance", "3",
                 "--width", "128", "--height", "128", "--out", str(out), *extra])
    assert code == 0
    return np.array(Image.open(out))


@pytest.mark.parametrize(("condition", "family"), CASES)
def test_raw_control_for_every_condition_and_family(
    tmp_path, sdxl_demo, sd15_demo, depth_image, condition, family
):
    model = sdxl_demo if family == "sdxl" else sd15_demo
    image = generate(tmp_path, model, condition, depth_image, "--raw-control")
    assert image.shape == (128, 128, 3)
    assert image.std() > 0


@pytest.mark.parametrize("condition", ["sketch", "canny"])
def test_weightless_detectors_run_before_generating(tmp_path, sdxl_demo, condition):
    photo = Image.new("RGB", (128, 128), "white")
    photo.paste((20, 20, 20), (30, 30, 100, 100))
    image = generate(tmp_path, sdxl_demo, condition, photo)
    assert image.shape == (128, 128, 3)


def test_colour_palette_detector_on_sd15(tmp_path, sd15_demo, depth_image):
    image = generate(tmp_path, sd15_demo, "color", depth_image)
    assert image.shape == (128, 128, 3)


def test_a_weighted_detector_reads_the_annotators_folder(tmp_path, monkeypatch, sdxl_demo,
                                                        depth_image):
    from tests.engine.annotator_weights import write_annotators

    monkeypatch.setenv("T2IA_ANNOTATORS", str(write_annotators(tmp_path / "ann", ("lineart",))))
    image = generate(tmp_path, sdxl_demo, "lineart", depth_image)
    assert image.shape == (128, 128, 3)


def test_a_weighted_detector_without_weights_is_one_clear_line(tmp_path, monkeypatch, capsys,
                                                             sdxl_demo, depth_image):
    monkeypatch.setenv("T2IA_ANNOTATORS", str(tmp_path))
    source = tmp_path / "photo.png"
    depth_image.save(source)
    out = tmp_path / "never.png"
    code = main(["generate", "--model", str(sdxl_demo), "--prompt", "x", "--control",
                 f"openpose={source}", "--steps", "2", "--width", "128", "--height", "128",
                 "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1
    assert "body_pose_model.pth" in err[0]
    assert not out.exists()
