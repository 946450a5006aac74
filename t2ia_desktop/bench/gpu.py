"""GPU benchmark: full-size SDXL (random weights, engine/full_size.py) at 1024², 30 steps, CFG.

Paths, each timed after a warm-up with the device synchronised, runs interleaved, medians:

- ``raw_adapter``: diffusers' ``StableDiffusionXLAdapterPipeline`` on the engine's loaded
  components, the same adapter and control image (what a script would call);
- ``engine``: the app's path, ``Engine.generate`` (engine/generate.py) with one sketch layer;
- ``raw_plain``: diffusers' ``StableDiffusionXLPipeline`` alone (no adapter);
- ``engine_no_adapter``: the app's path with no control layer;
- ``engine_previews``: the app's path rendering a step preview at every step (the app renders
  one whenever the canvas has shown the last: this is its worst case).

Derived: ``engine_overhead_ratio`` = engine ÷ raw_adapter; the adapter's cost measured on one
code path at a time (FIELD_NOTES: the adapter runs once per image, its features are added at
every step), ``adapter_cost_raw`` = raw_adapter ÷ raw_plain − 1 and ``adapter_cost_engine`` =
engine ÷ engine_no_adapter − 1 (the engine also caches the features across jobs, as the app
does); ``share_of_peak`` = the image's FLOPs (≈ 416 TFLOP at 1024², 30 steps, CFG) ÷ seconds ÷
the device's dense fp16 tensor peak. With ``compile`` the UNet's forward is compiled
(``torch.compile``) and every path is measured again. Figures go to ``json_out`` after each
phase, so a run stopped by its time limit keeps what it measured.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from t2ia_desktop.core.errors import BadInput

# FIELD_NOTES "Compute figures": TFLOP per forward at 1024², batch 1 (≈ proportional to pixels).
UNET_TFLOP_1024 = 6.76
VAE_DECODE_TFLOP_1024 = 10.47
ADAPTER_TFLOP_1024 = 0.24

#: Dense fp16 tensor-core peaks (TFLOP/s, fp32 accumulate, no sparsity) from the vendors'
#: data sheets, matched in this order against ``torch.cuda.get_device_name()``.
PEAK_FP16_TFLOPS: tuple[tuple[str, float], ...] = (
    ("H200", 989.4), ("H100 PCIe", 756.0), ("H100", 989.4), ("A100", 312.0), ("L40S", 362.0),
    ("L4", 121.0), ("RTX 4090", 165.2), ("RTX 3090", 71.0), ("V100", 125.0), ("T4", 65.0),
)
PATHS = ("raw_adapter", "engine", "raw_plain", "engine_no_adapter", "engine_previews")
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")
PROMPT = "a lighthouse on a cliff at dusk, oil painting"
ADAPTER_SCALE = 0.8


def peak_tflops_for(device_name: str) -> float | None:
    """The device's dense fp16 peak from :data:`PEAK_FP16_TFLOPS`, or None when unknown."""
    for part, tflops in PEAK_FP16_TFLOPS:
        if part.lower() in device_name.lower():
            return tflops
    return None


def image_tflop(size: int, steps: int, guidance: bool = True, adapter: bool = True) -> float:
    """FLOPs of one SDXL image (TFLOP): UNet per step (twice with guidance), VAE decode and the
    adapter once. 1024², 30 steps, CFG: ≈ 416."""
    area = (size / 1024) ** 2
    unet = steps * (2 if guidance else 1) * UNET_TFLOP_1024 * area
    return unet + VAE_DECODE_TFLOP_1024 * area + (ADAPTER_TFLOP_1024 * area if adapter else 0.0)


@dataclass(frozen=True)
class GpuBenchOptions:
    device: str = "cuda"
    steps: int = 30
    size: int = 1024
    repeats: int = 3
    compile: bool = False
    compile_mode: str = "max-autotune-no-cudagraphs"
    compile_backend: str = "inductor"
    peak_tflops: float | None = None
    tiny: bool = False
    """The same architecture at tiny widths (engine/full_size.py ``tiny_configs``): CPU checks."""
    model_dir: str | None = None
    time_limit: float = 510.0
    """Seconds for the whole run; a phase that would pass it stops and is reported skipped."""
    json_out: str | None = None

    def check(self) -> None:
        if self.device not in ("cuda", "cpu"):
            raise BadInput(f"--device must be cuda or cpu, not {self.device!r}")
        if self.device == "cpu" and not self.tiny:
            raise BadInput("full-size SDXL on the CPU takes hours: add --tiny for a CPU check")
        if self.size % 32 or not 64 <= self.size <= 2048:
            raise BadInput(f"--size must be a multiple of 32 from 64 to 2048, not {self.size}")
        if not 1 <= self.steps <= 200 or not 1 <= self.repeats <= 50:
            raise BadInput("--steps must be 1 to 200 and --repeats 1 to 50")
        if self.compile_mode not in COMPILE_MODES:
            raise BadInput(f"--compile-mode must be one of {', '.join(COMPILE_MODES)}")
        if self.peak_tflops is not None and self.peak_tflops <= 0:
            raise BadInput("--peak-tflops must be a positive number of TFLOP/s")


