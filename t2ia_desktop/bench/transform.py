"""Transform tool figures: one apply (the resample on release or Enter) against one live-preview
frame (the cached piece drawn through a QPainter transform, as on every mouse move).

Run from the repository root (no window needed):
    QT_QPA_PLATFORM=offscreen .venv/bin/python -m t2ia_desktop.bench.transform
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from PySide6.QtGui import QGuiApplication, QImage, QPainter, QTransform

from t2ia_desktop.core.document.transform import (
    about,
    lift,
    quarter_turn_matrix,
    rotation,
    transformed_region,
    translation,
)


def best_ms(run: Callable[[], object], repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def main() -> None:
    _app = QGuiApplication.instance() or QGuiApplication([])  # kept alive while drawing
    rng = np.random.default_rng(0)
    pixels = np.zeros((2048, 2048, 4), np.uint8)
    pixels[512:1536, 512:1536] = rng.integers(0, 256, (1024, 1024, 4), dtype=np.uint8)
    pixels[512:1536, 512:1536, 3] = 255
    piece = lift(pixels)
    for name, matrix in [("rotate 30° bicubic", about(rotation(30), 1024, 1024)),
                         ("rotate 90° (exact)", quarter_turn_matrix((512, 512, 1024, 1024), 1)),
                         ("move (exact)", translation(100, 50))]:
        ms = best_ms(lambda m=matrix: transformed_region(pixels, m, None, "bicubic", piece))
        print(f"apply {name}, 1024² content on a 2048² layer: {ms:.0f} ms")
    mask = np.zeros((2048, 2048), bool)
    mask[600:1400, 600:1400] = True
    ms = best_ms(lambda: transformed_region(pixels, about(rotation(30), 1000, 1000), mask))
    print(f"apply rotate 30° bicubic, 800² selection: {ms:.0f} ms")
    image = QImage(piece.pixels.data, 1024, 1024, 4096, QImage.Format.Format_RGBA8888).copy()
    target = QImage(1600, 1000, QImage.Format.Format_ARGB32_Premultiplied)

    def frame() -> None:
        painter = QPainter(target)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.setTransform(QTransform().translate(300, 0).rotate(30).scale(0.5, 0.5))
        painter.drawImage(0, 0, image)
        painter.end()

    print(f"one preview frame (1024² piece, turned 30°, 50 % zoom): {best_ms(frame, 10):.1f} ms")


if __name__ == "__main__":
    main()
