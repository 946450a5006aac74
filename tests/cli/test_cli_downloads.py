"""Detector weights on the command line: ``detect`` fetches what it lacks with progress on
stderr, ``download-weights`` fetches on request, offline says where to put the files, and
Ctrl+C leaves no partial file. Against a local server in the hub's URL layout."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from t2ia_desktop.cli.main import main
from t2ia_desktop.engine import detectors
from t2ia_desktop.engine.model_store.weights import app_annotators_folder
from tests.engine.annotator_weights import write_annotators
from tests.engine.hub_server import online, serve_hub

REPO_ROOT = Path(__file__).resolve().parents[2]
LINEART = ["sk_model.pth", "sk_model2.pth"]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = write_annotators(tmp_path_factory.mktemp("served"), ("lineart", "pidinet"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    monkeypatch.delenv("T2IA_ANNOTATORS", raising=False)
    yield
    detectors._LOADED.clear()


def files_here() -> list[str]:
    folder = app_annotators_folder()
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def photo(tmp_path: Path) -> str:
    path = tmp_path / "in.png"
    Image.new("RGB", (96, 64), "gray").save(path)
    return str(path)


def test_detect_downloads_missing_weights_with_progress_on_stderr(served, monkeypatch, tmp_path,
                                                                  capsys):
    out = tmp_path / "out.png"
    with serve_hub(served) as hub, online(monkeypatch, hub):
        status = main(["detect", "lineart", photo(tmp_path), str(out),
                       "--param", "detect_resolution=64"])
    err = capsys.readouterr().err
    assert status == 0, err
    assert f"fetching sk_model.pth, sk_model2.pth from lllyasviel/Annotators into " \
           f"{app_annotators_folder()}" in err
    assert "downloading sk_model.pth:" in err
    assert "downloading sk_model2.pth:" in err
    assert "(100 %)" in err.splitlines()[-1]
    assert files_here() == LINEART
    assert Image.open(out).size == (96, 64)


def test_offline_detect_names_the_file_and_where_to_put_it(tmp_path, capsys):
    status = main(["detect", "lineart", photo(tmp_path), str(tmp_path / "out.png")])
    err = capsys.readouterr().err
    assert status == 2
    assert len(err.splitlines()) == 1
    assert "sk_model.pth" in err
    assert "offline mode is on" in err
    assert str(app_annotators_folder()) in err
    assert not (tmp_path / "out.png").exists()


def test_download_weights_fetches_only_what_is_missing(served, monkeypatch, capsys):
    with serve_hub(served) as hub, online(monkeypatch, hub):
        assert main(["download-weights", "sketch"]) == 0  # PiDiNet, for photos
        assert main(["download-weights", "lineart", "pidinet", "canny"]) == 0
    out = capsys.readouterr().out
    assert files_here() == sorted([*LINEART, "table5_pidinet.pth"])
    assert [path for method, path in hub.requests if method == "GET" and "pidinet" in path] \
        == ["/lllyasviel/Annotators/resolve/main/table5_pidinet.pth"]  # fetched once
    assert f"lineart: sk_model.pth, sk_model2.pth in {app_annotators_folder()}" in out
    assert "canny: its detector needs no weights" in out


def test_download_weights_refuses_an_unknown_name_before_fetching(capsys):
    assert main(["download-weights", "lineart", "posee"]) == 2
    err = capsys.readouterr().err
    assert "unknown condition or detector 'posee'" in err
    assert "openpose" in err
    assert files_here() == []


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX here")
def test_ctrl_c_stops_a_download_and_leaves_no_partial_file(served, tmp_path):
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items()
           if k not in ("HF_HUB_OFFLINE", "T2IA_ANNOTATORS")}
    with serve_hub(served, delay=0.01, chunk=16 * 1024) as hub:
        env.update(HF_ENDPOINT=hub.url, T2IA_HOME=str(home), PYTHONPATH=str(REPO_ROOT))
        child = subprocess.Popen(
            [sys.executable, "-m", "t2ia_desktop", "download-weights", "lineart"],
            stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
        )
        try:
            lines = []
            for line in child.stderr:  # wait until the download is under way
                lines.append(line)
                if line.startswith("downloading sk_model.pth"):
                    break
            child.send_signal(signal.SIGINT)
            rest = child.stderr.read()
            status = child.wait(30)
        finally:
            child.kill()
    assert status == 130, "".join(lines) + rest
    assert "interrupted" in rest
    folder = home / "annotators"
    assert sorted(p.name for p in folder.iterdir()) == []  # no .part, no half file
