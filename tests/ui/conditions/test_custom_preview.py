"""A plugin condition's custom preview (API 1.1) in the Preview dock: shown instead of the raw
control image, and its exceptions kept to that layer's preview, never to detection or
generation. Also the bundled Posterize sketch plugin's coloured levels."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from t2ia_desktop.core.conditions.plugin_manifest import PluginFolder
from t2ia_desktop.core.conditions.plugins import PluginHost
from t2ia_desktop.core.conditions.registry import ConditionRegistry
from t2ia_desktop.core.generation.jobs import JobState
from t2ia_desktop.ui.common.styles import ERROR_STYLE
from t2ia_desktop.ui.conditions.custom_preview import custom_preview
from tests.plugin_folders import hung, write_plugin
from tests.ui import plugin_window
from tests.ui.helpers import DETECT_TIMEOUT, detected, finish_pending, menu_action

BUNDLED = Path(__file__).resolve().parents[3] / "plugins"
__all__ = ["hung"]  # the fixture

TINT_CODE = '''
from PIL import Image, ImageOps

from t2ia_desktop.plugin_api import API_MINOR, ConditionType, ParamSpec, sdxl_adapter


def detect(image, params):
    return Image.new("L", image.size, params["grey"])


def tint(control, params):
    if params["grey"] < 100:
        raise ValueError("too dark to tint")
    return ImageOps.colorize(control.convert("L"), black="#000000", white=params["ink"])


def register():
    assert API_MINOR >= 1
    return ConditionType(
        "tinted", "Tinted", "A flat grey, previewed in colour",
        {"sdxl": sdxl_adapter("sketch")},
        detector=detect,
        params=(ParamSpec("grey", "int", 255, "Grey", 0, 255),
                ParamSpec("ink", "colour", "#ff0000", "Ink")),
        preview=tint,
    )
'''


@pytest.fixture
def host(tmp_path) -> PluginHost:
    root = tmp_path / "plugins"
    write_plugin(root, "tinted", TINT_CODE)
    return PluginHost([PluginFolder(root, "--plugins"), PluginFolder(BUNDLED, "bundled")],
                      tmp_path / "plugins.json", entry_points=False)


# the preview scheduler, condition updater and Plugins controller on this module's host
scheduler, updater, plugins = plugin_window.scheduler, plugin_window.updater, plugin_window.plugins


def add_condition(qtbot, window, condition: str):
    with detected(qtbot, window.document):
        menu_action(window, condition).trigger()
    return window.current_condition


def shown_colour(panel) -> tuple[int, int, int]:
    image = panel.control_view.override
    colour = image.pixelColor(image.width() // 2, image.height() // 2)
    return colour.red(), colour.green(), colour.blue()


def test_the_custom_preview_replaces_the_control_image_and_its_error_stays_there(
        qtbot, window, plugins, loop, engine):
    assert not plugins.host.failed()
    layer = add_condition(qtbot, window, "tinted")
    panel = window.preview_panel
    assert panel.layer is layer
    qtbot.waitUntil(lambda: panel.control_view.override is not None, timeout=DETECT_TIMEOUT)
    assert shown_colour(panel) == (255, 0, 0)  # the ink, where the control image is white
    assert (layer.pixels[..., :3] == 255).all()  # the layer itself keeps the plain grey

    grey = window.condition_panel.editors["grey"]
    with qtbot.waitSignal(window.document.pixels_changed, timeout=DETECT_TIMEOUT):
        grey.spin.setValue(50)  # the plugin's preview raises from here on
    qtbot.waitUntil(lambda: bool(panel.custom_error), timeout=DETECT_TIMEOUT)
    assert panel.control_view.override is None  # the plain control image again
    assert "Tinted preview failed (ValueError: too dark to tint)" in panel.custom_error
    assert panel.status_label.styleSheet() == ERROR_STYLE
    assert "too dark" in panel.status_label.text()
    assert layer.condition.error == ""  # detection is fine
    assert (layer.pixels[..., :3] == 50).all()

    job = window.generate()  # and so is generation, with the plain control image
    finish_pending(loop, window)
    assert job.state is JobState.DONE
    (control,) = engine.calls[-1].controls
    assert np.asarray(control.image.convert("L")).max() == 50

    with qtbot.waitSignal(window.document.pixels_changed, timeout=DETECT_TIMEOUT):
        grey.spin.setValue(128)  # working again: the error goes, the colours come back
    # the new parameter first tints the old control image, then the new one
    qtbot.waitUntil(lambda: panel.control_view.override is not None
                    and shown_colour(panel) == (128, 0, 0), timeout=DETECT_TIMEOUT)
    assert panel.custom_error == ""


def test_a_preview_that_returns_no_image_is_an_error_of_its_own(window, plugins, qtbot):
    layer = add_condition(qtbot, window, "tinted")
    kind = plugins.host.registry.get("tinted")
    registry = ConditionRegistry()
    registry.register(replace(kind, preview=lambda control, params: "not an image"))
    image, error = custom_preview(registry, layer)
    assert image is None
    assert "returned str, not a PIL image" in error
    assert "generation is not affected" in error


def test_a_preview_that_exits_or_hangs_is_an_error_of_its_own(window, plugins, qtbot, hung,
                                                              monkeypatch):
    import sys

    import t2ia_desktop.ui.conditions.custom_preview as previews
    from tests.plugin_folders import hang

    layer = add_condition(qtbot, window, "tinted")
    kind = plugins.host.registry.get("tinted")
    registry = ConditionRegistry()
    registry.register(replace(kind, preview=lambda control, params: sys.exit(1)))
    image, error = custom_preview(registry, layer)
    assert image is None
    assert "The Tinted preview failed (SystemExit: 1)" in error

    monkeypatch.setattr(previews, "PREVIEW_TIME_LIMIT_S", 0.2)
    registry = ConditionRegistry()
    registry.register(replace(kind, preview=lambda control, params: hang()))
    image, error = custom_preview(registry, layer)
    assert image is None
    assert "The Tinted preview failed (did not finish in 0.2 s; it is left running)" in error
    image, error = custom_preview(registry, layer)  # refused at once while it still runs
    assert "has not returned yet" in error


def test_the_posterize_plugin_shows_its_levels_in_colour(qtbot, window, plugins):
    kind = plugins.host.registry.get("posterize-sketch")
    assert kind.preview is not None
    ramp = np.tile(np.linspace(0, 255, 256, dtype=np.uint8), (32, 1))
    photo = Image.fromarray(ramp, "L").convert("RGBA")
    params = {**kind.default_params(), "levels": 4, "style": "shapes"}
    control = kind.detector(photo, params)
    shown = np.asarray(kind.preview(control.convert("RGB"), params))
    colours = {tuple(c) for c in shown.reshape(-1, 3)}
    assert len(colours) == 4
    assert (0, 0, 0) in colours
    assert all(len(set(c)) > 1 for c in colours - {(0, 0, 0)})  # coloured, not grey
    assert kind.source.startswith("plugin Posterize sketch")