class PhaseTimeout(Exception):
    pass


@contextmanager
def time_limit(seconds: float, phase: str):
    """Raise :class:`PhaseTimeout` in this thread after ``seconds`` (SIGALRM; elsewhere, and
    off the main thread, no limit: the shell's ``timeout`` is the backstop)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expire(signum, frame):
        raise PhaseTimeout(f"{phase} ran past its {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Figures(dict):
    """The run's figures, written to ``path`` (atomically) after every phase."""

    def __init__(self, path: str | None) -> None:
        super().__init__()
        self.path = Path(path) if path else None

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        staging = self.path.with_suffix(self.path.suffix + ".part")
        staging.write_text(json.dumps(self, indent=2))
        staging.replace(self.path)


def _sketch(size: int):
    import numpy as np
    from PIL import Image

    yy, xx = np.mgrid[:size, :size]
    ring = np.abs(np.hypot(xx - size / 2, yy - size / 2) - size / 3) < max(2, size / 100)
    return Image.fromarray((ring * 255).astype(np.uint8), "L")


def run_gpu_bench(options: GpuBenchOptions, say: Callable[[str], None] = print) -> dict:
    """Measure every path (and compiled, if asked); return the figures."""
    options.check()
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):  # nothing is fetched: all local
        os.environ.setdefault(name, "1")
    import torch

    if options.device == "cuda" and not torch.cuda.is_available():
        raise BadInput("this benchmark needs a CUDA GPU (torch sees none); for a CPU check of "
                       "the same code path: t2ia-desktop bench --gpu --device cpu --tiny "
                       "--size 128 --steps 2")
    started = time.monotonic()

    def left() -> float:
        return options.time_limit - (time.monotonic() - started)

    figures = Figures(options.json_out)
    device = torch.device(options.device)
    dtype = torch.float16 if device.type == "cuda" else torch.float32
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    peak = options.peak_tflops or (peak_tflops_for(name) if device.type == "cuda" else None)
    figures.update(options=asdict(options), device=name, dtype=str(dtype).replace("torch.", ""),
                   torch=torch.__version__, peak_tflops=peak, skipped={}, notes=[])
    figures["image_tflop"] = None if options.tiny else round(image_tflop(options.size,
                                                                         options.steps), 1)
    if options.tiny:
        figures["notes"].append("tiny widths: FLOPs and share of peak are not SDXL's (None)")
    figures.save()
    with tempfile.TemporaryDirectory(prefix="t2ia-gpu-bench-") as scratch:
        try:
            session = _Session(options, figures, device, dtype, Path(scratch), say)
            with time_limit(left(), "writing the model"):
                session.write_model()
            with time_limit(left(), "loading the model"):
                session.load()
            with time_limit(left(), "eager runs"):
                session.measure("")
            if options.compile:
                with time_limit(left(), "compiling"):
                    compiled = session.compile()
                if compiled:
                    with time_limit(left(), "compiled runs"):
                        session.measure("compiled_")
        except PhaseTimeout as stop:
            figures["skipped"]["time_limit"] = str(stop)
            say(f"stopped: {stop}")
        finally:
            figures["total_seconds"] = round(time.monotonic() - started, 1)
            figures.save()
    return dict(figures)


