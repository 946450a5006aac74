"""Weighted detectors through controlnet_aux's real loading code, and odd pictures for all.

The weights are random (``annotator_weights.py``) but saved under the real file names of
``lllyasviel/Annotators`` in the layouts controlnet_aux reads, so ``XDetector.from_pretrained``
runs exactly as it does on the real files. Nothing is mocked and nothing reaches the network.
"""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from t2ia_desktop.core.conditions.registry import default_registry
from t2ia_desktop.core.errors import BadInput, ModelUnavailable
from t2ia_desktop.engine import detectors
from t2ia_desktop.engine.detectors import detect
from tests.engine.annotator_weights import (
    ANNOTATOR_FILES,
    lineart_network,
    no_network,
    write_annotators,
)

REGISTRY = default_registry()
WEIGHTED = ["lineart", "depth-midas", "openpose"]  # depth-zoe: see the slow tests at the end
MODES = {"sketch": "L", "lineart": "L", "canny": "L", "depth-midas": "RGB", "depth-zoe": "RGB",
         "openpose": "RGB", "color": "RGB"}
FAST = {"detect_resolution": 128}  # the smallest useful size keeps each network run < 1 s

# controlnet_aux asks timm for MiDaS's backbone by its pre-1.0 name (no weights are fetched).
pytestmark = pytest.mark.filterwarnings("ignore:Mapping deprecated model name:UserWarning")


