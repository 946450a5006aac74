"""Open an image history of N pictures in the Image history dock; print figures (never asserted).

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m t2ia_desktop.bench.image_history [--entries 1000]

Writes N real entries (512×512 PNG, thumbnail, index line) into a temporary folder with
``History.add``, then times: reading the index, opening the panel until the first thumbnails
show, a search keystroke over all entries, and how many thumbnails were read from disk.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

from PIL import Image


def history_figures(entries: int) -> dict[str, float | int]:
    from PySide6.QtWidgets import QApplication

    from t2ia_desktop.core.generation.request import DEMO_MODEL, ControlSpec, GenerationRequest
    from t2ia_desktop.core.image_history.store import History
    from t2ia_desktop.ui.history.dock import ImageHistoryPanel

    app = QApplication.instance() or QApplication([])
    folder = tempfile.mkdtemp(prefix="t2ia-bench-history-")
    history = History(folder)
    control = (ControlSpec("sketch", Image.new("L", (64, 64)), None, 1.0),)
    started = time.perf_counter()
    for number in range(entries):
        request = GenerationRequest(model=DEMO_MODEL, prompt=f"a lighthouse, variation {number}",
                                    seed=number, width=512, height=512,
                                    controls=control if number % 2 else ())
        history.add(Image.new("RGB", (512, 512), (number % 256, 90, 160)), request)
    write_ms = (time.perf_counter() - started) * 1000 / entries

    started = time.perf_counter()
    scanned = len(history.entries())
    scan_ms = (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    panel = ImageHistoryPanel(History(folder))
    panel.resize(420, 700)
    panel.show()
    while panel.model.thumbnails_loaded == 0:
        app.processEvents()
    open_ms = (time.perf_counter() - started) * 1000
    for _ in range(20):
        app.processEvents()

    started = time.perf_counter()
    panel.search_edit.setText("variation 99")
    app.processEvents()
    search_ms = (time.perf_counter() - started) * 1000
    found = panel.model.rowCount()
    panel.close()
    return {"entries": scanned, "write_ms_per_entry": round(write_ms, 2),
            "scan_index_ms": round(scan_ms, 1), "open_to_first_thumbnails_ms": round(open_ms, 1),
            "thumbnails_read": panel.model.thumbnails_loaded,
            "search_keystroke_ms": round(search_ms, 1), "search_matches": found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1000)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    print(json.dumps(history_figures(args.entries), indent=1))


if __name__ == "__main__":
    main()
