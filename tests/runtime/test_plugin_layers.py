"""Plugin conditions on the detector thread: a raising, quitting, hanging or misbehaving detector
is its layer's error only (naming the plugin) while the other layers and the built-in ones keep
detecting; quitting never waits on one; layers keep their settings across "Reload plugins"."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from t2ia_desktop.core.conditions.plugin_manifest import PluginFolder
from t2ia_desktop.core.conditions.plugins import PluginHost
from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.runtime.condition_updates import ConditionUpdater
from t2ia_desktop.runtime.plugin_wiring import refresh_condition_layers
from t2ia_desktop.runtime.previews import PreviewScheduler, registry_detect_factory
from tests.builders import add_condition
from tests.plugin_folders import good_plugin, hung, write_plugin

W, H = 96, 64
__all__ = ["hung"]  # the fixture

FRAGILE = """
from t2ia_desktop.plugin_api import ConditionType, ParamSpec

def fragile(image, params):
    raise RuntimeError("the fragile detector tripped")

def register():
    return ConditionType("fragile", "Fragile", "", {{"sdxl": "o/r"}}, detector=fragile,
                         params=(ParamSpec("{name}", "int", 3, "", 0, 9),))
"""


MISFITS = """
import sys

import numpy as np
from PIL import Image

from t2ia_desktop.plugin_api import ConditionType
from tests.plugin_folders import hang


def quits(image, params):
    sys.exit(2)


def interrupts(image, params):
    raise KeyboardInterrupt


def hangs(image, params):
    hang()


def huge(image, params):
    return Image.new("L", (2000, 2000))


def floats(image, params):
    return np.zeros((image.height, image.width), np.float32)


def float_picture(image, params):
    return Image.new("F", image.size)


def chatty(image, params):
    print("detecting", image.size)
    return image.convert("L")


def register():
    return [ConditionType(f.__name__, f.__name__.title(), "", {"sdxl": "o/r"}, detector=f)
            for f in (quits, interrupts, hangs, huge, floats, float_picture, chatty)]
"""


@pytest.fixture
def rig(qapp, tmp_path):
    good_plugin(tmp_path)
    write_plugin(tmp_path, "fragile", FRAGILE.format(name="depth"))
    write_plugin(tmp_path, "misfits", MISFITS)
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


def stroke(updater, qtbot):
    """Paint on the photo: every condition layer detects again."""
    photo = updater.document.layers[0]
    photo.pixels[45:60, 70:90, :3] = 0
    updater.document.notify_pixels_changed(photo, (70, 45, 20, 15))
    settle(qtbot, updater)


@pytest.mark.parametrize(("condition", "says"), [
    ("quits", "The Quits detector failed: SystemExit: 2 — from plugin Misfits"),
    ("interrupts", "The Interrupts detector failed: KeyboardInterrupt — from plugin Misfits"),
    ("huge", "The Huge detector returned a 2000×2000 picture for a 96×64 one"),
    ("floats", "The Floats detector returned a ndarray, not a picture — from plugin Misfits"),
    ("float_picture", "The Float_Picture detector returned a picture in mode 'F'"),
])
def test_a_quitting_or_misbehaving_detector_is_its_layers_error_and_detection_goes_on(
        qtbot, rig, condition, says):
    _, updater, _ = rig
    photo = updater.document.layers[0]
    bad = add_condition(updater, condition, photo)
    settle(qtbot, updater)
    assert says in bad.condition.error
    assert "plugin Misfits" in bad.condition.error
    cut = add_condition(updater, "cut-lines", photo)
    edges = add_condition(updater, "canny", photo)  # built-in, added after the failure
    stroke(updater, qtbot)
    assert not cut.condition.error
    assert not edges.condition.error
    assert cut.pixels[50, 80, 0] == 255
    assert edges.pixels[:, 65:, :3].max() > 0
    assert says in bad.condition.error


def test_a_hanging_detector_is_its_layers_error_and_the_others_go_on(qtbot, rig, hung,
                                                                      monkeypatch):
    import t2ia_desktop.engine.plugin_detector as plugin_detector

    monkeypatch.setattr(plugin_detector, "TIME_LIMIT_S", 0.3)
    _, updater, _ = rig
    photo = updater.document.layers[0]
    stuck = add_condition(updater, "hangs", photo)
    edges = add_condition(updater, "canny", photo)
    settle(qtbot, updater)
    assert hung.is_set()
    assert "The Hangs detector did not finish in 0.3 s and is left running" \
        in stuck.condition.error
    assert "plugin Misfits" in stuck.condition.error
    assert not edges.condition.error
    cut = add_condition(updater, "cut-lines", photo)
    stroke(updater, qtbot)  # the hung detector is refused at once; the others follow the stroke
    assert "The Hangs detector is still running" in stuck.condition.error
    assert cut.pixels[50, 80, 0] == 255
    assert edges.pixels[:, 65:, :3].max() > 0
    assert not cut.condition.error


def test_quitting_while_a_plugin_detector_hangs_abandons_it(qtbot, rig, hung, monkeypatch):
    import t2ia_desktop.core.conditions.plugin_guard as guard

    monkeypatch.setattr(guard, "QUIT_GRACE_S", 0.1)
    _, updater, _ = rig
    scheduler = updater.scheduler
    add_condition(updater, "hangs", updater.document.layers[0])
    scheduler.flush()
    qtbot.waitUntil(hung.is_set, timeout=60_000)
    scheduler.shutdown()
    assert not scheduler._thread.isRunning()  # a QThread destroyed while running aborts


def test_what_a_detector_prints_goes_to_the_log(qtbot, rig, capsys, caplog):
    _, updater, _ = rig
    with caplog.at_level(logging.INFO, logger="t2ia_desktop.plugins.output"):
        layer = add_condition(updater, "chatty", updater.document.layers[0])
        settle(qtbot, updater)
    assert not layer.condition.error
    assert "detecting" not in capsys.readouterr().out
    assert any(r.getMessage().endswith(": detecting (96, 64)") and "plugin Misfits" in
               r.getMessage() for r in caplog.records)