class _Session:
    """One run's loaded engine, pipelines and measurements."""

    def __init__(self, options: GpuBenchOptions, figures: Figures, device, dtype,
                 scratch: Path, say: Callable[[str], None]) -> None:
        self.options, self.figures, self.device, self.dtype = options, figures, device, dtype
        self.scratch, self.say = scratch, say
        self.paths: dict[str, Callable[[], object]] = {}
        self.eager_forward = None
        self.graphs_before = 0

    def write_model(self) -> None:
        import shutil

        from t2ia_desktop.engine.demo.full_size import (
            FULL_SIZE,
            is_full_size_model,
            tiny_configs,
            write_full_size_model,
        )

        configs = tiny_configs() if self.options.tiny else FULL_SIZE
        folder = Path(self.options.model_dir or (
            self.scratch / "model" if self.options.tiny
            else Path(tempfile.gettempdir()) / "t2ia-full-size-sdxl"))
        if not is_full_size_model(folder, configs) and not self.options.tiny:
            folder.parent.mkdir(parents=True, exist_ok=True)
            free = shutil.disk_usage(folder.parent).free
            if free < 9 * 1024**3:
                raise BadInput(f"the full-size model needs ≈ 7 GB free in {folder.parent} "
                               f"({free / 1024**3:.1f} GB are): pass --model-dir elsewhere")
        self.say(f"writing {configs.label} to {folder} (reused when complete)…")
        clock = time.perf_counter()
        self.model = str(write_full_size_model(folder, configs, self.device, self.dtype))
        self.figures["model_dir"] = self.model
        self.figures["model_write_seconds"] = round(time.perf_counter() - clock, 2)
        self.figures.save()

    def load(self) -> None:
        import torch
        from diffusers import StableDiffusionXLAdapterPipeline

        from t2ia_desktop.core.generation.request import ControlSpec, GenerationRequest
        from t2ia_desktop.engine.demo.full_size import ADAPTER_CONDITION
        from t2ia_desktop.engine.generate import Engine

        options = self.options
        self.engine = engine = Engine(demo_root=self.scratch / "demo", device=self.device,
                                      dtype=self.dtype)
        engine.store.offload = "none"  # the speed plan whatever the artist's memory setting
        control = ControlSpec(ADAPTER_CONDITION, _sketch(options.size), None, ADAPTER_SCALE)
        request = GenerationRequest(model=self.model, prompt=PROMPT, steps=options.steps,
                                    width=options.size, height=options.size, seed=1,
                                    controls=(control,))
        plain_request = replace(request, controls=())
        self.say("loading it through the engine…")
        clock = time.perf_counter()
        base = engine.store.base(request.model, request.family)
        location = engine.store.adapter_location(request.model, request.family,
                                                 control.condition, None)
        adapter = engine.store.adapter(location, control.condition)
        self._sync()
        self.figures["model_load_seconds"] = round(time.perf_counter() - clock, 2)
        raw_adapter = StableDiffusionXLAdapterPipeline.from_pipe(base, adapter=adapter)
        raw_adapter.set_progress_bar_config(disable=True)
        common = {"prompt": request.prompt, "num_inference_steps": request.steps,
                  "guidance_scale": request.guidance_scale, "width": request.width,
                  "height": request.height}

        def seeded() -> dict:  # the engine's generator: on the CPU, seeded per image
            return dict(common, generator=torch.Generator("cpu").manual_seed(request.seed))

        self.paths = {
            "raw_adapter": lambda: raw_adapter(
                **seeded(), image=control.image, adapter_conditioning_scale=ADAPTER_SCALE,
                adapter_conditioning_factor=request.adapter_conditioning_factor).images[0],
            "engine": lambda: engine.generate(request, on_step=lambda step, total: None),
            "raw_plain": lambda: base(**seeded()).images[0],
            "engine_no_adapter": lambda: engine.generate(plain_request,
                                                         on_step=lambda step, total: None),
            "engine_previews": lambda: engine.generate(
                request, on_step=lambda step, total: None, on_preview=lambda render: render()),
        }
        self.unet = base.unet
        self.figures["memory_plan"] = engine.store.memory_plan.label()
        self.figures.save()

    def _sync(self) -> None:
        if self.device.type == "cuda":
            import torch

            torch.cuda.synchronize(self.device)

    def _timed(self, run: Callable[[], object]) -> tuple[float, int | None]:
        """Seconds of one call, device synchronised, and the peak memory allocated in it."""
        import torch

        cuda = self.device.type == "cuda"
        self._sync()
        if cuda:
            torch.cuda.reset_peak_memory_stats(self.device)
        clock = time.perf_counter()
        image = run()
        self._sync()
        seconds = time.perf_counter() - clock
        if image is None or getattr(image, "size", None) != (self.options.size,) * 2:
            raise RuntimeError(f"a benchmark path returned {image!r}, not a picture")
        return seconds, (torch.cuda.max_memory_allocated(self.device) if cuda else None)

    def measure(self, prefix: str) -> None:
        """Warm every path once, then time them interleaved; record medians and ratios."""
        first = {}
        for name, run in self.paths.items():
            self.say(f"{prefix}{name}: warm-up…")
            first[name] = self._timed(run)[0]
        times: dict[str, list[float]] = {name: [] for name in self.paths}
        peaks: dict[str, int] = {}
        for repeat in range(self.options.repeats):
            for name, run in self.paths.items():
                seconds, peak = self._timed(run)
                times[name].append(seconds)
                if peak is not None:
                    peaks[name] = max(peaks.get(name, 0), peak)
            self.say(f"{prefix}repeat {repeat + 1}/{self.options.repeats}: "
                     + ", ".join(f"{n} {t[-1]:.3f} s" for n, t in times.items()))
        median = {name: statistics.median(values) for name, values in times.items()}
        figures = self.figures
        figures[f"{prefix}seconds"] = {name: round(value, 4) for name, value in median.items()}
        figures[f"{prefix}first_call_seconds"] = {n: round(v, 3) for n, v in first.items()}
        figures[f"{prefix}seconds_per_image"] = round(median["engine"], 4)
        figures[f"{prefix}engine_overhead_ratio"] = round(
            median["engine"] / median["raw_adapter"], 4)
        figures[f"{prefix}adapter_cost_raw"] = round(
            median["raw_adapter"] / median["raw_plain"] - 1, 4)
        figures[f"{prefix}adapter_cost_engine"] = round(
            median["engine"] / median["engine_no_adapter"] - 1, 4)
        figures[f"{prefix}preview_cost"] = round(
            median["engine_previews"] / median["engine"] - 1, 4)
        flops, peak = figures["image_tflop"], figures["peak_tflops"]
        if flops is not None:
            figures[f"{prefix}tflops_achieved"] = {
                n: round(image_tflop(self.options.size, self.options.steps,
                                     adapter=n in ("raw_adapter", "engine", "engine_previews"))
                         / v, 1) for n, v in median.items()}
        figures[f"{prefix}share_of_peak"] = (
            round(flops / median["engine"] / peak, 4) if flops is not None and peak else None)
        if prefix == "compiled_":  # still the same graphs: nothing recompiled while timed
            figures["compiled_graphs_after_runs"] = _graphs_compiled() - self.graphs_before
        if peaks:
            figures[f"{prefix}peak_vram_gib"] = {n: round(v / 1024**3, 2) for n, v in peaks.items()}
            self._estimate_check(prefix, peaks["engine"])
        figures.save()

    def _estimate_check(self, prefix: str, measured: int) -> None:
        from t2ia_desktop.core.generation.vram_estimate import GIB, estimate_peak_memory

        if self.options.tiny:
            return
        estimate = estimate_peak_memory("sdxl", self.options.size, self.options.size,
                                        dtype="float16", adapters=1)
        self.figures["vram_estimate_gib"] = round(estimate.gib, 2)
        self.figures[f"{prefix}vram_measured_over_estimate"] = round(measured / GIB
                                                                     / estimate.gib, 3)

    def compile(self) -> bool:
        """Compile the UNet's forward (shared by every path); the first calls pay for it.
        False when compiling failed (the reason is in ``skipped``; the eager figures stand)."""
        import torch

        options = self.options
        self.graphs_before = _graphs_compiled()
        self.eager_forward = self.unet.forward
        extra = {"mode": options.compile_mode} if options.compile_backend == "inductor" else {}
        self.unet.forward = torch.compile(self.eager_forward, backend=options.compile_backend,
                                          **extra)
        eager = self.figures["seconds"]
        spent = {}
        try:
            for name, run in self.paths.items():  # a path with new inputs compiles a graph
                self.say(f"compiling ({options.compile_mode}) on {name}…")
                spent[name] = round(max(0.0, self._timed(run)[0] - eager[name]), 2)
        except PhaseTimeout:
            raise
        except Exception as error:
            self.unet.forward = self.eager_forward
            self.figures["skipped"]["compile"] = f"{type(error).__name__}: {error}"[:500]
            self.figures.save()
            self.say(f"compiling failed: {error}")
            return False
        self.figures["compile_seconds"] = spent
        self.figures["compile_seconds_total"] = round(sum(spent.values()), 1)
        # one graph with adapter features, one without; more means graph breaks or recompiles
        self.figures["compiled_graphs"] = _graphs_compiled() - self.graphs_before
        self.figures.save()
        return True



def _graphs_compiled() -> int:
    """Graphs torch.compile has made in this process so far."""
    from torch._dynamo.utils import counters

    return int(counters["stats"]["unique_graphs"])
