"""Models → Manage models…: adding a local model, downloading one from a local server in the
hub's URL layout with progress and Cancel, removing, the memory setting, and a generation with
a model added here (the real engine on the demo model)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt

from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.generation.checkpoints import DOWNLOADED_MARKER, ModelList, download_folder
from t2ia_desktop.core.generation.jobs import JobQueue, JobState
from t2ia_desktop.core.paths import demo_model_root
from t2ia_desktop.core.settings import SettingsStore
from t2ia_desktop.runtime.runner import JobRunner
from t2ia_desktop.runtime.worker import EngineWorker, default_engine_factory
from t2ia_desktop.ui.dialogs.model_manager import ModelsController
from t2ia_desktop.ui.window.main_window import MainWindow
from tests.engine.hub_server import online, serve_hub
from tests.ui.conftest import MODELS
from tests.ui.helpers import finish_pending, main_window, models_controller

REPO = "tiny/demo-sd15"
TIMEOUT = 60_000


@pytest.fixture(scope="module")
def sd15_folder(tmp_path_factory):
    from t2ia_desktop.engine.demo.model import write_demo_model

    return write_demo_model(tmp_path_factory.mktemp("models") / "my-sd15", "sd15")


@pytest.fixture(scope="module")
def served(sd15_folder, tmp_path_factory):
    folder = tmp_path_factory.mktemp("served") / "repo"
    shutil.copytree(sd15_folder, folder, ignore=shutil.ignore_patterns("adapters"))
    return folder


@pytest.fixture
def manager(window) -> Iterator[ModelsController]:
    controller = models_controller(window)
    yield controller
    controller.downloads.shutdown()


def combo_references(window) -> list[str]:
    return [entry[1] for entry in window.generation_settings.models]


def test_the_dialog_lists_built_in_models_with_their_state(qtbot, window, manager):
    dialog = manager.open_dialog()
    qtbot.waitExposed(dialog)
    labels = [dialog.table.item(row, 0).text() for row in range(dialog.table.rowCount())]
    assert labels[:3] == ["demo (random weights)", "SDXL base 1.0", "Stable Diffusion 1.5"]
    assert dialog.state_of("demo") == "built-in"
    assert dialog.state_of("stabilityai/stable-diffusion-xl-base-1.0") == "missing"
    sdxl = dialog.row_of("stabilityai/stable-diffusion-xl-base-1.0")
    assert dialog.table.item(sdxl, 4).text() == "≈ 6.5 GB to download"  # not "—"
    sd15 = dialog.row_of("stable-diffusion-v1-5/stable-diffusion-v1-5")
    assert dialog.table.item(sd15, 4).text() == "≈ 2.0 GB to download"
    dialog.select("demo")
    assert not dialog.remove_button.isEnabled()  # the demo model stays
    assert manager.menu.title() == "&Models"


def test_add_a_local_folder_offers_it_in_the_generate_panel(qtbot, window, manager, sd15_folder):
    dialog = manager.open_dialog()
    manager.choose_path = lambda: str(sd15_folder)
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    reference = str(sd15_folder.resolve())
    row = dialog.row_of(reference)
    assert row >= 0
    assert dialog.table.item(row, 1).text() == "SD1.5"
    assert dialog.state_of(reference) == "installed"
    assert dialog.table.item(row, 4).text().endswith("MB")
    assert dialog.selected().reference == reference
    assert reference in combo_references(window)
    assert window.generation_settings.model == "demo"  # the choice did not move
    assert ModelList.load().find(reference) is not None  # kept across runs


@pytest.mark.parametrize(("name", "message"), [
    ("old.ckpt", "pickle checkpoint"),
    ("nothing-here", "does not exist"),
])
def test_adding_what_cannot_be_used_says_why(qtbot, window, manager, tmp_path, name, message):
    path = tmp_path / name
    if name.endswith(".ckpt"):
        path.write_bytes(b"\x80\x04")
    dialog = manager.open_dialog()
    before = combo_references(window)
    manager.choose_path = lambda: str(path)
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    assert message in dialog.message_label.text()
    assert dialog.message_label.isVisibleTo(dialog)
    assert combo_references(window) == before


def test_download_with_progress_then_remove_and_delete(qtbot, window, manager, served,
                                                        monkeypatch):
    manager.models.add_hub(REPO, "sd15", "Tiny SD1.5")
    manager.sync_generate_panel()
    dialog = manager.open_dialog()
    dialog.select(REPO)
    assert dialog.state_of(REPO) == "missing"
    with serve_hub(served, repo=REPO, nested=True) as hub, online(monkeypatch, hub):
        assert dialog.download_button.isEnabled()
        qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
        progress = manager.download_dialog
        assert dialog.state_of(REPO) == "downloading"
        with qtbot.waitSignal(manager.downloads.downloaded, timeout=TIMEOUT):
            pass
    qtbot.waitUntil(lambda: progress.outcome == "done", timeout=TIMEOUT)
    assert progress.bar.value() == progress.bar.maximum() > 0
    assert dialog.state_of(REPO) == "installed"
    assert (download_folder(REPO) / DOWNLOADED_MARKER).is_file()
    assert "Downloaded Tiny SD1.5" in window.statusBar().currentMessage()

    asked = []
    manager.ask_remove = lambda model, can_delete: asked.append(can_delete) or "delete"
    dialog.select(REPO)
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    assert asked == [True]  # deleting the files was asked first
    assert dialog.row_of(REPO) < 0
    assert REPO not in combo_references(window)
    assert not download_folder(REPO).exists()


def test_cancel_a_download(qtbot, window, manager, served, monkeypatch):
    manager.models.add_hub(REPO, "sd15")
    manager.sync_generate_panel()
    dialog = manager.open_dialog()
    dialog.select(REPO)
    with serve_hub(served, repo=REPO, nested=True, delay=0.05, chunk=8 * 1024) as hub, \
            online(monkeypatch, hub):
        qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
        progress = manager.download_dialog
        task = manager.downloads.task
        with qtbot.waitSignal(task.progress, timeout=TIMEOUT):
            pass
        with qtbot.waitSignal(task.cancelled, timeout=TIMEOUT):
            qtbot.mouseClick(progress.cancel_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: manager.downloads.task is None, timeout=TIMEOUT)
    assert progress.outcome == "cancelled"
    assert dialog.state_of(REPO) == "missing"
    assert "cancelled" in dialog.message_label.text()
    assert not (download_folder(REPO) / DOWNLOADED_MARKER).exists()
    assert not list(download_folder(REPO).rglob("*.part"))


def test_remove_keeps_an_artists_own_files(qtbot, window, manager, sd15_folder):
    manager.choose_path = lambda: str(sd15_folder)
    added = manager.add_local()
    asked = []
    manager.ask_remove = lambda model, can_delete: asked.append(can_delete) or "list"
    dialog = manager.open_dialog()
    dialog.select(added.reference)
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    assert asked == [False]  # only downloads can be deleted from here
    assert dialog.row_of(added.reference) < 0
    assert (sd15_folder / "model_index.json").is_file()


def test_memory_setting_is_kept_and_shown(window, manager):
    manager.memory_actions["low-vram"].trigger()
    assert SettingsStore().memory_policy == "low-vram"  # where the engine reads it
    assert manager.memory_label.text() == "Memory: low-vram"
    assert manager.memory_actions["low-vram"].isChecked()


@pytest.fixture
def real_window(qtbot, loop, scheduler) -> Iterator[MainWindow]:
    runner = JobRunner(JobQueue(), EngineWorker(default_engine_factory(str(demo_model_root()))))
    main = main_window(Document.with_sketch_layer(64, 64), runner, MODELS, scheduler=scheduler)
    qtbot.addWidget(main)
    main.show()
    yield main
    main.close()
    runner.shutdown()


@pytest.mark.slow
def test_generate_with_a_model_added_in_the_manager(qtbot, real_window, loop, sd15_folder):
    window = real_window
    manager = models_controller(window)
    manager.choose_path = lambda: str(sd15_folder)
    added = manager.add_local()
    panel = window.generate_panel
    panel.model_combo.setCurrentIndex(combo_references(window).index(added.reference))
    assert panel.settings.family == "sd15"
    panel.steps_spin.setValue(2)
    job = window.generate()
    finish_pending(loop, window)
    assert job is not None
    assert job.state is JobState.DONE, job.error
    assert job.request.model == added.reference
    assert job.request.family == "sd15"
    assert window.document.layers[-1].kind == "result"


def test_a_base_model_download_offline_says_why_in_full(qtbot, window, manager, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    dialog = manager.open_dialog()
    dialog.select("stabilityai/stable-diffusion-xl-base-1.0")
    assert "Offline mode is on" in dialog.download_button.toolTip()
    qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
    progress = manager.download_dialog
    qtbot.waitUntil(lambda: progress.outcome == "failed", timeout=TIMEOUT)
    qtbot.waitExposed(progress)
    assert not progress.bytes_label.isVisible()  # no "Connecting…" left on screen
    assert not progress.bar.isVisible()
    reason = progress.error_label
    assert reason.isVisible()
    assert "offline" in reason.text().lower()
    needed = reason.heightForWidth(reason.width())
    assert reason.height() >= needed  # the whole reason shows, not clipped
    progress.close()
