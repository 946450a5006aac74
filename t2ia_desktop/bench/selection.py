"""Time the marching-ants outline of large, complex selections; print figures (never asserted).

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m t2ia_desktop.bench.selection [--size 4096]
    t2ia-desktop bench --selection [--project-size 4096]

On a ``size``² canvas shown in a 1600×1000 canvas widget, for three selections (a 2000-point
random-walk lasso, a mask of smoothed noise, and a mask of per-pixel noise) it times:

- ``*_change_ms``: the selection changes and the canvas repaints once (outline built and drawn),
- ``*_outline_build_ms``: building the outline again for the same selection and drawing it,
- ``*_repaint_ms``: one more repaint (a marching-ants step),

at the fitted zoom and at 100 %, each minus the same repaint with nothing selected (the
layers' own cost); and ``*_undo_step_ms``: the selection made as an undo step, then undone.
Figures are the best of ``repeats`` runs (the machines these run on are shared and noisy).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np


def random_walk_lasso(size: int, points: int = 2000, seed: int = 1) -> list[tuple[float, float]]:
    """A ragged closed lasso: a random walk around the canvas centre (self-crossing)."""
    rng = np.random.default_rng(seed)
    angles = np.sort(rng.uniform(0, 2 * np.pi, points))
    radius = size * 0.3 + np.cumsum(rng.normal(0, size * 0.01, points))
    radius = np.clip(radius - np.linspace(0, radius[-1] - radius[0], points), size * 0.05,
                     size * 0.49)
    xs = size / 2 + radius * np.cos(angles)
    ys = size / 2 + radius * np.sin(angles)
    return list(zip(xs.tolist(), ys.tolist(), strict=True))


def noise_mask(size: int, blob: int, seed: int = 2) -> np.ndarray:
    """Noise thresholded at its median: ``blob`` is the grain in pixels (1: per-pixel noise)."""
    rng = np.random.default_rng(seed)
    cells = max(1, size // blob)
    coarse = rng.random((cells, cells))
    if blob > 1:  # bilinear-ish smoothing by repeating then box-averaging
        coarse = np.repeat(np.repeat(coarse, blob, 0), blob, 1)[:size, :size]
        coarse = (coarse + np.roll(coarse, blob // 2, 0) + np.roll(coarse, blob // 2, 1)) / 3
    mask = np.zeros((size, size), bool)
    mask[:coarse.shape[0], :coarse.shape[1]] = coarse > 0.5
    return mask


def _best_ms(action, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return min(times)


def selection_figures(size: int = 4096, repeats: int = 5) -> dict[str, float | int]:
    from PySide6.QtWidgets import QApplication

    from t2ia_desktop.core.document.document import Document
    from t2ia_desktop.core.document.selection import polygon_mask
    from t2ia_desktop.core.undo.selection_command import set_selection
    from t2ia_desktop.session.session import Session
    from t2ia_desktop.session.tool_state import ToolState
    from t2ia_desktop.ui.canvas.view import CanvasView
    from t2ia_desktop.ui.tools.selection import SelectionTools

    app = QApplication.instance() or QApplication([])
    document = Document.with_sketch_layer(size, size)
    session = Session(document)
    undo = session.undo
    tool_state = ToolState()
    canvas = CanvasView(session, tool_state)
    canvas.resize(1600, 1000)
    canvas.show()
    app.processEvents()
    tools = SelectionTools(canvas, tool_state)
    selection = tools.selection
    shapes = {
        "lasso": polygon_mask(size, size, random_walk_lasso(size)),
        "blobs": noise_mask(size, 16),
        "noise": noise_mask(size, 1),
    }
    figures: dict[str, float | int] = {"canvas": size, "widget": "1600x1000"}
    for zoom_name in ("fit", "100"):
        canvas.view.fit()
        if zoom_name == "100":
            canvas.view.set_zoom(1.0)
        selection.clear()
        app.processEvents()
        empty_ms = _best_ms(canvas.repaint, repeats)
        figures[f"empty_repaint_ms_{zoom_name}"] = round(empty_ms, 2)
        for name, mask in shapes.items():
            def change(mask=mask) -> None:
                selection.clear()
                selection.set_mask(mask)
                canvas.repaint()

            def rebuild() -> None:
                outline = getattr(tools, "outline", None)
                if outline is not None:
                    outline.invalidate()
                canvas.repaint()

            change_ms = _best_ms(change, repeats)
            figures[f"{name}_change_ms_{zoom_name}"] = round(max(0.0, change_ms - empty_ms), 2)
            figures[f"{name}_outline_build_ms_{zoom_name}"] = round(
                max(0.0, _best_ms(rebuild, repeats) - empty_ms), 2)
            figures[f"{name}_repaint_ms_{zoom_name}"] = round(
                max(0.0, _best_ms(canvas.repaint, repeats) - empty_ms), 2)
            if zoom_name == "fit":
                def step(mask=mask) -> None:
                    undo.push(set_selection(mask, "bench"))
                    undo.undo()

                selection.clear()
                figures[f"{name}_undo_step_ms"] = round(_best_ms(step, repeats), 2)
                figures[f"{name}_undo_step_bytes"] = undo.nbytes  # the undone step, kept
    canvas.close()
    return figures


def run_selection_bench(size: int = 4096, repeats: int = 5) -> int:
    """``t2ia-desktop bench --selection``: print the figures as JSON."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    print(json.dumps(selection_figures(size, max(1, repeats)), indent=1))
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    run_selection_bench(args.size, args.repeats)


if __name__ == "__main__":
    main()
