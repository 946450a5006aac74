"""``bench --controls``: what guiding costs, side by side, for the same condition, size and steps.

No control, a T2I-Adapter, a ControlNet, the ControlNet Union model, and an adapter with a
ControlNet: time per image (median of the repeats, runs interleaved), the extra time over no
control, the guiding models' parameters, and the peak memory of making one image, weights
included (CUDA: the allocator's peak; CPU: the peak resident set of a fresh process that loads
the models and makes one image).
Figures are measured in one run and printed, never asserted.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
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


def _peak_in_fresh_process(config: str, steps: int, size: int,
                           demo_root: str | Path | None) -> int:
    """The peak resident memory (bytes) of a fresh process that loads the models and makes
    one image of ``config``: on the CPU, memory freed inside a process is kept by the
    allocator, so only a fresh process shows what a configuration needs."""
    command = [sys.executable, "-m", "t2ia_desktop.bench.controls", config, str(steps),
               str(size), str(demo_root or "")]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return int(done.stdout.strip().splitlines()[-1])


def _peak_cuda(engine, request) -> int:
    import torch

    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats(engine.device)
    engine.generate(request)
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated(engine.device)


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
    times: dict[str, list[float]] = {config: [] for config in CONFIGS}
    parameters, peaks = {}, {}
    for config in CONFIGS:  # warm-up: loads every model, writes the demo model
        engine.generate(requests[config])
        parameters[config] = _parameters(engine, config)
    for repeat in range(repeats):
        for config in CONFIGS:  # interleaved: a slow moment of the machine hits all alike
            engine.features.clear()  # adapter features are computed anew, as for a new image
            started = time.perf_counter()
            engine.generate(requests[config])
            times[config].append(time.perf_counter() - started)
        say(f"repeat {repeat + 1} of {repeats} done")
    for config in CONFIGS:
        peaks[config] = (_peak_cuda(engine, requests[config]) if engine.device.type == "cuda"
                         else _peak_in_fresh_process(config, steps, size, demo_root))
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


def _one_image(config: str, steps: int, size: int, demo_root: str) -> None:
    """In a fresh process: make one image of ``config``; print the peak resident bytes."""
    from t2ia_desktop.engine.generate import Engine

    engine = Engine(demo_root=demo_root or None)
    engine.generate(GenerationRequest(
        model=DEMO_MODEL, prompt="a lighthouse on a cliff", steps=steps, width=size,
        height=size, guidance_scale=7.5, seed=1, controls=controls_for(config, _edges(size))))
    try:
        import resource
    except ImportError:  # Windows: no rusage; the figure reads 0
        print(0)
        return
    scale = 1 if sys.platform == "darwin" else 1024  # macOS gives bytes, Linux KiB
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale)


if __name__ == "__main__":
    _one_image(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
