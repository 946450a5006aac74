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


def test_ruff_finds_nothing():
    ruff = Path(sys.executable).parent / "ruff"
    done = subprocess.run([str(ruff), "check", "--no-cache", "."], cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_contracts_cover_the_layers():
    contracts = {c["name"]: c for c in _contracts()}
    assert contracts["layers import downwards only"]["layers"] == [
        "t2ia_desktop.ui", "t2ia_desktop.session", "t2ia_desktop.runtime", "t2ia_desktop.engine",
        "t2ia_desktop.core",
    ]
    ui_folders = contracts["ui folders import each other only through window and common"]
    assert ui_folders["containers"] == ["t2ia_desktop.ui"]
    assert ui_folders["layers"][0] == "window"
    assert ui_folders["layers"][-1] == "common"
    forbidden = {c["source_modules"][0]: set(c["forbidden_modules"])
                 for c in _contracts() if c["type"] == "forbidden"}
    assert {"PySide6", "torch"} <= forbidden["t2ia_desktop.core"]
    assert {"PySide6"} <= forbidden["t2ia_desktop.engine"]
    assert {"torch", "t2ia_desktop.engine"} <= forbidden["t2ia_desktop.ui"]
    assert {"t2ia_desktop.ui", "torch"} <= forbidden["t2ia_desktop.session"]


def test_the_app_window_and_runner_import_without_torch(tmp_path):
    code = (
        "import t2ia_desktop.app, t2ia_desktop.ui.window.main_window, t2ia_desktop.runtime.runner; "
        "import sys; print('torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


PACKAGE = REPO / "t2ia_desktop"


def _modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.py") if p.name != "__init__.py")


def test_the_package_root_is_small_and_no_folder_is_crowded():
    assert len(_modules(PACKAGE)) <= 5  # with __init__.py: at most 6 modules at the root
    crowded = {str(folder.relative_to(REPO)): len(_modules(folder))
               for folder in PACKAGE.rglob("*") if folder.is_dir() and "__pycache__" not in
               folder.parts and len(_modules(folder)) > 14}
    assert crowded == {}  # 15 modules at most, __init__.py included


def test_no_module_is_over_500_lines():
    long = {str(path.relative_to(REPO)): count for path in PACKAGE.rglob("*.py")
            if (count := len(path.read_text(encoding="utf-8").splitlines())) > 500}
    assert long == {}


def _import_cycles() -> list[list[str]]:
    import grimp

    graph = grimp.build_graph("t2ia_desktop")  # imports under TYPE_CHECKING included
    modules = sorted(graph.modules)
    edges = {m: {i for i in graph.find_modules_directly_imported_by(m) if i in graph.modules}
             for m in modules}
    # Tarjan's strongly connected components, iteratively
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cycles: list[list[str]] = []
    counter = 0
    for root in modules:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


def test_no_import_cycles():
    assert _import_cycles() == []


def test_only_the_window_package_imports_the_main_window():
    import grimp

    graph = grimp.build_graph("t2ia_desktop")
    importers = graph.find_modules_that_directly_import("t2ia_desktop.ui.window.main_window")
    outside = sorted(m for m in importers if not m.startswith("t2ia_desktop.ui.window")
                     and m != "t2ia_desktop.app")
    assert outside == []


def test_session_and_runtime_use_qtcore_only():
    """What a window shows and a test drives has no widgets: the session and the runtime
    import nothing of Qt but QtCore (import-linter cannot name a part of an external package)."""
    import ast

    found = []
    for folder in ("session", "runtime"):
        for path in (PACKAGE / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                found += [f"{path.relative_to(REPO)}: {name}" for name in names
                          if name.startswith("PySide6") and name != "PySide6.QtCore"]
    assert found == []