@pytest.fixture(scope="session")
def annotators(tmp_path_factory):
    """Random lineart, MiDaS and OpenPose files (≈ 0.8 GB), written once, deleted afterwards."""
    folder = write_annotators(tmp_path_factory.mktemp("annotators"),
                              ("lineart", "midas", "openpose"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)  # pytest would keep it for three more runs


@pytest.fixture(scope="session")
def zoe_annotators(tmp_path_factory):
    """Random Zoe weights (≈ 1.3 GB), written only when a Zoe test runs."""
    folder = write_annotators(tmp_path_factory.mktemp("zoe-annotators"), ("zoe",))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def tmp_path(tmp_path):
    """pytest's tmp_path, emptied afterwards: copies of weights would pile up over runs."""
    yield tmp_path
    shutil.rmtree(tmp_path, ignore_errors=True)


@pytest.fixture(scope="module", autouse=True)
def _release_detectors():
    """Loaded detectors stay cached between these tests; free them for the rest of the run."""
    yield
    detectors._LOADED.clear()


@pytest.fixture(autouse=True)
def _offline():
    with no_network():
        yield


@pytest.fixture(scope="session")
def photo() -> Image.Image:
    """A real photograph, 160×120: small, not square, sides not multiples of 64."""
    from skimage import data

    return Image.fromarray(data.astronaut()[:384, 64:576]).resize(
        (160, 120), Image.Resampling.LANCZOS)


def link_all(source: Path, folder: Path, files, skip=()) -> Path:
    """``folder`` with hard links (or copies) of ``files`` from ``source``, but not ``skip``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in files:
        if name not in skip:
            try:
                os.link(source / name, folder / name)
            except OSError:
                shutil.copy(source / name, folder / name)
    return folder


# -- the real file names ----------------------------------------------------------------------

@pytest.mark.parametrize("condition", ["lineart", "depth-midas", "depth-zoe", "openpose"])
def test_conditions_name_the_files_the_detectors_read(condition):
    spec = REGISTRY.get(condition)
    assert spec.weight_files == detectors.WEIGHT_FILES[spec.detector]
    assert spec.weight_files == ANNOTATOR_FILES[spec.detector]


# -- each weighted detector on a photograph -----------------------------------------------------

@pytest.mark.parametrize("condition", WEIGHTED)
def test_detector_runs_on_random_weights_at_the_input_size(condition, annotators, photo,
                                                           monkeypatch):
    control = detect(REGISTRY.get(condition), photo, FAST, annotators=annotators)
    assert isinstance(control, Image.Image)
    assert control.size == photo.size
    assert control.mode == MODES[condition]
    if condition != "openpose":  # random body weights find no one: a black canvas
        assert len(np.unique(np.asarray(control))) > 8


def test_lineart_coarse_and_fine_use_different_networks(annotators, photo, monkeypatch):
    lineart = REGISTRY.get("lineart")
    fine = np.asarray(detect(lineart, photo, {**FAST, "coarse": False}, annotators=annotators),
                      dtype=int)
    coarse = np.asarray(detect(lineart, photo, {**FAST, "coarse": True}, annotators=annotators),
                        dtype=int)
    assert np.abs(fine - coarse).mean() > 5
    again = np.asarray(detect(lineart, photo, {**FAST, "coarse": False}, annotators=annotators),
                       dtype=int)
    assert np.array_equal(fine, again)


@pytest.mark.parametrize("condition", ["lineart", "depth-midas"])
def test_detect_resolution_is_honoured(condition, annotators, photo, monkeypatch):
    spec = REGISTRY.get(condition)
    low = detect(spec, photo, {"detect_resolution": 64}, annotators=annotators)
    high = detect(spec, photo, {"detect_resolution": 192}, annotators=annotators)
    assert low.size == high.size == photo.size
    assert not np.array_equal(np.asarray(low), np.asarray(high))


def test_midas_depth_is_grey_in_rgb(annotators, photo, monkeypatch):
    depth = np.asarray(detect(REGISTRY.get("depth-midas"), photo, FAST, annotators=annotators))
    assert np.array_equal(depth[..., 0], depth[..., 1])
    assert np.array_equal(depth[..., 0], depth[..., 2])


@pytest.mark.parametrize(("hand", "face"), [(True, False), (False, True), (True, True)])
def test_openpose_hand_and_face_switches(hand, face, annotators, photo, monkeypatch):
    control = detect(REGISTRY.get("openpose"), photo,
                     {**FAST, "include_hand": hand, "include_face": face}, annotators=annotators)
    assert control.size == photo.size
    assert control.mode == "RGB"


def test_openpose_loads_all_three_files_into_their_networks(annotators, photo, monkeypatch):
    from controlnet_aux import OpenposeDetector

    loaded = []
    real = OpenposeDetector.from_pretrained

    def counting(*args, **kwargs):
        loaded.append(real(*args, **kwargs))
        return loaded[-1]

    monkeypatch.setattr(OpenposeDetector, "from_pretrained", counting)
    monkeypatch.setattr(detectors, "_LOADED", {})
    detect(REGISTRY.get("openpose"), photo, FAST, annotators=annotators)
    (detector,) = loaded
    for network, name, prefix in [(detector.body_estimation.model, "body_pose_model.pth", True),
                                  (detector.hand_estimation.model, "hand_pose_model.pth", True),
                                  (detector.face_estimation.model, "facenet.pth", False)]:
        saved = torch.load(annotators / name, weights_only=True)
        key, value = next(iter(network.state_dict().items()))
        assert torch.equal(value, saved[key.split(".", 1)[1] if prefix else key])


# -- loading once ------------------------------------------------------------------------------

def test_a_loaded_detector_is_reused_per_folder(annotators, photo, monkeypatch, tmp_path):
    from controlnet_aux import LineartDetector

    calls = []
    real = LineartDetector.from_pretrained

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(LineartDetector, "from_pretrained", counting)
    monkeypatch.setattr(detectors, "_LOADED", {})
    lineart = REGISTRY.get("lineart")
    detect(lineart, photo, FAST, annotators=annotators)
    detect(lineart, photo, {**FAST, "coarse": True}, annotators=annotators)
    assert calls == [str(annotators)]

    other = link_all(annotators, tmp_path / "other", ANNOTATOR_FILES["lineart"])
    detect(lineart, photo, FAST, annotators=other)
    detect(lineart, photo, FAST, annotators=other)
    assert calls == [str(annotators), str(other)]

    (other / "sk_model.pth").unlink()  # a replaced file is loaded anew
    torch.save(lineart_network(seed=5).state_dict(), other / "sk_model.pth")
    detect(lineart, photo, FAST, annotators=other)
    assert calls == [str(annotators), str(other), str(other)]


def test_weights_in_the_hugging_face_cache_are_found(annotators, photo, monkeypatch, tmp_path):
    from huggingface_hub import constants

    repo = tmp_path / "hub" / "models--lllyasviel--Annotators"
    revision = "0123456789abcdef0123456789abcdef01234567"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(revision)
    link_all(annotators, repo / "snapshots" / revision, ANNOTATOR_FILES["lineart"])
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.delenv("T2IA_ANNOTATORS", raising=False)
    control = detect(REGISTRY.get("lineart"), photo, FAST)
    assert control.size == photo.size


# -- files that are missing, damaged, mismatched or malicious --------------------------------

@pytest.mark.parametrize("condition", ["lineart", "depth-midas", "depth-zoe", "openpose"])
def test_missing_file_names_the_file_and_the_folder(condition, annotators, monkeypatch,
                                                    tmp_path):
    files = REGISTRY.get(condition).weight_files
    gone = files[-1]
    link_all(annotators, tmp_path, files, skip=(gone,))
    with pytest.raises(ModelUnavailable) as caught:
        detect(REGISTRY.get(condition), Image.new("RGB", (64, 64)), annotators=tmp_path)
    message = str(caught.value)
    assert f"{gone} is missing from {tmp_path}" in message
    assert "huggingface.co/lllyasviel/Annotators" in message


def test_without_a_folder_the_message_says_how_to_set_one(monkeypatch):
    monkeypatch.delenv("T2IA_ANNOTATORS", raising=False)
    with pytest.raises(ModelUnavailable, match="ZoeD_M12_N.pt.*offline.*T2IA_ANNOTATORS"):
        detect(REGISTRY.get("depth-zoe"), Image.new("RGB", (64, 64)))


def lineart_folder(annotators: Path, tmp_path: Path, bad: str) -> Path:
    return link_all(annotators, tmp_path / "weights", ANNOTATOR_FILES["lineart"], skip=(bad,))


@pytest.mark.parametrize("bad", ["sk_model.pth", "sk_model2.pth"])
def test_truncated_file_is_named(bad, annotators, monkeypatch, tmp_path):
    folder = lineart_folder(annotators, tmp_path, bad)
    data = (annotators / bad).read_bytes()
    (folder / bad).write_bytes(data[: len(data) // 2])
    with pytest.raises(BadInput, match=f"{folder / bad} is not a valid weights file: it is "
                                       "damaged or incomplete"):
        detect(REGISTRY.get("lineart"), Image.new("RGB", (64, 64)), annotators=folder)


@pytest.mark.parametrize("bad", ["sk_model.pth", "sk_model2.pth"])
def test_wrong_shapes_name_the_file(bad, annotators, monkeypatch, tmp_path):
    folder = lineart_folder(annotators, tmp_path, bad)
    state = lineart_network(seed=3).state_dict()
    state["model0.1.weight"] = torch.zeros(32, 3, 7, 7)  # the real first layer has 64 filters
    torch.save(state, folder / bad)
    with pytest.raises(BadInput) as caught:
        detect(REGISTRY.get("lineart"), Image.new("RGB", (64, 64)), annotators=folder)
    message = str(caught.value)
    assert message.startswith(f"{folder / bad} does not fit the lineart detector's network")
    assert "size mismatch for model0.1.weight" in message
    other = ({"sk_model.pth", "sk_model2.pth"} - {bad}).pop()
    assert other not in message


def test_another_models_file_is_named(annotators, monkeypatch, tmp_path):
    folder = link_all(annotators, tmp_path / "weights", ANNOTATOR_FILES["openpose"],
                      skip=("body_pose_model.pth",))
    shutil.copy(annotators / "hand_pose_model.pth", folder / "body_pose_model.pth")
    with pytest.raises(BadInput, match=f"{folder / 'body_pose_model.pth'} does not fit the "
                                       "openpose detector's network .*lacks the weight"):
        detect(REGISTRY.get("openpose"), Image.new("RGB", (64, 64)), annotators=folder)


@pytest.mark.parametrize("content", [b"", b"<html>Not Found</html>"])
def test_a_file_that_is_not_weights_is_refused(content, annotators, monkeypatch, tmp_path):
    folder = lineart_folder(annotators, tmp_path, "sk_model.pth")
    (folder / "sk_model.pth").write_bytes(content)
    with pytest.raises(BadInput, match="sk_model.pth is not a valid weights file"):
        detect(REGISTRY.get("lineart"), Image.new("RGB", (64, 64)), annotators=folder)


def test_a_file_without_a_state_dict_is_refused(annotators, monkeypatch, tmp_path):
    folder = lineart_folder(annotators, tmp_path, "sk_model2.pth")
    torch.save([torch.zeros(3)], folder / "sk_model2.pth")
    with pytest.raises(BadInput, match="sk_model2.pth is not a valid weights file: it holds a "
                                       "list"):
        detect(REGISTRY.get("lineart"), Image.new("RGB", (64, 64)), annotators=folder)


class Payload:
    """Unpickling this would create ``marker``: what a booby-trapped checkpoint could do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def write_payload(path: Path, marker: Path, how: str) -> None:
    checkpoint = {"model0.1.weight": Payload(marker)}
    if how == "torch.save":
        torch.save(checkpoint, path)
    else:
        path.write_bytes(pickle.dumps(checkpoint))


@pytest.mark.parametrize("how", ["torch.save", "pickle"])
@pytest.mark.parametrize("force_unsafe", [False, True])
@pytest.mark.filterwarnings("ignore:Detected pickle protocol:UserWarning")
def test_a_pickle_that_would_run_code_is_refused(how, force_unsafe, annotators, monkeypatch,
                                                 tmp_path):
    marker = tmp_path / "code-ran"
    folder = lineart_folder(annotators, tmp_path, "sk_model.pth")
    write_payload(folder / "sk_model.pth", marker, how)
    if force_unsafe:  # torch's switch back to unsafe loading: the app still asks for safe
        monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    with pytest.raises(BadInput, match="sk_model.pth is not a valid weights file: .*refused "
                                       "for safety"):
        detect(REGISTRY.get("lineart"), Image.new("RGB", (64, 64)), annotators=folder)
    assert not marker.exists()


def test_controlnet_aux_itself_loads_weights_only(annotators, monkeypatch, tmp_path):
    """The detectors' own torch.load calls pass no weights_only: torch's default must be safe."""
    from controlnet_aux import LineartDetector

    monkeypatch.delenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", raising=False)
    marker = tmp_path / "code-ran"
    folder = lineart_folder(annotators, tmp_path, "sk_model.pth")
    write_payload(folder / "sk_model.pth", marker, "torch.save")
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        LineartDetector.from_pretrained(str(folder))
    assert not marker.exists()


def test_a_failed_load_is_retried_once_the_file_is_fixed(annotators, photo, monkeypatch,
                                                         tmp_path):
    folder = lineart_folder(annotators, tmp_path, "sk_model.pth")
    (folder / "sk_model.pth").write_bytes(b"oops")
    with pytest.raises(BadInput):
        detect(REGISTRY.get("lineart"), photo, FAST, annotators=folder)
    shutil.copy(annotators / "sk_model.pth", folder / "sk_model.pth")
    assert detect(REGISTRY.get("lineart"), photo, FAST, annotators=folder).size == photo.size


# -- odd pictures, every detector ------------------------------------------------------------

def odd_picture(kind: str, photo: Image.Image) -> Image.Image:
    if kind == "tiny":
        return photo.resize((20, 30))
    if kind == "grey":
        return photo.convert("L")
    if kind == "rgba":
        alpha = Image.linear_gradient("L").resize(photo.size)
        return Image.merge("RGBA", (*photo.split(), alpha))
    if kind == "16-bit":
        sixteen = Image.fromarray(np.asarray(photo.convert("L"), dtype=np.uint16) * 257)
        assert sixteen.mode == "I;16"
        return sixteen
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["tiny", "grey", "rgba", "16-bit"])
@pytest.mark.parametrize("condition", ["sketch", "canny", "color", *WEIGHTED])
def test_odd_pictures_come_back_at_their_size(condition, kind, annotators, photo, monkeypatch):
    picture = odd_picture(kind, photo)
    params = FAST if "detect_resolution" in REGISTRY.get(condition).default_params() else {}
    control = detect(REGISTRY.get(condition), picture, params, annotators=annotators)
    assert control.size == picture.size
    assert control.mode == MODES[condition]


