"""Models → Manage models…, ControlNets tab: every condition's ControlNet and the union model
per family, their sizes, a download from a local server in the hub's URL layout with progress
and Cancel, delete, offline mode, and a pickle-only repository refused."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt

from t2ia_desktop.core.conditions.registry import default_registry
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.checkpoints import DOWNLOADED_MARKER, download_folder
from t2ia_desktop.engine.model_store.adapter_downloads import guide_files
from t2ia_desktop.runtime.system_info import human_bytes
from t2ia_desktop.ui.dialogs.model_manager import ModelsController
from t2ia_desktop.ui.dialogs.model_manager_assets import OFFLINE_NOTE
from tests.engine.hub_server import online, serve_hub
from tests.ui.helpers import models_controller

CANNY_15 = "lllyasviel/control_v11p_sd15_canny"
UNION = "xinsir/controlnet-union-sdxl-1.0"
TIMEOUT = 60_000


@pytest.fixture
def served_controlnet(tmp_path):
    """A ControlNet repository's files (a config and 1 MB of weights; nothing loads them)."""
    folder = tmp_path / "served"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"_class_name": "ControlNetModel"}))
    (folder / "diffusion_pytorch_model.fp16.safetensors").write_bytes(bytes(range(256)) * 4096)
    (folder / "diffusion_pytorch_model.bin").write_bytes(b"pickle")  # never taken
    return folder


@pytest.fixture
def manager(window) -> Iterator[ModelsController]:
    controller = models_controller(window)
    yield controller
    controller.downloads.shutdown()
    controller.adapter_downloads.shutdown()
    controller.controlnet_downloads.shutdown()
    controller.weight_downloads.shutdown()


def test_the_tab_lists_each_controlnet_and_the_union_model_with_sizes(qtbot, window, manager):
    dialog = manager.open_dialog()
    qtbot.waitExposed(dialog)
    tab = dialog.controlnets_tab
    assert dialog.tabs.tabText(dialog.tabs.indexOf(tab)) == "ControlNets"
    repos = [tab.table.item(row, 0).text() for row in range(tab.table.rowCount())]
    expected = {c.controlnets[f] for c in default_registry() for f in c.controlnets}
    assert set(repos) == expected | {UNION}
    assert len(repos) == len(set(repos))
    row = tab.row_of("diffusers/controlnet-depth-sdxl-1.0")
    assert tab.table.item(row, 2).text() == "Depth (MiDaS), Depth (Zoe)"  # one model, two
    row = tab.row_of(UNION)
    assert tab.table.item(row, 1).text() == "SDXL"
    assert tab.table.item(row, 2).text() == ("Sketch, Lineart, Canny edges, Depth (MiDaS), "
                                             "Depth (Zoe), Pose (OpenPose)")
    assert tab.table.item(row, 4).text() == f"≈ {human_bytes(2_500_000_000)}"
    assert tab.table.item(tab.row_of(CANNY_15), 4).text() == f"≈ {human_bytes(723_000_000)}"
    assert tab.state_of(CANNY_15) == "missing"
    tab.select(CANNY_15)
    assert not tab.download_button.isEnabled()  # the tests run offline
    assert tab.download_button.toolTip() == OFFLINE_NOTE


def test_download_a_controlnet_with_progress_then_delete(qtbot, window, manager,
                                                          served_controlnet, monkeypatch):
    dialog = manager.open_dialog()
    tab = dialog.controlnets_tab
    dialog.tabs.setCurrentWidget(tab)
    with serve_hub(served_controlnet, repo=CANNY_15) as hub, online(monkeypatch, hub):
        tab.refresh()
        tab.select(CANNY_15)
        assert tab.download_button.isEnabled()
        qtbot.mouseClick(tab.download_button, Qt.MouseButton.LeftButton)
        progress = tab.download_dialog
        assert tab.state_of(CANNY_15) == "downloading"
        with qtbot.waitSignal(manager.controlnet_downloads.downloaded, timeout=TIMEOUT):
            pass
    qtbot.waitUntil(lambda: progress.outcome == "done", timeout=TIMEOUT)
    folder = download_folder(CANNY_15)
    assert tab.state_of(CANNY_15) == "installed"
    assert json.loads((folder / DOWNLOADED_MARKER).read_text())["kind"] == "controlnet"
    assert sorted(p.name for p in folder.iterdir()) == sorted([
        DOWNLOADED_MARKER, "config.json", "diffusion_pytorch_model.safetensors"])
    assert tab.table.item(tab.row_of(CANNY_15), 4).text() == human_bytes(
        sum(p.stat().st_size for p in folder.iterdir()))

    tab.confirm_delete = lambda what, where: True
    tab.select(CANNY_15)
    qtbot.mouseClick(tab.delete_button, Qt.MouseButton.LeftButton)
    assert not folder.exists()
    assert tab.state_of(CANNY_15) == "missing"


def test_cancel_a_controlnet_download(qtbot, window, manager, served_controlnet, monkeypatch):
    dialog = manager.open_dialog()
    tab = dialog.controlnets_tab
    with serve_hub(served_controlnet, repo=CANNY_15, delay=0.05, chunk=8 * 1024) as hub, \
            online(monkeypatch, hub):
        tab.refresh()
        tab.select(CANNY_15)
        qtbot.mouseClick(tab.download_button, Qt.MouseButton.LeftButton)
        progress = tab.download_dialog
        task = manager.controlnet_downloads.task
        with qtbot.waitSignal(task.progress, timeout=TIMEOUT):
            pass
        with qtbot.waitSignal(task.cancelled, timeout=TIMEOUT):
            qtbot.mouseClick(progress.cancel_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: manager.controlnet_downloads.task is None, timeout=TIMEOUT)
    assert progress.outcome == "cancelled"
    assert tab.state_of(CANNY_15) == "missing"
    assert "cancelled" in tab.message_label.text()


def test_a_controlnet_repository_with_only_a_pickle_is_refused():
    with pytest.raises(BadInput, match="only diffusion_pytorch_model.bin, a pickle file"):
        guide_files(["config.json", "diffusion_pytorch_model.bin"], "controlnet")
    assert guide_files(["config.json", "diffusion_pytorch_model.bin"], "adapter")[1] == (
        "diffusion_pytorch_model.bin",) * 2
