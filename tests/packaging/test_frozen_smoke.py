"""The frozen smoke test against an existing build (slow: minutes; opt in).

Run: T2IA_PACKAGING=1 .venv/bin/python -m pytest -m packaging tests/packaging
after packaging/linux/build.sh (or point T2IA_BUNDLE at a built executable).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.packaging,
    pytest.mark.skipif(os.environ.get("T2IA_PACKAGING") != "1",
                       reason="set T2IA_PACKAGING=1 to smoke-test a built bundle"),
]


def load_smoke_test():
    spec = importlib.util.spec_from_file_location("smoke_test",
                                                  ROOT / "packaging" / "smoke_test.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def version() -> str:
    from importlib.metadata import version as dist_version

    return dist_version("t2ia-desktop")


def linux_folder() -> Path:
    return ROOT / "dist" / "linux" / f"t2ia-desktop-{version()}-linux-x86_64"


def built_executable() -> Path:
    if os.environ.get("T2IA_BUNDLE"):
        return Path(os.environ["T2IA_BUNDLE"])
    name = "t2ia-desktop-cli.exe" if sys.platform == "win32" else "t2ia-desktop"
    candidates = [linux_folder() / "app" / name, ROOT / "dist" / "bundle" / "t2ia-desktop" / name]
    found = next((path for path in candidates if path.is_file()), None)
    if found is None:
        pytest.fail("no built bundle: run packaging/linux/build.sh first (or set T2IA_BUNDLE)")
    return found


def test_frozen_app_runs_with_a_clean_environment():
    figures = load_smoke_test().smoke_test(built_executable(), expect_version=version())
    assert figures["version"] == f"t2ia-desktop {version()}"
    assert figures["time_to_window_seconds"] > 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux packages")
def test_linux_packages_hold_launcher_menu_entry_and_mime_type():
    name = f"t2ia-desktop-{version()}-linux-x86_64"
    deb = ROOT / "dist" / f"t2ia-desktop_{version()}_amd64.deb"
    archive = ROOT / "dist" / f"{name}.tar.gz"
    if not deb.is_file() or not archive.is_file():
        pytest.fail(f"{deb.name} or {archive.name} missing: run packaging/linux/build.sh first")
    fields = subprocess.run(["dpkg-deb", "--field", str(deb), "Package", "Version"],
                            capture_output=True, text=True, check=True).stdout
    assert "Package: t2ia-desktop" in fields
    assert f"Version: {version()}" in fields
    contents = subprocess.run(["dpkg-deb", "--contents", str(deb)], capture_output=True,
                              text=True, check=True).stdout
    for path in ("./opt/t2ia-desktop/t2ia-desktop", "./usr/bin/t2ia-desktop -> /opt/t2ia-desktop/",
                 "./usr/share/applications/t2ia-desktop.desktop",
                 "./usr/share/mime/packages/t2ia-desktop.xml",
                 "./usr/share/icons/hicolor/256x256/apps/t2ia-desktop.png",
                 "./opt/t2ia-desktop/_internal/plugins/",
                 "./opt/t2ia-desktop/_internal/resources/"):
        assert path in contents, path
    members = subprocess.run(["tar", "-tzf", str(archive)], capture_output=True, text=True,
                             check=True).stdout.splitlines()
    for member in ("t2ia-desktop", "app/t2ia-desktop", "t2ia-desktop.desktop",
                   "t2ia-desktop-mime.xml", "install-menu-entry.sh", "icons/t2ia-desktop-256.png"):
        assert f"{name}/{member}" in members, member