@pytest.mark.parametrize("mode", ["1", "P", "PA", "CMYK", "YCbCr", "LA", "I", "F"])
@pytest.mark.parametrize("condition", ["sketch", "canny", "color", "lineart"])
def test_other_pillow_modes_are_read(condition, mode, annotators, photo, monkeypatch):
    picture = (photo.convert("L").convert(mode) if mode in ("1", "I", "F", "LA")
               else photo.convert(mode))
    params = FAST if "detect_resolution" in REGISTRY.get(condition).default_params() else {}
    control = detect(REGISTRY.get(condition), picture, params, annotators=annotators)
    assert control.size == picture.size
    assert control.mode == MODES[condition]


@pytest.mark.parametrize("condition", ["sketch", "canny", "lineart"])
def test_16_bit_pictures_are_scaled_not_clipped(condition, annotators, photo, monkeypatch):
    spec = REGISTRY.get(condition)
    params = FAST if "detect_resolution" in spec.default_params() else {}
    eight = np.asarray(detect(spec, photo.convert("L"), params, annotators=annotators), dtype=int)
    sixteen = np.asarray(detect(spec, odd_picture("16-bit", photo), params,
                                annotators=annotators), dtype=int)
    assert np.abs(eight - sixteen).max() <= 1


@pytest.mark.parametrize("condition", ["canny", *WEIGHTED, "depth-zoe"])
def test_a_long_thin_strip_is_refused_before_any_weights_load(condition, monkeypatch, tmp_path):
    # no weights in tmp_path: the picture is checked first
    with pytest.raises(BadInput, match="3000×20 pixels, too long and thin .* at most 32:1"):
        detect(REGISTRY.get(condition), Image.new("RGB", (3000, 20)), annotators=tmp_path)


