"""Download figures against the local hub-layout test server: speed, progress calls, Cancel.

Run from the repository root (no network; random lineart weights, 2 × 17 MB):
    .venv/bin/python -m tests.engine.model_store.bench_downloads
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from t2ia_desktop.core.errors import Cancelled
from t2ia_desktop.engine.model_store.downloads import download_files
from tests.engine.annotator_weights import write_annotators
from tests.engine.hub_server import serve_hub

REPO = "lllyasviel/Annotators"
FILES = ("sk_model.pth", "sk_model2.pth")


def speed(served: Path, repeats: int = 3) -> None:
    with serve_hub(served) as hub:
        os.environ["HF_ENDPOINT"] = hub.url
        for _ in range(repeats):
            out = Path(tempfile.mkdtemp())
            calls = []
            started = time.perf_counter()
            download_files(REPO, FILES, out,
                           progress=lambda *report, calls=calls: calls.append(report))
            seconds = time.perf_counter() - started
            size = sum((out / name).stat().st_size for name in FILES)
            print(f"download {size / 1e6:.1f} MB: {seconds * 1000:.0f} ms "
                  f"({size / 1e6 / seconds:.0f} MB/s), {len(calls)} progress calls")
            shutil.rmtree(out)


def cancel_latency(served: Path, repeats: int = 5) -> None:
    """From setting Cancel (as the dialog's button does) to Cancelled, .part removed."""
    with serve_hub(served, delay=0.002, chunk=32 * 1024) as hub:
        os.environ["HF_ENDPOINT"] = hub.url
        figures = []
        for _ in range(repeats):
            out = Path(tempfile.mkdtemp())
            cancel = threading.Event()
            marks: list[float] = []

            def progress(done: int, _total: object, _name: str, cancel=cancel,
                         marks=marks) -> None:
                if done > 500_000 and not cancel.is_set():
                    marks.append(time.perf_counter())
                    cancel.set()

            try:
                download_files(REPO, FILES, out, progress=progress, cancel=cancel)
            except Cancelled:
                figures.append((time.perf_counter() - marks[0]) * 1000)
            assert list(out.iterdir()) == [], "a partial file was left"
            shutil.rmtree(out)
        print("cancel to Cancelled (partial file removed): "
              + ", ".join(f"{ms:.2f}" for ms in figures) + " ms")


def main() -> None:
    os.environ.pop("HF_HUB_OFFLINE", None)  # this process only: the server is local
    served = write_annotators(Path(tempfile.mkdtemp()), ("lineart",))
    try:
        speed(served)
        cancel_latency(served)
    finally:
        shutil.rmtree(served, ignore_errors=True)


if __name__ == "__main__":
    main()
