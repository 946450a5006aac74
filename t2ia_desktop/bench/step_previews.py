"""Benchmark of the step preview conversion (latent → RGB) at a 128×128 latent (1024² picture).

Figures in milliseconds per conversion, median and 95th percentile over many runs, on the CPU
and (when there is one) on the GPU, where the latents live during a real generation.
"""

from __future__ import annotations

import statistics
import time


def step_preview_figures(runs: int = 300, latent_size: int = 128) -> dict:
    import torch

    from t2ia_desktop.engine.step_previews import latents_to_rgb, preview_image

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    figures: dict = {"step_preview_latent": f"4x{latent_size}x{latent_size}"}
    for device in devices:
        dtype = torch.float16 if device == "cuda" else torch.float32
        latents = torch.randn(1, 4, latent_size, latent_size, device=device, dtype=dtype)
        for name, convert in (("rgb", latents_to_rgb), ("image", preview_image)):
            times = []
            for run in range(runs + 10):
                if device == "cuda":
                    torch.cuda.synchronize()
                started = time.perf_counter()
                convert(latents, "sdxl")  # ends with a copy to the CPU: synchronous
                if run >= 10:  # the first runs warm caches up
                    times.append((time.perf_counter() - started) * 1000)
            times.sort()
            key = f"step_preview_{name}_{device}_ms"
            figures[f"{key}_median"] = round(statistics.median(times), 3)
            figures[f"{key}_p95"] = round(times[int(len(times) * 0.95) - 1], 3)
    return figures
