"""packaging/linux/build.sh refuses to start, with a clear message, when it cannot build well."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "packaging" / "linux" / "build.sh"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or not shutil.which("bash"),
                                reason="the Linux build script")
needs_dpkg = pytest.mark.skipif(not shutil.which("dpkg-deb"), reason="dpkg-deb is not installed")


def run_build(root: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(root / "packaging" / "linux" / "build.sh")],
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=120,
                          check=False)


def python_without_pyinstaller(tmp_path: Path) -> str:
    """A Python that cannot import PyInstaller (whatever is installed where)."""
    fake = tmp_path / "python"
    fake.write_text(f"#!/bin/sh\nif [ \"$1 $2\" = '-m PyInstaller' ]; then exit 1; fi\n"
                    f"exec {sys.executable} \"$@\"\n")
    fake.chmod(0o755)
    return str(fake)


def test_refuses_without_pyinstaller(tmp_path):
    done = run_build(ROOT, PYTHON=python_without_pyinstaller(tmp_path))
    assert done.returncode == 1
    assert "PyInstaller is not installed" in done.stderr
    assert "pip install -e '.[package]'" in done.stderr


@needs_dpkg
def test_refuses_without_enough_disk():
    pytest.importorskip("PyInstaller")
    done = run_build(ROOT, PYTHON=sys.executable, T2IA_MIN_FREE_GB="1000000")
    assert done.returncode == 1
    assert "GB free" in done.stderr
    assert "needs 1000000 GB" in done.stderr


@needs_dpkg
def test_refuses_a_dirty_tree_unless_allowed(tmp_path):
    pytest.importorskip("PyInstaller")
    shutil.which("git") or pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    (repo / "packaging" / "linux").mkdir(parents=True)
    shutil.copy(BUILD, repo / "packaging" / "linux" / "build.sh")
    (repo / ".gitignore").write_text("dist/\nbuild/\n")
    (repo / "sketch.txt").write_text("not committed")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    done = run_build(repo, PYTHON=sys.executable, T2IA_MIN_FREE_GB="0")
    assert done.returncode == 1
    assert "uncommitted changes" in done.stderr
    assert "--allow-dirty" in done.stderr
    assert "sketch.txt" in done.stderr
    assert not (repo / "dist" / "bundle").exists()  # refused before building anything
