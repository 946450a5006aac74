"""Benchmarks on the demo model; figures are measured in one run and printed, never asserted.

- ``engine_overhead_ratio``: the app's generate path ÷ a raw diffusers pipeline call with the
  same loaded components and inputs (medians over repeats, runs interleaved).
- ``ui_stall_worst_ms``: the longest gap between 5 ms ticks of a UI-thread timer while a
  generation runs on the worker thread.
- ``launch_to_window_ms``: from starting the process to the main window being shown.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from t2ia_desktop.core.request import DEMO_MODEL, ControlSpec, GenerationRequest


def _sketch(size: int) -> Image.Image:
    yy, xx = np.mgrid[:size, :size]
    ring = np.abs(np.hypot(xx - size / 2, yy - size / 2) - size / 3) < max(2, size / 100)
    return Image.fromarray((ring * 255).astype(np.uint8), "L")


def _request(steps: int, size: int) -> GenerationRequest:
    return GenerationRequest(
        model=DEMO_MODEL, prompt="a lighthouse on a cliff", steps=steps, width=size, height=size,
        guidance_scale=7.5, seed=1, controls=(ControlSpec("sketch", _sketch(size), None, 0.8),),
    )


def engine_overhead(demo_root: Path, steps: int, size: int, repeats: int) -> dict:
    import torch

    from t2ia_desktop.engine.generate import Engine

    engine = Engine(demo_root=demo_root)
    request = _request(steps, size)
    engine.generate(request)  # warm-up: loads and writes the demo model
    pipe, kwargs = engine.prepare(request)
    raw_pipe = type(pipe).from_pipe(engine.store.base(request.model, request.family),
                                    adapter=pipe.adapter)
    raw_pipe.set_progress_bar_config(disable=True)

    def raw_call():
        call = dict(kwargs, generator=torch.Generator("cpu").manual_seed(request.seed))
        return raw_pipe(**call).images[0]

    raw_call()
    ours, raw = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        engine.generate(request, on_step=lambda step, total: None)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        raw_call()
        raw.append(time.perf_counter() - started)
    return {
        "engine_seconds_median": round(statistics.median(ours), 4),
        "raw_pipeline_seconds_median": round(statistics.median(raw), 4),
        "engine_overhead_ratio": round(statistics.median(ours) / statistics.median(raw), 4),
    }


def ui_stall(demo_root: Path, steps: int, size: int) -> dict:
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from t2ia_desktop.core.jobs import JobQueue
    from t2ia_desktop.runtime.runner import JobRunner
    from t2ia_desktop.runtime.worker import EngineWorker, default_engine_factory

    app = QApplication.instance() or QApplication([])
    runner = JobRunner(JobQueue(), EngineWorker(default_engine_factory(str(demo_root))))
    gaps: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    def tick() -> None:
        now = clock.nsecsElapsed()
        gaps.append((now - last[0]) / 1e6)
        last[0] = now

    def run_one() -> None:
        done = QEventLoop()
        runner.job_finished.connect(done.quit)
        runner.submit(_request(steps, size))
        done.exec()
        runner.job_finished.disconnect(done.quit)

    try:
        run_one()  # warm-up: the worker imports torch and loads the model
        timer = QTimer()
        timer.setInterval(5)
        timer.timeout.connect(tick)
        last[0] = clock.nsecsElapsed()
        timer.start()
        run_one()
        timer.stop()
    finally:
        runner.shutdown()
    app.processEvents()
    return {
        "ui_stall_worst_ms": round(max(gaps), 1),
        "ui_tick_median_ms": round(statistics.median(gaps), 1),
        "ui_ticks": len(gaps),
    }


def launch_to_window(repeats: int) -> dict:
    times, torch_loaded = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as home:
            env = dict(os.environ, T2IA_EXIT_AFTER_SHOW="1", T2IA_HOME=home, HF_HUB_OFFLINE="1")
            started = time.monotonic()
            out = subprocess.run(
                [sys.executable, "-m", "t2ia_desktop", "gui"], env=env, capture_output=True,
                text=True, timeout=120, check=True,
            ).stdout
        line = next((ln for ln in out.splitlines() if ln.startswith("window-shown")), None)
        if line is None:
            raise RuntimeError(f"the app did not report its window: {out[-500:]}")
        _, shown, torch_flag = line.split()
        times.append((float(shown) - started) * 1000)
        torch_loaded.append(torch_flag == "torch=True")
    return {
        "launch_to_window_ms_median": round(statistics.median(times)),
        "launch_to_window_ms_all": [round(t) for t in times],
        "torch_loaded_before_window": any(torch_loaded),
    }


def run_benchmarks(steps: int = 20, size: int = 512, repeats: int = 3) -> dict:
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory() as folder:
        demo_root = Path(folder)
        figures: dict = {"steps": steps, "size": size, "repeats": repeats,
                         "device": "cpu", "cores": os.cpu_count()}
        figures.update(launch_to_window(repeats))
        figures.update(engine_overhead(demo_root, steps, size, repeats))
        figures.update(ui_stall(demo_root, steps, size))
        import torch

        if torch.cuda.is_available():
            figures["device"] = torch.cuda.get_device_name(0)
    return figures
