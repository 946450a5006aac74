"""``bench --controls``: what guiding costs, side by side, for the same condition, size and steps.

No control, a T2I-Adapter, a ControlNet, the ControlNet Union model, and an adapter with a
ControlNet: time per image (median of the repeats, runs interleaved), the extra time over no
control, the guiding models' parameters, and the peak memory of the run above the memory held
before it (CUDA: the allocator's peak; CPU: the process's resident set, sampled every 2 ms).
Figures are measured in one run and printed, never asserted.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from t2ia_desktop.core.generation.request import DEMO_MODEL, ControlSpec, GenerationRequest

CONFIGS = ("none", "adapter", "controlnet", "union", "adapter+controlnet")
CONDITION = "canny"  # the one condition with an adapter, a ControlNet and a union mode in SDXL


def _edges(size: int) -> Image.Image:
    yy, xx = np.mgrid[:size, :size]
    ring = np.abs(np.hypot(xx - size / 2, yy - size / 2) - size / 3) < max(2, size / 100)
    cross = np.abs(xx - yy) < max(1, size / 200)
    return Image.fromarray(((ring | cross) * 255).astype(np.uint8), "L")


def controls_for(config: str, image: Image.Image) -> tuple[ControlSpec, ...]:
    specs = {"adapter": ControlSpec(CONDITION, image, None, 0.8),
             "controlnet": ControlSpec(CONDITION, image, None, 0.8, guide="controlnet"),
             "union": ControlSpec(CONDITION, image, None, 0.8, guide="union")}
    if config == "none":
        return ()
    if config == "adapter+controlnet":
        return specs["adapter"], specs["controlnet"]
    return (specs[config],)


def _rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * 4096


class _PeakMemory:
    """The peak memory a call adds above what was held before it."""

    def __init__(self, device) -> None:
        self.device = device

    def measure(self, call: Callable[[], object]) -> int:
        import torch

        if self.device.type == "cuda":
            torch.cuda.synchronize()
            before = torch.cuda.memory_allocated(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            call()
            torch.cuda.synchronize()
            return torch.cuda.max_memory_allocated(self.device) - before
        if not Path("/proc/self/statm").exists():
            call()
            return 0
        before = _rss_bytes()
        peak = [before]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], _rss_bytes())
                time.sleep(0.002)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            call()
        finally:
            done.set()
            sampler.join()
        return max(peak[0], _rss_bytes()) - before


def _parameters(engine, config: str) -> int:
    """Parameters of the models that guide in ``config`` (a union model counted once)."""
    injection = engine.last_injection
    models = {}
    if injection is not None and injection.controlnets is not None:
        models.update({id(layer.model): layer.model for layer in injection.controlnets.layers})
    if "adapter" in config:
        adapter = next(iter(engine.store._adapters.values()))
        models[id(adapter)] = adapter
    return sum(p.numel() for model in models.values() for p in model.parameters())


def controls_figures(steps: int = 10, size: int = 256, repeats: int = 3,
                     demo_root: str | Path | None = None,
                     say: Callable[[str], None] = lambda line: None) -> dict:
    """Run each configuration ``repeats`` times on the SDXL demo model; the figures by name."""
    from t2ia_desktop.engine.generate import Engine

    engine = Engine(demo_root=demo_root)  # None: the app's demo model folder
    image = _edges(size)
    requests = {config: GenerationRequest(
        model=DEMO_MODEL, prompt="a lighthouse on a cliff", steps=steps, width=size,
        height=size, guidance_scale=7.5, seed=1, controls=controls_for(config, image))
        for config in CONFIGS}
    meter = _PeakMemory(engine.device)
    times: dict[str, list[float]] = {config: [] for config in CONFIGS}
    parameters, peaks = {}, {}
    for config in CONFIGS:  # warm-up: loads every model, writes the demo model
        engine.generate(requests[config])
        parameters[config] = _parameters(engine, config)
    for repeat in range(repeats):
        for config in CONFIGS:  # interleaved: a slow moment of the machine hits all alike
            engine.features.clear()  # adapter features are computed anew, as for a new image
            started = time.perf_counter()
            peak = meter.measure(lambda request=requests[config]: engine.generate(request))
            times[config].append(time.perf_counter() - started)
            peaks[config] = max(peaks.get(config, 0), peak)
        say(f"repeat {repeat + 1} of {repeats} done")
    base = statistics.median(times["none"])
    rows = {}
    for config in CONFIGS:
        seconds = statistics.median(times[config])
        rows[config] = {"seconds_per_image": round(seconds, 3),
                        "extra_over_none_percent": round(100 * (seconds / base - 1), 1),
                        "guide_parameters": parameters[config],
                        "peak_memory_mib": round(peaks[config] / 2**20, 1)}
    return {"model": "SDXL demo (random weights)", "device": str(engine.device),
            "steps": steps, "size": size, "repeats": repeats, "condition": CONDITION,
            "configs": rows}


def table(figures: dict) -> str:
    """The figures as a table for people (Markdown)."""
    lines = [f"{figures['model']}, {figures['size']}², {figures['steps']} steps, "
             f"{figures['device']}, median of {figures['repeats']}",
             "", "| guide | s / image | extra over none | guide parameters | peak memory |",
             "|---|---|---|---|---|"]
    for config, row in figures["configs"].items():
        lines.append(f"| {config} | {row['seconds_per_image']:.2f} | "
                     f"{row['extra_over_none_percent']:+.0f} % | "
                     f"{row['guide_parameters'] / 1e6:.2f} M | {row['peak_memory_mib']:.0f} MiB |")
    return "\n".join(lines)
