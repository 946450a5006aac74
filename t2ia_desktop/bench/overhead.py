"""Benchmarks on the demo model; figures are measured in one run and printed, never asserted.

- ``engine_overhead_ratio``: the app's generate path ÷ a raw diffusers pipeline call with the
  same loaded components and inputs (medians over repeats, runs interleaved).
- ``ui_stall_worst_ms``: the longest gap between 5 ms ticks of a UI-thread timer while a
  generation runs on the worker thread.
- ``launch_to_window_ms``: from starting the process to the main window being shown.
- ``step_preview_*_ms_*``: one latent → RGB step preview at a 128×128 latent (bench_previews).
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

from t2ia_desktop.core.generation.request import DEMO_MODEL, ControlSpec, GenerationRequest


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
    # The reference: diffusers' own adapter pipeline on the same loaded components, with the
    # same adapter, control image and settings (tests/engine/guides/test_layered_adapters.py proves
    # both give the same pixels).
    from diffusers import StableDiffusionXLAdapterPipeline

    control = request.controls[0]
    base = engine.store.base(request.model, request.family)
    location = engine.store.adapter_location(request.model, request.family, control.condition,
                                             control.adapter)
    adapter = engine.store.adapter(location, control.condition)
    raw_pipe = StableDiffusionXLAdapterPipeline.from_pipe(base, adapter=adapter)
    raw_pipe.set_progress_bar_config(disable=True)
    kwargs = {
        "prompt": request.prompt, "num_inference_steps": request.steps,
        "guidance_scale": request.guidance_scale, "width": request.width, "height": request.height,
        "image": control.image.convert("L"),
        "adapter_conditioning_scale": control.conditioning_scale,
        "adapter_conditioning_factor": request.adapter_conditioning_factor,
    }

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

    from t2ia_desktop.core.generation.jobs import JobQueue
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


def _photo(size: int) -> Image.Image:
    """A synthetic picture with edges and gradients (no files needed)."""
    yy, xx = np.mgrid[:size, :size]
    rings = ((np.hypot(xx - size / 2, yy - size / 2) // (size / 16)) % 2) * 160
    gradient = xx * 80 / size
    rgb = np.stack([rings + gradient, rings, 255 - rings - gradient], -1)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")


def _raw_detectors(params: dict) -> dict:
    """The same work without the app's wrapper: controlnet_aux, or numpy/Pillow as is."""
    from controlnet_aux import CannyDetector

    canny = CannyDetector()

    def raw_canny(image: Image.Image) -> Image.Image:
        side = min(image.size)
        return canny(np.asarray(image), params["canny"]["low_threshold"],
                     params["canny"]["high_threshold"], detect_resolution=side,
                     image_resolution=side, output_type="pil")

    def raw_sketch(image: Image.Image) -> Image.Image:
        return Image.fromarray(255 - np.asarray(image.convert("L")), "L")

    def raw_color(image: Image.Image) -> Image.Image:
        block = params["color"]["block"]
        small = image.resize((image.width // block, image.height // block),
                             Image.Resampling.BICUBIC)
        return small.resize(image.size, Image.Resampling.NEAREST)

    return {"canny": raw_canny, "sketch": raw_sketch, "color": raw_color}


def detector_figures(size: int = 1024, repeats: int = 5) -> dict:
    """Wrapper ÷ direct call, scheduler path latency, UI stall and coalescing for detectors."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from t2ia_desktop.core.conditions.registry import default_registry
    from t2ia_desktop.engine.detectors import detect
    from t2ia_desktop.runtime.previews import PreviewScheduler

    app = QApplication.instance() or QApplication([])
    registry = default_registry()
    photo = _photo(size)
    params = {"canny": {"low_threshold": 100, "high_threshold": 200, "detect_resolution": size},
              "sketch": {}, "color": {"block": 64}}
    raw = _raw_detectors(params)
    figures: dict = {"detector_size": size}
    for name in ("canny", "sketch", "color"):
        ours, direct = [], []
        detect(registry.get(name), photo, params[name])
        raw[name](photo)
        for _ in range(repeats):
            started = time.perf_counter()
            detect(registry.get(name), photo, params[name])
            ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            raw[name](photo)
            direct.append(time.perf_counter() - started)
        figures[f"{name}_ms"] = round(statistics.median(ours) * 1000, 1)
        figures[f"{name}_direct_ms"] = round(statistics.median(direct) * 1000, 1)
        figures[f"{name}_overhead_ratio"] = round(
            statistics.median(ours) / statistics.median(direct), 3)

    scheduler = PreviewScheduler()
    clock = QElapsedTimer()
    gaps: list[float] = []
    last = [0]

    def tick() -> None:
        now = clock.nsecsElapsed()
        gaps.append((now - last[0]) / 1e6)
        last[0] = now

    def wait_ready() -> None:
        done = QEventLoop()
        scheduler.preview_ready.connect(done.quit)
        done.exec()
        scheduler.preview_ready.disconnect(done.quit)

    try:
        for name in ("canny", "sketch", "color"):  # warm the detector thread
            scheduler.schedule("warm", name, params[name], lambda: photo, delay_ms=0)
            wait_ready()
        latencies = {}
        timer = QTimer()
        timer.setInterval(5)
        timer.timeout.connect(tick)
        clock.start()
        last[0] = clock.nsecsElapsed()
        timer.start()
        for name in ("canny", "sketch", "color"):
            runs = []
            for _ in range(repeats):
                started = time.perf_counter()  # "stroke end": the debounce starts here
                scheduler.schedule(name, name, params[name], lambda: photo)
                wait_ready()
                runs.append(time.perf_counter() - started)
            latencies[name] = round(statistics.median(runs) * 1000, 1)
        timer.stop()
        figures["stroke_end_to_control_ms"] = latencies
        figures["detector_ui_stall_worst_ms"] = round(max(gaps), 1)

        before = scheduler.runs["burst"]
        burst_clock = time.perf_counter()
        for level in range(100):  # 100 parameter changes in about one second
            scheduler.schedule("burst", "canny", dict(params["canny"], low_threshold=level),
                               lambda: photo, delay_ms=150)
            pause = QEventLoop()
            QTimer.singleShot(10, pause.quit)
            pause.exec()
        wait_ready()
        figures["coalescing_changes"] = 100
        figures["coalescing_seconds"] = round(time.perf_counter() - burst_clock, 2)
        figures["coalescing_detector_runs"] = scheduler.runs["burst"] - before
    finally:
        scheduler.shutdown()
    app.processEvents()
    return figures


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
        figures.update(detector_figures())
        from t2ia_desktop.bench.step_previews import step_preview_figures

        figures.update(step_preview_figures())
        import torch

        if torch.cuda.is_available():
            figures["device"] = torch.cuda.get_device_name(0)
    return figures
