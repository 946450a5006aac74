"""Models → Manage models…, Adapters tab: the adapter folders a plugin ships are listed as the
plugin's ("installed (plugin: NAME)", size, folder), with Open folder and no Download or
Delete; they follow the plugin when it is reloaded without them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint, Qt

from t2ia_desktop.core.conditions.plugin_manifest import PluginFolder
from t2ia_desktop.core.conditions.plugins import PluginHost
from t2ia_desktop.core.generation.checkpoints import size_on_disk
from t2ia_desktop.runtime.condition_updates import ConditionUpdater
from t2ia_desktop.runtime.system_info import human_bytes
from t2ia_desktop.ui.dialogs.model_manager import ModelsController
from tests.plugin_folders import SKETCH_SDXL, manifest, write_plugin
from tests.ui.helpers import models_controller

INKED_CODE = '''
from PIL import ImageOps

from t2ia_desktop.plugin_api import ConditionType


def register():
    return [
        ConditionType("inked", "Inked lines", "Ink drawings, inverted",
                      {"sdxl": "adapters/inked-xl", "sd15": "adapters/inked-15"},
                      detector=lambda image, params: ImageOps.invert(image.convert("L"))),
        ConditionType("inked-soft", "Soft ink", "Ink drawings, blurred",
                      {"sdxl": "adapters/inked-xl", "sd15": "TencentARC/t2iadapter_sketch_sd15v2"},
                      detector=lambda image, params: image.convert("L")),
    ]
'''


@pytest.fixture(scope="module")
def adapter_folder(tmp_path_factory):
    """A real (tiny, random-weight) SDXL T2I-Adapter folder."""
    from diffusers import T2IAdapter

    folder = tmp_path_factory.mktemp("adapter") / "inked"
    T2IAdapter(in_channels=1, channels=[32, 64, 64], num_res_blocks=2, downscale_factor=16,
               adapter_type="full_adapter_xl").save_pretrained(folder)
    return folder


@pytest.fixture
def plugin_root(tmp_path, adapter_folder):
    root = tmp_path / "plugins"
    text = manifest("inked").replace('name = "Inked"', 'name = "Inked Lines Pack"')
    plugin = write_plugin(root, "inked", INKED_CODE, text)
    shutil.copytree(adapter_folder, plugin / "adapters" / "inked-xl")
    shutil.copytree(adapter_folder, plugin / "adapters" / "inked-15")
    return root


@pytest.fixture
def host(plugin_root, tmp_path) -> PluginHost:
    return PluginHost([PluginFolder(plugin_root, "--plugins")], tmp_path / "plugins.json",
                      entry_points=False)


@pytest.fixture
def updater(document, scheduler, host) -> Iterator[ConditionUpdater]:
    """The window's conditions: the built-ins and the plugin's (the host's registry)."""
    conditions = ConditionUpdater(document, host.registry, scheduler)
    yield conditions
    conditions.disconnect_document()


@pytest.fixture
def manager(window) -> Iterator[ModelsController]:
    controller = models_controller(window)
    yield controller
    controller.downloads.shutdown()
    controller.adapter_downloads.shutdown()
    controller.controlnet_downloads.shutdown()
    controller.weight_downloads.shutdown()


def click_row(qtbot, table, row: int) -> None:
    rect = table.visualRect(table.model().index(row, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.center()))


def cells(tab, key: str) -> list[str]:
    row = tab.row_of(key)
    return [tab.table.item(row, column).text() for column in range(tab.table.columnCount())]


def test_a_plugins_adapter_folders_are_listed_as_the_plugins(qtbot, window, manager,
                                                             plugin_root):
    plugin = plugin_root / "inked"
    xl, sd15 = plugin / "adapters" / "inked-xl", plugin / "adapters" / "inked-15"
    dialog = manager.open_dialog()
    qtbot.waitExposed(dialog)
    tab = dialog.adapters_tab
    dialog.tabs.setCurrentWidget(tab)
    size = human_bytes(size_on_disk(xl))
    assert size_on_disk(xl) > 0
    assert cells(tab, str(xl)) == ["inked-xl", "SDXL", "Inked lines, Soft ink",
                                   "installed (plugin: Inked Lines Pack)", size, str(xl)]
    assert cells(tab, str(sd15)) == ["inked-15", "SD1.5", "Inked lines",
                                     "installed (plugin: Inked Lines Pack)", size, str(sd15)]
    # the plugin's hub adapter stays a hub row, downloadable like a built-in's
    assert "Soft ink" in cells(tab, "TencentARC/t2iadapter_sketch_sd15v2")[2]
    assert tab.row_of(SKETCH_SDXL) >= 0
    assert tab.total_label.text() == f"On disk: {human_bytes(2 * size_on_disk(xl))}"

    click_row(qtbot, tab.table, tab.row_of(str(xl)))
    assert tab.selected().folder == xl
    assert not tab.download_button.isEnabled()
    assert not tab.delete_button.isEnabled()
    assert "belongs to the plugin Inked Lines Pack" in tab.delete_button.toolTip()
    assert "belongs to the plugin Inked Lines Pack" in tab.table.item(
        tab.row_of(str(xl)), 3).toolTip()
    opened = []
    tab.open_url = lambda url: opened.append(url.toLocalFile())
    assert tab.open_button.isEnabled()
    qtbot.mouseClick(tab.open_button, Qt.MouseButton.LeftButton)
    assert opened == [str(xl)]
    assert not tab.delete(tab.selected())
    assert xl.is_dir()


def test_a_missing_plugin_folder_is_not_offered_for_download(qtbot, window, manager,
                                                             plugin_root, monkeypatch,
                                                             adapter_folder):
    from tests.engine.hub_server import online, serve_hub

    xl = plugin_root / "inked" / "adapters" / "inked-xl"
    shutil.rmtree(xl)  # removed under the running app
    dialog = manager.open_dialog()
    tab = dialog.adapters_tab
    assert tab.state_of(str(xl)) == "missing (plugin: Inked Lines Pack)"
    with serve_hub(adapter_folder, repo=SKETCH_SDXL) as hub, online(monkeypatch, hub):
        tab.refresh()
        click_row(qtbot, tab.table, tab.row_of(str(xl)))
        assert not tab.download_button.isEnabled()
        assert not tab.open_button.isEnabled()
        assert "belongs to the plugin" in tab.download_button.toolTip()
        click_row(qtbot, tab.table, tab.row_of(SKETCH_SDXL))  # a hub row still downloads
        assert tab.download_button.isEnabled()


def test_the_rows_follow_the_plugin_when_it_is_turned_off(qtbot, window, manager, host,
                                                         plugin_root):
    xl = plugin_root / "inked" / "adapters" / "inked-xl"
    tab = manager.open_dialog().adapters_tab
    assert tab.row_of(str(xl)) >= 0
    host.set_enabled("inked", False)
    host.reload()
    tab = manager.open_dialog().adapters_tab  # opening again lists what is registered now
    assert tab.row_of(str(xl)) == -1
    assert tab.row_of(SKETCH_SDXL) >= 0
