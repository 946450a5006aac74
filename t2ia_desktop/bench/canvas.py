"""Brush strokes on a large layered document: how long a segment takes to reach the screen, and
what the document and its undo history weigh. Figures are printed, never asserted.

    .venv/bin/t2ia-desktop bench --stroke [--project-size 4096] [--layers 16]

The document: an opaque photo-like layer at the bottom, then paint layers with sparse strokes;
the stroke goes on a paint layer in the middle of the stack. Each segment is a real mouse move
sent to the canvas (in the fitted view and at 100 %); *composite* is the time until the
canvas's composite holds the new pixels, *screen* adds the synchronous repaint of the dirty
part of the widget (offscreen platform when there is no display). The caches below and above
the active layer build in idle slices: the first stroke runs while they are still building,
the later ones after they are ready (the build's slices are timed too).
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np

from t2ia_desktop.core.document.document import Document, Layer, blank_pixels


def layered_document(size: int, layers: int) -> Document:
    rng = np.random.default_rng(7)
    document = Document(size, size)
    photo = np.empty((size, size, 4), np.uint8)
    y, x = np.mgrid[0:size, 0:size]
    photo[..., 0] = (x * 255 // size).astype(np.uint8)
    photo[..., 1] = (y * 255 // size).astype(np.uint8)
    photo[..., 2] = 128
    photo[..., 3] = 255
    del y, x
    document.add_layer(Layer("Photo", "photo", photo))
    for index in range(1, layers):
        pixels = blank_pixels(size, size)
        for _ in range(20):  # a few blobs of paint per layer
            cx, cy, r = rng.integers(0, size), rng.integers(0, size), rng.integers(20, size // 8)
            top, left = max(0, cy - r), max(0, cx - r)
            pixels[top:cy + r, left:cx + r] = (*rng.integers(0, 256, 3), 200)
        document.add_layer(Layer(f"Paint {index}", "paint", pixels, opacity=0.9))
    document.active = document.layers[layers // 2]
    return document


def stroke_figures(size: int = 4096, layers: int = 16, segments: int = 200,
                   brush: int = 40) -> dict:
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    from t2ia_desktop.runtime.gc_guard import UiThreadGarbageCollector
    from t2ia_desktop.session.session import Session
    from t2ia_desktop.session.tool_state import ToolState
    from t2ia_desktop.ui.canvas.view import CanvasView
    from t2ia_desktop.ui.tools.painting import BrushTool

    app = QApplication.instance() or QApplication([])
    started = time.perf_counter()
    document = layered_document(size, layers)
    build_seconds = time.perf_counter() - started
    session = Session(document)
    undo = session.undo
    tool_state = ToolState()
    canvas = CanvasView(session, tool_state)
    canvas.add_tool("brush", BrushTool(canvas, tool_state))
    canvas.resize(1600, 1000)
    tool_state.set_brush_size(brush)
    canvas.show()
    app.processEvents()
    caches = canvas.stroke_composite

    def send(kind: QEvent.Type, point: QPointF) -> None:
        held = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease \
            else Qt.MouseButton.LeftButton
        changed = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove \
            else Qt.MouseButton.LeftButton
        QApplication.sendEvent(canvas, QMouseEvent(kind, point, canvas.mapToGlobal(point),
                                                   changed, held,
                                                   Qt.KeyboardModifier.NoModifier))

    def stroke(row: float) -> dict:
        start = QPointF(size * 0.1, row)
        began = time.perf_counter()
        send(QEvent.Type.MouseButtonPress, canvas.from_document(start))
        press_ms = (time.perf_counter() - began) * 1000
        composite, screen = [], []
        step = size * 0.8 / segments
        for index in range(1, segments + 1):
            point = canvas.from_document(QPointF(size * 0.1 + index * step,
                                                 row + 40 * np.sin(index / 9)))
            began = time.perf_counter()
            send(QEvent.Type.MouseMove, point)
            composite.append(time.perf_counter() - began)
            app.processEvents()  # the paint event of the dirty part of the widget
            screen.append(time.perf_counter() - began)
        began = time.perf_counter()
        send(QEvent.Type.MouseButtonRelease, point)
        release_ms = (time.perf_counter() - began) * 1000
        app.processEvents()
        return {
            "zoom": round(canvas.scale(), 4),
            "stroke_start_ms": round(press_ms, 2),
            "segment_to_composite_ms_median": _ms(statistics.median(composite)),
            "segment_to_composite_ms_p95": _ms(_p95(composite)),
            "segment_to_screen_ms_median": _ms(statistics.median(screen)),
            "segment_to_screen_ms_p95": _ms(_p95(screen)),
            "stroke_end_undo_record_ms": round(release_ms, 2),
        }

    def idle_build() -> dict:
        """Let the event loop build the caches in idle slices; how long, how many slices,
        the longest (what the UI can stall on)."""
        began = time.perf_counter()
        while caches.building:
            app.processEvents()
        return {"idle_build_s": round(time.perf_counter() - began, 2),
                "slices": len(caches.slices),
                "longest_slice_ms": _ms(max(caches.slices, default=0.0)),
                "median_slice_ms": _ms(statistics.median(caches.slices or [0.0]))}

    gc_guard = UiThreadGarbageCollector()  # collections on a UI timer, as in the app
    figures: dict = {"size": size, "layers": layers, "brush_px": brush, "segments": segments,
                     "cpus": os.cpu_count(), "build_document_s": round(build_seconds, 2)}
    # a press right after the document opens: the caches are still being built (fallback)
    figures["before_caches"] = stroke(size * 0.2)
    figures["cache_build_after_open"] = idle_build()
    figures["fitted"] = stroke(size * 0.3)
    document.make_active(document.layers[layers // 2 + 1])  # the artist picks another layer
    figures["cache_build_after_layer_change"] = idle_build()
    canvas.actual_size()
    canvas.pan(0, 0)
    app.processEvents()
    figures["actual_pixels"] = stroke(size * 0.5)
    gc_guard.stop()
    figures["gc_collect_ms"] = _collect_times()
    pixel_bytes = layers * size * size * 4
    document_bytes = sum(layer.pixels.nbytes for layer in document.layers)
    figures["memory"] = {
        "layers_x_w_x_h_x_4_MiB": _mib(pixel_bytes),
        "document_MiB": _mib(document_bytes),
        "undo_history_MiB": _mib(undo.nbytes),
        "undo_bound_MiB": _mib(undo.max_bytes),
        "view_composite_and_stroke_caches_MiB": _mib(
            canvas.stroke_composite.nbytes + canvas.composite_image().sizeInBytes()),
        "document_plus_undo_ratio": round((document_bytes + undo.nbytes) / pixel_bytes, 3),
    }
    canvas.close()
    return figures


def _collect_times() -> dict:
    """What one cyclic collection of each generation costs with this process's heap (the GC
    guard runs them on the UI thread: a full one with torch and diffusers loaded walks ≈ 0.8 M
    objects, ≈ 0.3 s, a stall no cache can hide)."""
    import gc

    times = {"objects": len(gc.get_objects())}
    for generation in (0, 1, 2):
        began = time.perf_counter()
        gc.collect(generation)
        times[f"generation_{generation}"] = _ms(time.perf_counter() - began)
    return times


def _p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _mib(count: int) -> float:
    return round(count / 2**20, 1)
