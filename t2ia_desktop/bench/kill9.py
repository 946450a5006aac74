"""Kill -9 at random instants: what a crash leaves of a project save, an export and an autosave.

``python -m t2ia_desktop.bench.kill9 [--runs N] [--autosave-runs N] [--seed S]`` runs, in
processes of their own that it ends with SIGKILL at a random instant (POSIX only):

save      a process saving versions 1, 2, 3… of a 1024² four-layer project over one file with
          the app's own project writer (``save_project``: what File → Save runs), killed 0–2 s
          after its first save; the file must open afterwards and hold the last version
          reported saved or the one after it
export    ``t2ia-desktop export PROJECT OUT.png`` (the real command line) over an earlier
          export, killed at 30–150 % of an export's time: OUT.png must be the earlier picture
          or the new one, whole
autosave  the real app (offscreen) painting a stroke every 20 ms with autosave every 0.05 s,
          killed after its first autosave: the next launch's recovery search must offer the
          work and the offered document must open

It prints one JSON object: per path the runs, how many left an intact file, the lost or
damaged ones (which must be 0), and the temporary files the kills left (removed at the next
save or launch). Figures are measured, never asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZE = 1024
LAYERS = 4
LINE_TIMEOUT_S = 180.0


# -- the processes that get killed ------------------------------------------------------------

def _document(version: int):
    import numpy as np

    from t2ia_desktop.core.document.document import Document, Layer

    document = Document.with_sketch_layer(SIZE, SIZE)
    noise = np.random.default_rng(7).integers(0, 256, (SIZE, SIZE, 4), dtype=np.uint8)
    for index in range(LAYERS - 1):  # incompressible: each save takes a while
        document.add_layer(Layer(f"paint {index}", "paint", noise.copy()))
    document.sketch_layer().pixels[..., 3] = version % 256  # the version, in every pixel
    document.sketch_layer().pixels[0, 0, :3] = (version // 65536 % 256, version // 256 % 256,
                                                 version % 256)
    return document


def version_of(document) -> int:
    red, green, blue = (int(value) for value in document.sketch_layer().pixels[0, 0, :3])
    return red * 65536 + green * 256 + blue


def child_save(path: str) -> None:
    """Save versions 1, 2, 3… over ``path`` for ever, saying each once it is saved."""
    from t2ia_desktop.core.files.project import save_project

    version = 0
    while True:
        version += 1
        document = _document(version)
        save_project(document, path, {"prompt": f"version {version}"}, cache=None)
        print(f"saved {version}", flush=True)


def child_autosave() -> None:
    """The real app, painting a stroke every 20 ms; says ``autosaved`` at each autosave."""
    from PySide6.QtCore import QEvent, QPointF, Qt, QTimer
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    from t2ia_desktop.cli.main import main

    app = QApplication([sys.argv[0]])
    strokes = [0]

    def mouse(canvas, kind, x: float, y: float) -> None:
        point = canvas.from_document(QPointF(x, y))
        pressed = kind != QEvent.Type.MouseButtonRelease
        QApplication.sendEvent(canvas, QMouseEvent(
            kind, point, canvas.mapToGlobal(point),
            Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove
            else Qt.MouseButton.NoButton,
            Qt.MouseButton.LeftButton if pressed else Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier))

    def paint() -> None:
        window = next((w for w in app.topLevelWidgets()  # the main window, once shown
                       if getattr(w, "autosaver", None) is not None and w.isVisible()), None)
        if window is None:
            QTimer.singleShot(50, paint)
            return
        if not strokes[0]:
            window.autosaver.written.connect(lambda _p: print("autosaved", flush=True))
        strokes[0] += 1
        y = 20 + strokes[0] * 7 % (window.document.height - 40)
        mouse(window.canvas, QEvent.Type.MouseButtonPress, 20, y)
        mouse(window.canvas, QEvent.Type.MouseMove, 200, y)
        mouse(window.canvas, QEvent.Type.MouseButtonRelease, 200, y)
        QTimer.singleShot(20, paint)

    QTimer.singleShot(0, paint)
    sys.exit(main([]))


# -- the runs --------------------------------------------------------------------------------

class Child:
    """A process of this module (or of the command line) whose output is read line by line."""

    def __init__(self, arguments: list[str], env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, *arguments], env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []

    def wait_for(self, prefix: str) -> str:
        import select

        ends = time.monotonic() + LINE_TIMEOUT_S
        while time.monotonic() < ends:
            ready, _, _ = select.select([self.process.stdout], [], [], 1.0)
            if not ready:
                continue
            line = self.process.stdout.readline()
            if not line:
                break
            self.lines.append(line.rstrip("\n"))
            if line.startswith(prefix):
                return line[len(prefix):].strip()
        raise RuntimeError("no line " + prefix + ":\n" + "\n".join(self.lines[-20:]))

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(60)
        self.lines += [line.rstrip("\n") for line in self.process.stdout.read().splitlines()]


def _temporaries(folder: Path) -> int:
    return sum(1 for entry in folder.rglob(".*.tmp"))


def run_saves(runs: int, chance: random.Random, folder: Path) -> dict:
    from t2ia_desktop.core.files.atomic_file import remove_stale_temporaries
    from t2ia_desktop.core.files.project import load_project

    intact = lost = left = swept = 0
    for run in range(runs):
        path = folder / f"save-{run}" / "harbour.t2ia"
        path.parent.mkdir()
        child = Child(["-m", "t2ia_desktop.bench.kill9", "--child", "save", str(path)])
        try:
            saved = int(child.wait_for("saved "))  # the file exists: now kill at random
            time.sleep(chance.uniform(0.0, 2.0))
        finally:
            child.kill()
        saved = max([saved] + [int(line.split()[1]) for line in child.lines
                               if line.startswith("saved ")])
        try:
            document, settings = load_project(path, cache=None)
            ok = version_of(document) in (saved, saved + 1) and (
                settings.get("prompt") == f"version {version_of(document)}")
        except Exception:
            ok = False
        intact += ok
        lost += not ok
        left += _temporaries(path.parent)
        # the launch's sweep (here without its 60 s age limit) knows them as the app's own
        swept += len(remove_stale_temporaries(path.parent, older_than_s=0.0))
    return {"runs": runs, "intact": intact, "lost_or_damaged": lost,
            "temporary_files_left": left, "temporary_files_swept": swept}


def _pixels_digest(path: Path) -> str:
    from PIL import Image

    with Image.open(path) as image:
        return hashlib.sha256(image.convert("RGBA").tobytes()).hexdigest()


def run_exports(runs: int, chance: random.Random, folder: Path) -> dict:
    from t2ia_desktop.core.files.atomic_file import remove_stale_temporaries
    from t2ia_desktop.core.files.project import save_project

    project, earlier = folder / "export.t2ia", folder / "earlier.t2ia"
    save_project(_document(1), project, cache=None)
    save_project(_document(2), earlier, cache=None)
    command = ["-m", "t2ia_desktop", "export"]
    reference = folder / "reference.png"
    started = time.monotonic()
    subprocess.run([sys.executable, *command, str(project), str(reference)], check=True,
                   capture_output=True)
    duration = time.monotonic() - started
    new = _pixels_digest(reference)
    intact = kept_old = got_new = lost = left = swept = 0
    for run in range(runs):
        out = folder / f"export-{run}" / "harbour.png"
        out.parent.mkdir()
        subprocess.run([sys.executable, *command, str(earlier), str(out)], check=True,
                       capture_output=True)
        old = _pixels_digest(out)
        child = Child([*command, str(project), str(out)])
        # the first part of the command's time is starting Python: the kills aim at the rest
        time.sleep(chance.uniform(0.3 * duration, 1.5 * duration))
        child.kill()
        try:
            digest = _pixels_digest(out)
        except Exception:
            digest = ""
        kept_old += digest == old
        got_new += digest == new
        ok = digest in (old, new)
        intact += ok
        lost += not ok
        left += _temporaries(out.parent)
        swept += len(remove_stale_temporaries(out.parent, older_than_s=0.0))
    return {"runs": runs, "intact": intact, "earlier_export_kept": kept_old,
            "new_export_whole": got_new, "lost_or_damaged": lost,
            "temporary_files_left": left, "temporary_files_swept": swept,
            "export_s": round(duration, 2)}


def run_autosaves(runs: int, chance: random.Random, folder: Path) -> dict:
    from PySide6.QtCore import QCoreApplication

    from t2ia_desktop.ui.window.autosave import find_recoveries, load_recovery

    QCoreApplication.instance() or QCoreApplication([])  # QLockFile needs no more
    offered = restorable = lost = 0
    for run in range(runs):
        home = folder / f"autosave-{run}"
        child = Child(["-m", "t2ia_desktop.bench.kill9", "--child", "autosave"],
                      {"T2IA_HOME": str(home), "QT_QPA_PLATFORM": "offscreen",
                       "T2IA_AUTOSAVE_SECONDS": "0.05"})
        try:
            child.wait_for("autosaved")
            time.sleep(chance.uniform(0.0, 2.0))
        finally:
            child.kill()
        found = find_recoveries(home / "recovery")
        offered += len(found) == 1
        try:
            document, _settings = load_recovery(found[0])
            ok = int(document.sketch_layer().pixels[..., 3].max()) > 0
        except Exception:
            ok = False
        restorable += ok
        lost += not ok
        for recovery in found:
            recovery.release()
    return {"runs": runs, "offered": offered, "restorable": restorable,
            "lost_or_damaged": lost}


def kill9_figures(runs: int = 20, autosave_runs: int = 10, seed: int = 0) -> dict:
    chance = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="t2ia-kill9-") as scratch:
        folder = Path(scratch)
        figures = {"save": run_saves(runs, chance, folder),
                   "export": run_exports(runs, chance, folder)}
        if autosave_runs:
            figures["autosave"] = run_autosaves(autosave_runs, chance, folder)
    figures["seed"] = seed
    figures["cores"] = os.cpu_count()
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m t2ia_desktop.bench.kill9")
    parser.add_argument("--runs", type=int, default=20, help="kills of saves and of exports")
    parser.add_argument("--autosave-runs", type=int, default=10, help="kills of the app")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        if args.child[0] == "save":
            child_save(args.child[1])
        else:
            child_autosave()
        return
    if sys.platform == "win32":
        raise SystemExit("kill -9 runs need POSIX signals (Linux or macOS)")
    print(json.dumps(kill9_figures(args.runs, args.autosave_runs, args.seed)))


if __name__ == "__main__":
    main()