@pytest.mark.parametrize("condition", ["sketch", "canny", "color", "lineart"])
def test_an_empty_picture_is_refused(condition, monkeypatch, tmp_path):
    with pytest.raises(BadInput, match="empty"):
        detect(REGISTRY.get(condition), Image.new("RGB", (0, 10)), annotators=tmp_path)


def test_a_strip_within_the_ratio_keeps_its_size(annotators, monkeypatch):
    strip = Image.new("RGB", (1200, 40), "grey")
    assert detect(REGISTRY.get("lineart"), strip, FAST, annotators=annotators).size == (1200, 40)


# -- Zoe: one network of 345 M parameters ----------------------------------------------------

@pytest.mark.slow  # ≈ 20 s: 1.3 GB of random weights written and loaded, 2 pictures
def test_zoe_runs_on_random_weights_at_the_input_size(zoe_annotators, monkeypatch):
    from skimage import data

    # Zoe resizes every picture to about 384×512 inside; a portrait one it handles at 384×256,
    # half the work of a landscape one.
    portrait = Image.fromarray(data.astronaut()[:, 64:448]).resize((120, 160))
    zoe = REGISTRY.get("depth-zoe")
    control = detect(zoe, portrait, FAST, annotators=zoe_annotators)
    assert control.size == portrait.size
    assert control.mode == "RGB"
    assert len(np.unique(np.asarray(control))) > 8
    tiny = odd_picture("16-bit", portrait.resize((20, 30)))
    assert detect(zoe, tiny, FAST, annotators=zoe_annotators).size == (20, 30)


