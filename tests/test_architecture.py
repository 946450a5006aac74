"""The layering rules hold: import-linter's contracts pass, and the window comes before torch."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _contracts() -> list[dict]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    return config["tool"]["importlinter"]["contracts"]


def test_import_linter_contracts_are_kept():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=120,
        check=False,
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    contracts = _contracts()
    assert len(contracts) >= 4
    for contract in contracts:  # every contract in pyproject actually ran, and was kept
        assert f"{contract['name']} KEPT" in report, report
    assert f"Contracts: {len(contracts)} kept, 0 broken." in report


def test_the_contracts_cover_the_layers():
    names = {c["type"]: c for c in _contracts()}
    assert names["layers"]["layers"] == [
        "t2ia_desktop.ui", "t2ia_desktop.runtime", "t2ia_desktop.engine", "t2ia_desktop.core",
    ]
    forbidden = {c["source_modules"][0]: set(c["forbidden_modules"])
                 for c in _contracts() if c["type"] == "forbidden"}
    assert {"PySide6", "torch"} <= forbidden["t2ia_desktop.core"]
    assert {"PySide6"} <= forbidden["t2ia_desktop.engine"]
    assert {"torch", "t2ia_desktop.engine"} <= forbidden["t2ia_desktop.ui"]


def test_the_app_window_and_runner_import_without_torch(tmp_path):
    code = (
        "import t2ia_desktop.app, t2ia_desktop.ui.window.main_window, t2ia_desktop.runtime.runner; "
        "import sys; print('torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
