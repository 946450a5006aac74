"""Frozen smoke test: runs a built t2ia-desktop bundle the way an artist's machine would.

Usage: python packaging/smoke_test.py PATH/TO/t2ia-desktop[.exe|-cli.exe] [--expect-version V]
[--json FIGURES.json]. Standard library only, so any Python can run it against any build.

Each command runs with a clean environment (no venv on PATH, no PYTHONPATH, a temporary HOME),
offscreen Qt and the Hugging Face hub offline: ``--version``, ``conditions`` (the bundled plugins
load), ``demo-model``, a headless ``generate`` from it, a ``detect`` (OpenCV + controlnet_aux),
the missing-resource message, and the window opened offscreen, timed (twice: first and warm).
Exits 0 when all pass and prints the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

WINDOWS = sys.platform == "win32"


class SmokeFailure(AssertionError):
    """A step of the smoke test did not do what it should."""


def clean_environment(home: Path) -> dict[str, str]:
    """Only what a fresh login has: a temporary home, the system PATH, offscreen and offline."""
    env = {"QT_QPA_PLATFORM": "offscreen", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    if WINDOWS:
        root = os.environ.get("SYSTEMROOT", r"C:\Windows")
        for name in ("APPDATA", "LOCALAPPDATA", "TEMP"):
            (home / name).mkdir(parents=True, exist_ok=True)
        env.update(SYSTEMROOT=root, PATH=rf"{root}\System32;{root}", USERPROFILE=str(home),
                   APPDATA=str(home / "APPDATA"), LOCALAPPDATA=str(home / "LOCALAPPDATA"),
                   TEMP=str(home / "TEMP"), TMP=str(home / "TEMP"))
    else:
        env.update(HOME=str(home), PATH="/usr/bin:/bin")
    return env


def bundle_data_dir(executable: Path) -> Path:
    """PyInstaller's data folder (``_internal``) next to the executable."""
    return executable.resolve().parent / "_internal"


class Runner:
    def __init__(self, executable: Path, home: Path) -> None:
        self.executable = executable
        self.env = clean_environment(home)
        self.cwd = home

    def run(self, *args: str, timeout: float = 900, extra: dict[str, str] | None = None,
            expect: int = 0) -> subprocess.CompletedProcess[str]:
        env = {**self.env, **(extra or {})}
        done = subprocess.run([str(self.executable), *args], env=env, cwd=self.cwd, text=True,
                              capture_output=True, timeout=timeout, check=False)
        if done.returncode != expect:
            raise SmokeFailure(f"{' '.join(args)}: exit {done.returncode} (wanted {expect})\n"
                               f"stdout: {done.stdout[-2000:]}\nstderr: {done.stderr[-4000:]}")
        return done

    def time_to_window(self) -> float:
        """Seconds from starting the app to its window being shown (offscreen)."""
        env = {**self.env, "T2IA_EXIT_AFTER_SHOW": "1"}
        started = time.perf_counter()
        process = subprocess.Popen([str(self.executable)], env=env, cwd=self.cwd, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        shown = None
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("window-shown"):
                shown = time.perf_counter() - started
                if "torch=True" in line:
                    raise SmokeFailure("torch was imported before the window showed")
        _, errors = process.communicate(timeout=300)
        if shown is None or process.returncode != 0:
            raise SmokeFailure(f"the window did not show (exit {process.returncode}): "
                               f"{errors[-4000:]}")
        return shown


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise SmokeFailure(f"{path} is not a PNG file")
    return struct.unpack(">II", data[16:24])


def bundled_plugin_ids(executable: Path) -> list[str]:
    folder = bundle_data_dir(executable) / "plugins"
    return sorted(tomllib.loads(manifest.read_text(encoding="utf-8"))["id"]
                  for manifest in folder.glob("*/plugin.toml"))


def check_missing_resource(runner: Runner, executable: Path) -> str:
    """Hide the app icon for one run: the app must name the missing file, then it is put back."""
    icon = bundle_data_dir(executable) / "resources" / "icons" / "t2ia-desktop.png"
    hidden = icon.with_name(icon.name + ".hidden-by-smoke-test")
    icon.rename(hidden)
    try:
        done = runner.run("conditions", expect=2, timeout=300)
    finally:
        hidden.rename(icon)
    if str(icon) not in done.stderr and icon.name not in done.stderr:
        raise SmokeFailure(f"the missing-resource message does not name {icon}: {done.stderr}")
    return done.stderr.strip()


def smoke_test(executable: Path, expect_version: str | None = None) -> dict[str, object]:
    """Run every step against ``executable``; return the figures. Raises SmokeFailure."""
    executable = Path(executable).absolute()  # the commands run in a temporary folder
    if not executable.is_file():
        raise SmokeFailure(f"{executable}: no such executable (build the bundle first)")
    figures: dict[str, object] = {"executable": str(executable)}
    with tempfile.TemporaryDirectory(prefix="t2ia-smoke-") as temp:
        home = Path(temp)
        runner = Runner(executable, home)

        started = time.perf_counter()
        version = runner.run("--version", timeout=300).stdout.strip()
        figures["version_seconds"] = round(time.perf_counter() - started, 2)
        if not version.startswith("t2ia-desktop ") or "+source" in version:
            raise SmokeFailure(f"--version printed {version!r}: package metadata not bundled?")
        if expect_version and version != f"t2ia-desktop {expect_version}":
            raise SmokeFailure(f"--version printed {version!r}, wanted {expect_version}")
        figures["version"] = version

        listing = runner.run("conditions", timeout=600).stdout
        for plugin in bundled_plugin_ids(executable):
            if not any(line.startswith(plugin + "\t") for line in listing.splitlines()):
                raise SmokeFailure(f"bundled plugin {plugin} is not listed:\n{listing}")

        model = home / "demo"
        runner.run("demo-model", str(model), timeout=900)
        if not (model / "model_index.json").is_file():
            raise SmokeFailure(f"demo-model wrote no model_index.json in {model}")

        image = home / "generated.png"
        started = time.perf_counter()
        runner.run("generate", "--model", str(model), "--prompt", "a red barn in a field",
                   "--steps", "2", "--width", "128", "--height", "128", "--seed", "7",
                   "--out", str(image), timeout=900)
        figures["generate_seconds"] = round(time.perf_counter() - started, 2)
        if png_size(image) != (128, 128):
            raise SmokeFailure(f"generate wrote a {png_size(image)} image, wanted 128×128")

        edges = home / "edges.png"
        runner.run("detect", "canny", str(image), str(edges), timeout=600)
        png_size(edges)

        figures["missing_resource_message"] = check_missing_resource(runner, executable)
        figures["time_to_window_first_seconds"] = round(runner.time_to_window(), 2)
        figures["time_to_window_seconds"] = round(runner.time_to_window(), 2)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("executable", type=Path)
    parser.add_argument("--expect-version")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    try:
        figures = smoke_test(args.executable, args.expect_version)
    except (SmokeFailure, subprocess.TimeoutExpired) as failure:
        print(f"smoke test FAILED: {failure}", file=sys.stderr)
        return 1
    text = json.dumps(figures, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    print("smoke test passed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
