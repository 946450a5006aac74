"""Models → Manage models…, Adapters and Detector weights tabs: the lists, downloading an adapter
(into the layout the engine then loads offline) and a weight file from a local server in the
hub's URL layout, Cancel, delete, and offline mode."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt

from t2ia_desktop.core.conditions.registry import ConditionType, default_registry
from t2ia_desktop.core.generation.checkpoints import DOWNLOADED_MARKER, download_folder
from t2ia_desktop.runtime.system_info import human_bytes
from t2ia_desktop.ui.dialogs.model_manager import ModelsController
from t2ia_desktop.ui.dialogs.model_manager_assets import OFFLINE_NOTE
from tests.engine.hub_server import online, serve_hub
from tests.ui.helpers import models_controller

SKETCH_XL = "TencentARC/t2i-adapter-sketch-sdxl-1.0"
TIMEOUT = 60_000


@pytest.fixture(scope="module")
def served_adapter(tmp_path_factory):
    """A real (random-weight) SDXL sketch adapter folder, served as the hub repository."""
    from t2ia_desktop.engine.demo.model import write_demo_model

    model = write_demo_model(tmp_path_factory.mktemp("demo") / "sdxl", "sdxl")
    folder = tmp_path_factory.mktemp("served") / "adapter"
    shutil.copytree(model / "adapters" / "sketch", folder)
    return folder


@pytest.fixture
def served_weights(tmp_path):
    folder = tmp_path / "annotators"
    folder.mkdir()
    (folder / "sk_model.pth").write_bytes(bytes(range(256)) * 2048)  # 512 kB
    return folder


@pytest.fixture
def manager(window) -> Iterator[ModelsController]:
    controller = models_controller(window)
    yield controller
    controller.downloads.shutdown()
    controller.adapter_downloads.shutdown()
    controller.controlnet_downloads.shutdown()
    controller.weight_downloads.shutdown()


def test_the_tabs_list_every_conditions_adapter_and_weight_file(qtbot, window, manager):
    window.registry.register(ConditionType(  # as a plugin adds one
        "anime-lines", "Anime lines", "Lines by the anime lineart detector",
        {"sdxl": "someone/anime-adapter-sdxl", "sd15": SKETCH_XL.replace("sdxl", "sd15")},
        detector="lineart", weight_files=("netG.pth",), source="plugin"))
    dialog = manager.open_dialog()
    qtbot.waitExposed(dialog)
    assert [dialog.tabs.tabText(i) for i in range(4)] == ["Base models", "Adapters",
                                                        "ControlNets", "Detector weights"]
    adapters = dialog.adapters_tab
    repos = [adapters.table.item(row, 0).text() for row in range(adapters.table.rowCount())]
    expected = {c.adapters[f] for c in default_registry() for f in c.adapters}
    assert set(repos) == expected | {"someone/anime-adapter-sdxl",
                                     SKETCH_XL.replace("sdxl", "sd15")}
    assert len(repos) == len(set(repos))  # one row per repository
    row = adapters.row_of(SKETCH_XL)
    assert adapters.table.item(row, 1).text() == "SDXL"
    assert adapters.table.item(row, 2).text() == "Sketch"
    assert adapters.state_of(SKETCH_XL) == "missing"
    assert adapters.total_label.text() == f"On disk: {human_bytes(0)}"
    weights = dialog.weights_tab
    files = [weights.table.item(row, 0).text() for row in range(weights.table.rowCount())]
    assert files[:2] == ["sk_model.pth", "sk_model2.pth"]
    assert "ZoeD_M12_N.pt" in files
    assert "body_pose_model.pth" in files
    assert weights.table.item(weights.row_of("netG.pth"), 1).text() == "Anime lines"
    row = weights.row_of("ZoeD_M12_N.pt")
    assert weights.table.item(row, 1).text() == "Depth (Zoe)"
    assert weights.table.item(row, 3).text().startswith("≈ ")
    assert weights.state_of("sk_model.pth") == "missing"


def test_offline_mode_disables_downloads_and_says_why(qtbot, window, manager):
    dialog = manager.open_dialog()  # the tests run with HF_HUB_OFFLINE=1
    for tab, key in ((dialog.adapters_tab, SKETCH_XL), (dialog.weights_tab, "sk_model.pth")):
        tab.select(key)
        assert not tab.download_button.isEnabled()
        assert tab.download_button.toolTip() == OFFLINE_NOTE


def test_download_an_adapter_the_engine_then_loads_offline_then_delete(
        qtbot, window, manager, served_adapter, monkeypatch):
    dialog = manager.open_dialog()
    tab = dialog.adapters_tab
    dialog.tabs.setCurrentWidget(tab)
    with serve_hub(served_adapter, repo=SKETCH_XL) as hub, online(monkeypatch, hub):
        tab.refresh()
        tab.select(SKETCH_XL)
        assert tab.download_button.isEnabled()
        qtbot.mouseClick(tab.download_button, Qt.MouseButton.LeftButton)
        progress = tab.download_dialog
        assert tab.state_of(SKETCH_XL) == "downloading"
        with qtbot.waitSignal(manager.adapter_downloads.downloaded, timeout=TIMEOUT):
            pass
    qtbot.waitUntil(lambda: progress.outcome == "done", timeout=TIMEOUT)
    folder = download_folder(SKETCH_XL)
    assert tab.state_of(SKETCH_XL) == "installed"
    assert (folder / DOWNLOADED_MARKER).is_file()
    assert (folder / "diffusion_pytorch_model.safetensors").is_file()
    assert tab.table.item(tab.row_of(SKETCH_XL), 5).text() == str(folder)
    size = sum(f.stat().st_size for f in folder.iterdir())
    assert tab.total_label.text() == f"On disk: {human_bytes(size)}"

    # the engine finds it for a model without adapters of its own, and loads it offline
    import torch

    from t2ia_desktop.engine.pipelines import PipelineStore

    store = PipelineStore(default_registry(), folder.parent / "demo", torch.device("cpu"),
                          torch.float32)
    location = store.adapter_location("stabilityai/stable-diffusion-xl-base-1.0", "sdxl",
                                      "sketch", None)
    assert location == str(folder)
    assert store.adapter(location, "sketch").config.adapter_type == "full_adapter_xl"

    asked = []
    tab.confirm_delete = lambda what, where: asked.append(what) or True
    tab.select(SKETCH_XL)
    qtbot.mouseClick(tab.delete_button, Qt.MouseButton.LeftButton)
    assert asked == [SKETCH_XL]
    assert not folder.exists()
    assert tab.state_of(SKETCH_XL) == "missing"


def test_download_and_delete_a_weight_file(qtbot, window, manager, served_weights,
                                           monkeypatch):
    dialog = manager.open_dialog()
    tab = dialog.weights_tab
    with serve_hub(served_weights, redirect=True) as hub, online(monkeypatch, hub):
        tab.refresh()
        tab.select("sk_model.pth")
        qtbot.mouseClick(tab.download_button, Qt.MouseButton.LeftButton)
        with qtbot.waitSignal(manager.weight_downloads.downloaded, timeout=TIMEOUT):
            pass
    qtbot.waitUntil(lambda: tab.download_dialog.outcome == "done", timeout=TIMEOUT)
    target = manager.weight_downloads.folder()
    assert tab.state_of("sk_model.pth") == "present"
    row = tab.row_of("sk_model.pth")
    assert tab.table.item(row, 4).text() == f"{target}/sk_model.pth"
    assert tab.table.item(row, 3).text() == human_bytes(512 * 1024)
    assert tab.state_of("sk_model2.pth") == "missing"  # one file, not the detector's pair

    tab.confirm_delete = lambda what, where: False  # asked, and the artist said no
    tab.select("sk_model.pth")
    qtbot.mouseClick(tab.delete_button, Qt.MouseButton.LeftButton)
    assert tab.state_of("sk_model.pth") == "present"
    tab.confirm_delete = lambda what, where: True
    qtbot.mouseClick(tab.delete_button, Qt.MouseButton.LeftButton)
    assert tab.state_of("sk_model.pth") == "missing"


def test_cancel_an_adapter_download(qtbot, window, manager, served_adapter, monkeypatch):
    dialog = manager.open_dialog()
    tab = dialog.adapters_tab
    with serve_hub(served_adapter, repo=SKETCH_XL, delay=0.05, chunk=8 * 1024) as hub, \
            online(monkeypatch, hub):
        tab.refresh()
        tab.select(SKETCH_XL)
        qtbot.mouseClick(tab.download_button, Qt.MouseButton.LeftButton)
        progress = tab.download_dialog
        task = manager.adapter_downloads.task
        with qtbot.waitSignal(task.progress, timeout=TIMEOUT):
            pass
        with qtbot.waitSignal(task.cancelled, timeout=TIMEOUT):
            qtbot.mouseClick(progress.cancel_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: manager.adapter_downloads.task is None, timeout=TIMEOUT)
    assert progress.outcome == "cancelled"
    assert tab.state_of(SKETCH_XL) == "missing"
    assert "cancelled" in tab.message_label.text()
    assert not (download_folder(SKETCH_XL) / DOWNLOADED_MARKER).exists()
    assert not list(download_folder(SKETCH_XL).rglob("*.part"))
