"""The keypose condition: OpenPose's real loading on random weights under the real file names,
its keypoints drawn in the keypose adapter's style, and a generation with the SD1.5 demo model.

Random body weights find no one, so the known-pose test replaces only the body network's
output (``Body.__call__``: candidates and people, in OpenPose's own arrays); controlnet_aux's
``detect_poses`` still reads them and normalises the points, and the app draws them.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image

from t2ia_desktop.cli.main import main
from t2ia_desktop.core.conditions.keypose import CENTRE, LEFT, RIGHT
from t2ia_desktop.core.conditions.registry import default_registry
from t2ia_desktop.core.errors import ModelUnavailable
from t2ia_desktop.engine.detectors import detect
from tests.engine.annotator_weights import ANNOTATOR_FILES, write_annotators

REGISTRY = default_registry()
KEYPOSE = REGISTRY.get("keypose")


@pytest.fixture(scope="module")
def annotators(tmp_path_factory):
    folder = write_annotators(tmp_path_factory.mktemp("keypose-annotators"), ("openpose",))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def photo() -> Image.Image:
    rng = np.random.default_rng(3)
    return Image.fromarray(rng.integers(0, 255, (300, 200, 3), dtype=np.uint8), "RGB")


def test_keypose_is_an_sd15_adapter_with_openpose_files_and_no_controlnet():
    assert KEYPOSE.adapters == {"sd15": "TencentARC/t2iadapter_keypose_sd14v1"}
    assert KEYPOSE.guides_for("sd15") == ("adapter",)
    assert KEYPOSE.guides_for("sdxl") == ()
    assert KEYPOSE.weight_files == ANNOTATOR_FILES["openpose"]
    assert "seg" not in REGISTRY  # no semantic segmentor in controlnet_aux 0.0.10


def test_random_weights_find_no_one_a_black_picture_at_the_input_size(annotators, photo):
    control = detect(KEYPOSE, photo, {"detect_resolution": 128}, annotators=annotators)
    assert control.size == photo.size
    assert control.mode == "RGB"
    assert not np.asarray(control).any()


def test_a_known_pose_is_drawn_in_the_keypose_style(annotators, photo, monkeypatch):
    from controlnet_aux.open_pose.body import Body

    seen = []
    # OpenPose-18 points as fractions of the picture: nose, neck, right shoulder/elbow,
    # left shoulder/elbow; the rest unseen.
    points = {0: (0.5, 0.1), 1: (0.5, 0.3), 2: (0.3, 0.3), 3: (0.3, 0.6),
              5: (0.7, 0.3), 6: (0.7, 0.6)}

    def found_body(self, pixels):
        height, width = pixels.shape[:2]
        seen.append(pixels.shape)
        candidate = np.array([[x * width, y * height, 0.9, i]
                              for i, (x, y) in enumerate(points.values())])
        person = np.full(20, -1.0)
        for row, index in enumerate(points):
            person[index] = row
        person[18], person[19] = 5.4, len(points)
        return candidate, person[None]

    monkeypatch.setattr(Body, "__call__", found_body)
    control = np.asarray(detect(KEYPOSE, photo, {"detect_resolution": 128},
                                annotators=annotators))
    assert seen == [(192, 128, 3)]  # detected at the detect resolution (sides of 64)
    assert control.shape == (300, 200, 3)  # drawn at the picture's own size

    def at(x, y):
        patch = control[round(y * 300) - 1:round(y * 300) + 2,
                        round(x * 200) - 1:round(x * 200) + 2].reshape(-1, 3)
        return {tuple(int(v) for v in p) for p in patch} - {(0, 0, 0)}

    assert at(0.7, 0.45) == {LEFT}  # the body's left upper arm (OpenPose 5 → 6)
    assert at(0.3, 0.45) == {RIGHT}  # its right upper arm
    assert at(0.5, 0.3) == {CENTRE}  # shoulder to shoulder; the neck is no joint
    assert at(0.5, 0.1) == {CENTRE}  # the nose
    assert at(0.5, 0.2) == set()  # no nose-to-neck line, as OpenPose would draw


def test_missing_openpose_files_are_one_clear_message(tmp_path, photo):
    with pytest.raises(ModelUnavailable, match="body_pose_model.pth"):
        detect(KEYPOSE, photo, annotators=tmp_path)


def test_keypose_generates_with_the_sd15_demo_adapter(tmp_path, monkeypatch, annotators,
                                                      sd15_demo, photo):
    assert (sd15_demo / "adapters" / "keypose" / "config.json").is_file()
    monkeypatch.setenv("T2IA_ANNOTATORS", str(annotators))
    source, out = tmp_path / "photo.png", tmp_path / "out.png"
    photo.save(source)
    code = main(["generate", "--model", str(sd15_demo), "--prompt", "a dancer",
                 "--control", f"keypose={source}", "--steps", "2", "--width", "128",
                 "--height", "128", "--out", str(out)])
    assert code == 0
    image = np.asarray(Image.open(out))
    assert image.shape == (128, 128, 3)
    assert image.std() > 0


def test_keypose_is_refused_for_sdxl_naming_the_family(tmp_path, capsys, sdxl_demo, photo):
    source = tmp_path / "photo.png"
    photo.save(source)
    code = main(["generate", "--model", str(sdxl_demo), "--prompt", "x", "--control",
                 f"keypose={source}", "--raw-control", "--steps", "2", "--width", "128",
                 "--height", "128", "--out", str(tmp_path / "never.png")])
    assert code == 2
    assert "SD15" in capsys.readouterr().err
