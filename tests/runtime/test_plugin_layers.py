"""Plugin conditions on the detector thread: a raising detector is its layer's error only, and
layers keep their settings across "Reload plugins"."""

from __future__ import annotations

import numpy as np
import pytest

from t2ia_desktop.core.conditions.plugin_manifest import PluginFolder
from t2ia_desktop.core.conditions.plugins import PluginHost
from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.runtime.condition_updates import ConditionUpdater
from t2ia_desktop.runtime.plugin_wiring import refresh_condition_layers
from t2ia_desktop.runtime.previews import PreviewScheduler, registry_detect_factory
from tests.builders import add_condition
from tests.plugin_folders import good_plugin, write_plugin

W, H = 96, 64

FRAGILE = """
from t2ia_desktop.plugin_api import ConditionType, ParamSpec

def fragile(image, params):
    raise RuntimeError("the fragile detector tripped")

def register():
    return ConditionType("fragile", "Fragile", "", {{"sdxl": "o/r"}}, detector=fragile,
                         params=(ParamSpec("{name}", "int", 3, "", 0, 9),))
"""


@pytest.fixture
def rig(qapp, tmp_path):
    good_plugin(tmp_path)
    write_plugin(tmp_path, "fragile", FRAGILE.format(name="depth"))
    host = PluginHost([PluginFolder(tmp_path, "--plugins")], tmp_path / "s.json",
                      entry_points=False)
    document = Document(W, H)
    photo = np.full((H, W, 4), 255, np.uint8)
    photo[20:40, 20:60, :3] = 0
    document.add_layer(Layer("Photo", "photo", photo))
    scheduler = PreviewScheduler(registry_detect_factory(host.registry))
    updater = ConditionUpdater(document, host.registry, scheduler)
    yield host, updater, tmp_path
    updater.disconnect_document()
    scheduler.shutdown()


def settle(qtbot, updater):
    qtbot.waitUntil(lambda: not any(updater.scheduler.is_busy(layer.id)
                                    for layer in updater.document.condition_layers()),
                    timeout=60_000)


def test_a_raising_plugin_detector_is_that_layers_error_while_the_others_update(qtbot, rig):
    _, updater, _ = rig
    document = updater.document
    photo = document.layers[0]
    fragile = add_condition(updater, "fragile", photo)
    cut = add_condition(updater, "cut-lines", photo)
    edges = add_condition(updater, "canny", photo)
    settle(qtbot, updater)
    assert "The Fragile detector failed: RuntimeError: the fragile detector tripped" \
        in fragile.condition.error
    assert "plugin Fragile" in fragile.condition.error
    assert not cut.condition.error
    assert not edges.condition.error
    assert cut.pixels[30, 30, 0] == 255
    assert cut.pixels[5, 5, 0] == 0
    photo.pixels[45:60, 70:90, :3] = 0  # a stroke: the working layers follow it
    document.notify_pixels_changed(photo, (70, 45, 20, 15))
    settle(qtbot, updater)
    assert cut.pixels[50, 80, 0] == 255
    assert edges.pixels[:, 65:, :3].max() > 0
    assert "tripped" in fragile.condition.error


def test_layers_keep_their_settings_across_a_reload_that_changes_the_plugin(qtbot, rig):
    host, updater, folder = rig
    photo = updater.document.layers[0]
    cut = add_condition(updater, "cut-lines", photo, {"cut": 200, "ink": "#00ff00"})
    fragile = add_condition(updater, "fragile", photo, {"depth": 7})
    settle(qtbot, updater)
    write_plugin(folder, "fragile", FRAGILE.format(name="width"))  # "depth" renamed
    host.reload()
    assert refresh_condition_layers(updater) == []
    assert cut.condition.params == {"cut": 200, "ink": "#00ff00", "soft": False,
                                    "shape": "round"}
    assert fragile.condition.params == {"width": 3}
    settle(qtbot, updater)
    assert "tripped" in fragile.condition.error  # it ran again, with the new parameters
    host.set_enabled("good", False)
    host.reload()
    assert refresh_condition_layers(updater) == [cut.name]
    assert "not available any more" in cut.condition.error
    assert cut.condition.params["cut"] == 200  # kept for when the plugin comes back