@pytest.mark.slow  # ≈ 5 s: builds the Zoe network to find the file has none of its weights
def test_zoe_file_lacking_weights_is_refused(monkeypatch, tmp_path):
    # ZoeDetector loads with strict=False under timm ≥ 1.0: this file would "load" silently
    # and give an untrained network.
    torch.save({"model": {}}, tmp_path / "ZoeD_M12_N.pt")
    with pytest.raises(BadInput, match="ZoeD_M12_N.pt does not fit the zoe detector's network: "
                                       "it lacks"):
        detect(REGISTRY.get("depth-zoe"), Image.new("RGB", (64, 64)), annotators=tmp_path)


# -- PiDiNet: a sketch from a photo -----------------------------------------------------------

@pytest.fixture(scope="module")
def pidinet_folder(tmp_path_factory):
    from tests.engine.annotator_weights import write_annotators

    return write_annotators(tmp_path_factory.mktemp("pidinet"), ("pidinet",))


def test_sketch_of_a_photo_uses_pidinet_when_its_weights_are_here(monkeypatch, pidinet_folder):
    from skimage import data

    photo = Image.fromarray(data.astronaut()).resize((160, 160))
    lines = np.array(detect(REGISTRY.get("sketch"), photo, {"method": "lines"}))
    soft = detect(REGISTRY.get("sketch"), photo, {"detect_resolution": 128},
                  annotators=pidinet_folder)
    assert soft.mode == "L"
    assert soft.size == (160, 160)
    assert not np.array_equal(np.array(soft), lines)  # not the weightless method
    drawn = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    drawn.paste((0, 0, 0, 255), (10, 30, 54, 34))
    strokes = np.array(detect(REGISTRY.get("sketch"), drawn, annotators=pidinet_folder))
    assert strokes[32, 20] == 255
    assert strokes[5, 5] == 0


def test_pidinet_without_weights_names_the_file(monkeypatch, tmp_path):
    photo = Image.new("RGB", (96, 96), "gray")
    with pytest.raises(ModelUnavailable, match="table5_pidinet.pth"):
        detect(REGISTRY.get("sketch"), photo, {"method": "pidinet"}, annotators=tmp_path)
    # auto falls back to the lines
    auto = np.array(detect(REGISTRY.get("sketch"), photo, annotators=tmp_path))
    assert auto.shape == (96, 96)
