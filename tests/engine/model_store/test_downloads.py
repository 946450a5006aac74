"""Downloading detector weights from a local server in the hub's URL layout (no network).

The files are random-weight detector checkpoints saved under their real names
(``annotator_weights.py``); after a download they load through controlnet_aux's real code.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading

import numpy as np
import pytest
from PIL import Image

from t2ia_desktop.core.conditions.registry import default_registry
from t2ia_desktop.core.errors import BadInput, Cancelled, ModelUnavailable
from t2ia_desktop.engine import detectors
from t2ia_desktop.engine.detectors import detect
from t2ia_desktop.engine.model_store.downloads import download_annotator_weights, download_files
from t2ia_desktop.engine.model_store.weights import (
    WeightsMissing,
    annotators_folder,
    app_annotators_folder,
    find_weights,
    missing_files,
)
from tests.engine.annotator_weights import ANNOTATOR_FILES, no_network, write_annotators
from tests.engine.hub_server import online, serve_hub

LINEART = ANNOTATOR_FILES["lineart"]
REPO = "lllyasviel/Annotators"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The server's side: random lineart weights (2 × 17 MB) under their real names."""
    folder = write_annotators(tmp_path_factory.mktemp("served"), ("lineart",))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def _fresh():
    yield
    detectors._LOADED.clear()
    shutil.rmtree(app_annotators_folder(), ignore_errors=True)


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


# -- a detector never downloads ---------------------------------------------------------------

def test_missing_weights_raise_a_weights_missing_error_with_the_files_and_sizes(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE")  # online: still no download, and no connection
    with no_network(), pytest.raises(WeightsMissing) as caught:
        detect(default_registry().get("lineart"), Image.new("RGB", (64, 64)))
    error = caught.value
    assert error.files == LINEART
    assert error.folder == annotators_folder()
    assert error.sizes == {"sk_model.pth": 17_200_000, "sk_model2.pth": 17_200_000}
    message = str(error)
    assert "sk_model.pth, sk_model2.pth" in message
    assert "≈ 34 MB" in message
    assert "Download weights" in message
    assert "download-weights lineart" in message
    assert str(app_annotators_folder()) in message


def test_offline_the_message_says_where_to_put_the_file(monkeypatch):
    with pytest.raises(WeightsMissing, match=r"offline mode is on.*huggingface.co/lllyasviel"):
        detect(default_registry().get("depth-midas"), Image.new("RGB", (64, 64)))


# -- downloads --------------------------------------------------------------------------------

@pytest.mark.parametrize("redirect", [False, True], ids=["direct", "cdn-redirect"])
def test_download_reports_progress_across_files_and_lands_complete_files(
    served, monkeypatch, tmp_path, redirect
):
    sizes = [(served / name).stat().st_size for name in LINEART]
    calls = []
    with serve_hub(served, redirect=redirect) as hub, online(monkeypatch, hub):
        paths = download_files(REPO, LINEART, tmp_path / "ann",
                               progress=lambda done, total, name: calls.append((done, total, name)))
    assert [p.name for p in paths] == list(LINEART)
    for path in paths:
        assert path.read_bytes() == (served / path.name).read_bytes()
    assert leftovers(tmp_path / "ann") == sorted(LINEART)  # no .part file stays
    totals = {total for _, total, _ in calls}
    assert totals == {sum(sizes)}  # the total is known from the start (HEAD, X-Linked-Size)
    done = [d for d, _, _ in calls]
    assert done == sorted(done)
    assert done[-1] == sum(sizes)
    assert len(done) > 4
    assert {name for _, _, name in calls} >= set(LINEART)
    assert [m for m, _ in hub.requests if m == "HEAD"] == ["HEAD", "HEAD"]


def test_cancel_mid_download_removes_the_partial_file(served, monkeypatch, tmp_path):
    cancel = threading.Event()
    seen = []

    def progress(done, total, name):
        seen.append(done)
        if done >= 1_000_000:
            cancel.set()  # as the Cancel button does, from another thread

    with (serve_hub(served, delay=0.002, chunk=32 * 1024) as hub, online(monkeypatch, hub),
          pytest.raises(Cancelled)):
        download_files(REPO, LINEART, tmp_path, progress=progress, cancel=cancel)
    assert 1_000_000 <= seen[-1] < (served / LINEART[0]).stat().st_size
    assert leftovers(tmp_path) == []  # neither sk_model.pth nor sk_model.pth.part


def test_a_file_missing_on_the_hub_is_named_and_nothing_is_written(served, monkeypatch,
                                                                    tmp_path):
    with (serve_hub(served) as hub, online(monkeypatch, hub),
          pytest.raises(ModelUnavailable) as caught):
        download_files(REPO, ("sk_model.pth", "no_such_model.pth"), tmp_path)
    message = str(caught.value)
    assert "no_such_model.pth" in message
    assert "404" in message
    assert f"{hub.url}/{REPO}/resolve/main/no_such_model.pth" in message
    assert str(tmp_path) in message  # where to put it by hand
    assert leftovers(tmp_path) == []  # checked before the first byte is fetched
    assert all(method == "HEAD" for method, _ in hub.requests)


def test_a_hub_that_refuses_connections_gives_a_clear_message(monkeypatch, tmp_path):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    with pytest.raises(ModelUnavailable, match=rf"Cannot reach the hub at http://127.0.0.1:{port}"
                                               r" to download sk_model.pth.*Connect"):
        download_files(REPO, LINEART, tmp_path)


def test_offline_mode_downloads_nothing(served, monkeypatch, tmp_path):
    with serve_hub(served) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)  # HF_HUB_OFFLINE=1 stays, from conftest
        with pytest.raises(ModelUnavailable, match=r"offline mode is on .*into " + str(tmp_path)):
            download_files(REPO, LINEART, tmp_path)
    assert hub.requests == []


