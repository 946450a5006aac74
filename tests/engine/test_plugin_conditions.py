"""Plugin conditions in the engine: their detectors (the bundled HED one through controlnet_aux's
real loading on random weights), their errors, and real generations on the demo model."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from t2ia_desktop.cli.main import main
from t2ia_desktop.core.conditions.plugin_manifest import PluginFolder
from t2ia_desktop.core.conditions.plugins import default_plugin_folders, load_plugins
from t2ia_desktop.core.errors import BadInput, ModelUnavailable, T2IAError
from t2ia_desktop.engine.detectors import detect
from tests.engine.annotator_weights import _seeded, no_network
from tests.plugin_folders import write_plugin

HED_FILE = "ControlNetHED.pth"


@pytest.fixture(scope="module")
def registry():
    return load_plugins(default_plugin_folders(), entry_points=False)[0]


@pytest.fixture(scope="module")
def hed_folder(tmp_path_factory):
    """Random HED weights under the real file name, as controlnet_aux's HEDdetector reads them."""
    from controlnet_aux.hed import ControlNetHED_Apache2

    folder = tmp_path_factory.mktemp("hed")
    with no_network(), _seeded(0):
        torch.save(ControlNetHED_Apache2().state_dict(), folder / HED_FILE)
    return folder


def photo(size=(160, 120)) -> Image.Image:
    from skimage import data

    return Image.fromarray(data.astronaut()).resize(size)


def test_the_hed_plugin_runs_controlnet_aux_on_weights_read_safely(registry, hed_folder,
                                                                  monkeypatch):
    hed = registry.get("hed-soft-edges")
    with no_network():
        soft = detect(hed, photo(), {"detect_resolution": 128, "safe": False},
                      annotators=hed_folder)
        scribble = detect(hed, photo(), {"detect_resolution": 128, "scribble": True},
                          annotators=hed_folder)
    assert soft.mode == "L"
    assert soft.size == (160, 120)
    assert np.asarray(soft).std() > 0
    assert scribble.size == (160, 120)
    assert not np.array_equal(np.asarray(soft), np.asarray(scribble))  # the options reach HED


def test_the_hed_plugin_refuses_a_pickle_and_names_missing_weights(registry, tmp_path,
                                                                  monkeypatch):
    hed = registry.get("hed-soft-edges")
    with pytest.raises(ModelUnavailable, match=HED_FILE):
        detect(hed, photo(), {}, annotators=tmp_path)
    torch.save({"weights": torch.zeros(1), "code": BadInput("not a tensor")}, tmp_path / HED_FILE)
    with pytest.raises(BadInput, match="refused for safety"):
        detect(hed, photo(), {}, annotators=tmp_path)


def test_the_posterize_plugin_draws_outlines_or_shapes_from_the_paper_colour(registry):
    poster = registry.get("posterize-sketch")
    picture = Image.new("RGB", (64, 64), "white")
    picture.paste((0, 0, 0), (16, 16, 48, 48))
    outlines = np.asarray(detect(poster, picture, {"thin_lines": True}))
    assert outlines[16, 30] == 255
    assert outlines[30, 30] == 0
    assert outlines[2, 2] == 0
    shapes = np.asarray(detect(poster, picture, {"style": "shapes"}))
    assert shapes[30, 30] == 255
    assert shapes[2, 2] == 0
    on_black_paper = np.asarray(detect(poster, picture, {"style": "shapes", "paper": "#000000"}))
    assert on_black_paper[30, 30] == 0
    assert on_black_paper[2, 2] == 255
    transparent = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    assert np.asarray(detect(poster, transparent, {"style": "shapes"})).max() == 0


def test_a_plugin_detector_that_raises_or_returns_junk_is_one_error_naming_it(tmp_path):
    write_plugin(tmp_path, "buggy", """
        from t2ia_desktop.plugin_api import ConditionType

        def broken(image, params):
            return {"not": "an image"} if image.width == 7 else 1 / 0

        def register():
            return ConditionType("buggy", "Buggy", "", {"sdxl": "o/r"}, detector=broken)
    """)
    registry, _ = load_plugins([PluginFolder(tmp_path, "--plugins")], entry_points=False)
    with pytest.raises(T2IAError, match=r"The Buggy detector failed: ZeroDivisionError: "
                                        r"division by zero — from plugin Buggy"):
        detect(registry.get("buggy"), Image.new("RGB", (8, 8)))
    with pytest.raises(T2IAError, match="returned a dict, not a picture"):
        detect(registry.get("buggy"), Image.new("RGB", (7, 7)))


def cli_generate(tmp_path, model, condition, *extra) -> np.ndarray:
    source = tmp_path / "photo.png"
    photo((128, 128)).save(source)
    out = tmp_path / f"{condition}.png"
    code = main(["generate", "--model", str(model), "--prompt", "a harbour", "--control",
                 f"{condition}={source}", "--steps", "2", "--guidance", "3", "--width", "128",
                 "--height", "128", "--out", str(out), *extra])
    assert code == 0
    return np.asarray(Image.open(out))


def test_a_bundled_plugin_condition_generates_on_the_demo_model_with_its_sketch_adapter(
        tmp_path, sdxl_demo):
    image = cli_generate(tmp_path, sdxl_demo, "posterize-sketch", "--factor", "1")
    assert image.shape == (128, 128, 3)
    assert image.std() > 0
    raw = cli_generate(tmp_path, sdxl_demo, "sketch", "--raw-control")  # the same adapter…
    assert not np.array_equal(image, raw)  # …guided by the posterized photo instead


def test_a_plugin_with_its_own_adapter_folder_generates_through_plugins(tmp_path, sdxl_demo):
    plugin = write_plugin(tmp_path / "more", "own", """
        from PIL import ImageOps
        from t2ia_desktop.plugin_api import ConditionType

        def register():
            return ConditionType("own-lines", "Own lines", "", {"sdxl": "my_adapter"},
                                 detector=lambda image, params: ImageOps.grayscale(image))
    """)
    shutil.copytree(sdxl_demo / "adapters" / "sketch", plugin / "my_adapter")
    image = cli_generate(tmp_path, sdxl_demo, "own-lines", "--plugins", str(tmp_path / "more"))
    assert image.shape == (128, 128, 3)
    assert main(["generate", "--model", str(sdxl_demo), "--prompt", "x", "--control",
                 f"own-lines={tmp_path / 'photo.png'}", "--out", str(tmp_path / "x.png")]) == 2
