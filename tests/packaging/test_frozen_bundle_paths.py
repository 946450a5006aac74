"""Where a frozen app finds its shipped files, and what it says when one is missing."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from PIL import Image

from t2ia_desktop.cli import main as cli
from t2ia_desktop.core import paths
from t2ia_desktop.core.conditions.plugin_manifest import bundled_plugins_dir

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def frozen(monkeypatch, tmp_path):
    """Pretend to be a PyInstaller bundle whose data folder is an empty ``tmp_path/_internal``."""
    bundle = tmp_path / "_internal"
    bundle.mkdir()
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    return bundle


def test_source_tree_has_every_shipped_file():
    assert not paths.is_frozen()
    assert paths.bundle_root() == ROOT
    assert paths.missing_bundle_files() == []
    # The spec puts plugins/ at the bundle root, where the plugin host looks from sources too.
    assert bundled_plugins_dir() == paths.bundle_root() / "plugins"


def test_frozen_app_looks_in_its_data_folder(frozen):
    assert paths.bundle_root() == frozen
    assert paths.app_icon_path() == frozen / "resources" / "icons" / "t2ia-desktop.png"
    assert paths.missing_bundle_files() == [frozen / "resources" / "icons" / "t2ia-desktop.png",
                                            frozen / "plugins"]


def test_frozen_app_names_the_missing_file(frozen, capsys):
    assert cli.main(["conditions"]) == 2
    error = capsys.readouterr().err
    assert str(frozen / "resources" / "icons" / "t2ia-desktop.png") in error
    assert "reinstall" in error


def test_frozen_app_with_its_files_runs_the_command(frozen, tmp_path, capsys):
    (frozen / "resources" / "icons").mkdir(parents=True)
    (frozen / "resources" / "icons" / "t2ia-desktop.png").write_bytes(b"")
    (frozen / "plugins").mkdir()
    assert cli.main(["export", str(tmp_path / "absent.t2ia"), str(tmp_path / "out.png")]) == 2
    error = capsys.readouterr().err
    assert "incomplete" not in error
    assert "absent.t2ia" in error


def test_committed_icons_are_what_make_icons_draws(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("make_icons",
                                                  ROOT / "packaging" / "make_icons.py")
    make_icons = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_icons)
    monkeypatch.setattr(make_icons, "ICONS", tmp_path)
    make_icons.main()
    committed = ROOT / "resources" / "icons"
    for name in ("t2ia-desktop.png", "t2ia-desktop-16.png", "t2ia-desktop-512.png"):
        with Image.open(tmp_path / name) as drawn, Image.open(committed / name) as kept:
            assert drawn.size == kept.size
            assert drawn.tobytes() == kept.tobytes(), f"{name}: run packaging/make_icons.py"
    with Image.open(committed / "t2ia-desktop.ico") as ico:
        assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(ico.info["sizes"])
