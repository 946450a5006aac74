"""Downloading a detector's missing weights from the Condition dock, against a local server in
the hub's URL layout: the offer on the layer, the dialog's progress and Cancel, a failure, and
the layer detecting again through the real lineart detector once the files are here."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PySide6.QtCore import Qt

from t2ia_desktop.ui.common.download_dialog import DownloadDialog, megabytes
from tests.engine.annotator_weights import write_annotators
from tests.engine.hub_server import online, serve_hub
from tests.ui.helpers import DETECT_TIMEOUT, click_row

LINEART = ("sk_model.pth", "sk_model2.pth")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """What the hub serves: random lineart weights under their real names (2 × 17 MB)."""
    folder = write_annotators(tmp_path_factory.mktemp("served"), ("lineart",))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def _no_annotators_folder(monkeypatch):
    monkeypatch.delenv("T2IA_ANNOTATORS", raising=False)  # downloads go to the app's folder


def lineart_without_weights(qtbot, window, photo_path):
    """A lineart layer from a photo, failed for want of its weights, shown in the dock."""
    photo = window.import_photo(photo_path)
    click_row(qtbot, window, photo)
    document = window.document
    with qtbot.waitSignal(window.updater.scheduler.preview_failed, timeout=DETECT_TIMEOUT):
        lines = window.condition_actions.add_condition("lineart", photo)
    assert window.condition_panel.layer is lines
    assert "sk_model.pth" in lines.condition.error
    row = window.layers_panel.row_for(lines)
    assert row.error_label.isVisibleTo(row)  # the layer's own red error
    assert lines in document.layers
    return lines


def files_in(window) -> list[str]:
    from pathlib import Path

    folder = Path(window.weights_offer.downloads.folder())
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_offline_the_dock_says_where_to_put_the_files(qtbot, window, square_photo):
    lineart_without_weights(qtbot, window, square_photo)
    offer = window.weights_offer
    assert offer.button.isVisibleTo(window.condition_panel)
    assert offer.button.text() == "Download weights (≈ 34 MB)…"  # short: never widens
    assert "sk_model.pth, sk_model2.pth" in offer.button.toolTip()
    assert not offer.button.isEnabled()
    status = window.condition_panel.status_label.text()  # the layer's message says it all
    assert "offline mode is on" in status
    assert offer.downloads.folder() in status
    assert not offer.note.isVisibleTo(window.condition_panel)  # not told twice


def test_cancel_leaves_no_file_and_a_finished_download_redetects_the_layer(
    qtbot, window, square_photo, served, monkeypatch
):
    with serve_hub(served, delay=0.003, chunk=32 * 1024) as hub, online(monkeypatch, hub):
        lines = lineart_without_weights(qtbot, window, square_photo)
        offer = window.weights_offer
        window.condition_panel.refresh()  # online now: the offer is enabled
        assert offer.button.isEnabled()
        assert not offer.note.isVisibleTo(window.condition_panel)

        qtbot.mouseClick(offer.button, Qt.MouseButton.LeftButton)
        dialog = offer.dialog
        assert isinstance(dialog, DownloadDialog)
        assert dialog.isVisible()
        task = dialog.task
        assert task.files == LINEART
        assert not offer.button.isEnabled()  # one download at a time
        with qtbot.waitSignal(task.progress, timeout=10_000,
                              check_params_cb=lambda done, total, name: done > 0):
            pass
        qtbot.waitUntil(lambda: "MB" in dialog.bytes_label.text(), timeout=10_000)
        total = sum((served / name).stat().st_size for name in LINEART)
        assert f" of {megabytes(total)}" in dialog.bytes_label.text()
        assert 0 < dialog.bar.value() < dialog.bar.maximum()
        with qtbot.waitSignal(task.cancelled, timeout=10_000):
            qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        task.wait(10_000)
        assert dialog.outcome == "cancelled"
        assert not dialog.isVisible()
        assert files_in(window) == []  # no file, no .part
        assert lines.condition.error  # still waiting for its weights
        qtbot.waitUntil(lambda: offer.button.isEnabled(), timeout=5_000)

        hub.delay = 0.0
        with qtbot.waitSignal(window.document.pixels_changed, timeout=DETECT_TIMEOUT,
                              check_params_cb=lambda layer, _rect: layer is lines):
            qtbot.mouseClick(offer.button, Qt.MouseButton.LeftButton)
        assert offer.dialog.outcome == "done"
    assert files_in(window) == sorted(LINEART)
    assert lines.condition.error == ""
    assert len(np.unique(lines.pixels[..., 0])) > 8  # the random network's lines, not black
    assert not offer.button.isVisibleTo(window.condition_panel)


def test_a_failed_download_says_why_and_changes_nothing(
    qtbot, window, square_photo, served, tmp_path, monkeypatch
):
    partial = tmp_path / "partial"
    partial.mkdir()
    shutil.copy(served / "sk_model.pth", partial / "sk_model.pth")  # sk_model2.pth: 404
    with serve_hub(partial) as hub, online(monkeypatch, hub):
        lines = lineart_without_weights(qtbot, window, square_photo)
        window.weights_offer.refresh()
        dialog = window.weights_offer.download()
        with qtbot.waitSignal(dialog.task.failed, timeout=10_000):
            pass
    assert dialog.isVisible()
    assert dialog.outcome == "failed"
    assert "sk_model2.pth" in dialog.error_label.text()
    assert "404" in dialog.error_label.text()
    assert files_in(window) == []
    assert "sk_model.pth" in lines.condition.error
    dialog.buttons.rejected.emit()  # Close
    assert not dialog.isVisible()