def test_a_folder_that_cannot_be_written_is_named(served, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with (serve_hub(served) as hub, online(monkeypatch, hub),
          pytest.raises(BadInput, match=r"Cannot save downloads in .*a-file.*T2IA_ANNOTATORS")):
        download_files(REPO, LINEART, blocker / "annotators")
    assert hub.requests == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_folder_is_named(served, monkeypatch, tmp_path):
    tmp_path.chmod(0o500)
    try:
        with (serve_hub(served) as hub, online(monkeypatch, hub),
              pytest.raises(BadInput, match="Cannot save downloads in")):
            download_files(REPO, LINEART, tmp_path)
    finally:
        tmp_path.chmod(0o700)


def test_not_enough_disk_space_is_said_before_downloading(served, monkeypatch, tmp_path):
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _path: usage(10**9, 10**9 - 5000, 5000))
    with (serve_hub(served) as hub, online(monkeypatch, hub),
          pytest.raises(BadInput, match=r"Not enough disk space in .*need 34 MB")):
        download_files(REPO, LINEART, tmp_path)
    assert leftovers(tmp_path) == []
    assert all(method == "HEAD" for method, _ in hub.requests)


def test_downloaded_weights_load_through_the_real_detector_code(served, monkeypatch):
    lineart = default_registry().get("lineart")
    assert missing_files(LINEART) == LINEART
    with serve_hub(served) as hub, online(monkeypatch, hub):
        download_annotator_weights(missing_files(LINEART))
    assert find_weights(LINEART) == app_annotators_folder()  # the app's own folder
    assert missing_files(LINEART) == ()
    with no_network():
        control = detect(lineart, Image.new("RGB", (96, 80), "gray"), {"detect_resolution": 64})
    assert control.size == (96, 80)
    assert control.mode == "L"
    assert np.asarray(control).dtype == np.uint8


def test_downloads_go_to_the_annotators_folder_that_is_set(served, monkeypatch, tmp_path):
    mine = tmp_path / "mine"
    with serve_hub(served) as hub, online(monkeypatch, hub):
        paths = download_annotator_weights(LINEART[:1], annotators=mine)
    assert paths == [mine / "sk_model.pth"]
    assert missing_files(LINEART, mine) == ("sk_model2.pth",)  # only what is still needed
    assert missing_files(LINEART) == LINEART  # the app's own folder has none of them
