"""``t2ia-desktop bench --gpu``: its options, and its figures as a table for people."""

from __future__ import annotations

import json
import sys

from t2ia_desktop.bench.gpu import COMPILE_MODES, GpuBenchOptions, run_gpu_bench


def table(figures: dict) -> str:
    """The figures as a small table for people (the JSON line is for scripts)."""
    peak = figures.get("peak_tflops")
    lines = [(f"{figures['device']} ({figures['dtype']}), peak {peak or '?'} TFLOP/s, "
              f"{figures['options']['size']}², {figures['options']['steps']} steps, CFG")]
    for prefix, title in (("", "eager"), ("compiled_", "compiled")):
        if f"{prefix}seconds" not in figures:
            continue
        lines.append(f"{title:<10}{'s/image':>10}{'TFLOP/s':>10}{'% peak':>8}{'VRAM GiB':>10}")
        achieved = figures.get(f"{prefix}tflops_achieved") or {}
        vram = figures.get(f"{prefix}peak_vram_gib") or {}
        for name, seconds in figures[f"{prefix}seconds"].items():
            rate = achieved.get(name)
            share = f"{100 * rate / peak:.1f}" if rate and peak else "-"
            lines.append(f"  {name:<18}{seconds:>8.3f}{rate or '-':>10}{share:>8}"
                         f"{vram.get(name, '-'):>10}")
        lines.append(f"  overhead engine/raw {figures[f'{prefix}engine_overhead_ratio']}, "
                     f"adapter cost raw {figures[f'{prefix}adapter_cost_raw']:+.2%} engine "
                     f"{figures[f'{prefix}adapter_cost_engine']:+.2%}, previews "
                     f"{figures[f'{prefix}preview_cost']:+.2%}")
    for phase, why in figures.get("skipped", {}).items():
        lines.append(f"skipped {phase}: {why}")
    return "\n".join(lines)


def add_gpu_bench_options(bench) -> None:
    """``t2ia-desktop bench --gpu`` and its options (``--steps``, ``--size`` and ``--repeats``
    are the bench command's own)."""
    bench.add_argument("--gpu", action="store_true",
                       help="instead: full-size SDXL with random weights on a CUDA GPU: "
                            "s/image, share of peak, engine overhead, adapter cost, VRAM")
    bench.add_argument("--device", choices=("cuda", "cpu"), default="cuda",
                       help="--gpu: where to run (cpu only with --tiny)")
    bench.add_argument("--tiny", action="store_true",
                       help="--gpu: the same architecture at tiny widths (a quick check)")
    bench.add_argument("--compile", action="store_true",
                       help="--gpu: also measure with the UNet compiled (torch.compile)")
    bench.add_argument("--compile-mode", choices=COMPILE_MODES,
                       default="max-autotune-no-cudagraphs")
    bench.add_argument("--compile-backend", default="inductor",
                       help="--gpu: torch.compile's backend (default inductor)")
    bench.add_argument("--peak-tflops", type=float, default=None,
                       help="--gpu: the device's dense fp16 peak, when not in the known table")
    bench.add_argument("--model-dir", default=None,
                       help="--gpu: folder for the random-weight model (≈ 7 GB; reused when "
                            "complete; default: the temporary folder's t2ia-full-size-sdxl)")
    bench.add_argument("--time-limit", type=float, default=510.0,
                       help="--gpu: seconds for the whole run; later phases are skipped "
                            "(default 510)")
    bench.add_argument("--json-out", default=None, metavar="FILE.json",
                       help="--gpu: also write the figures here, after every phase")


def gpu_bench_command(args) -> int:
    """Run the GPU benchmark from parsed arguments; print the table, then one JSON line."""
    options = GpuBenchOptions(
        device=args.device, steps=args.steps or 30, size=args.size or 1024,
        repeats=args.repeats, compile=args.compile, compile_mode=args.compile_mode,
        compile_backend=args.compile_backend, peak_tflops=args.peak_tflops, tiny=args.tiny,
        model_dir=args.model_dir, time_limit=args.time_limit, json_out=args.json_out)
    figures = run_gpu_bench(options, say=lambda line: print(line, file=sys.stderr, flush=True))
    print(table(figures))
    print(json.dumps(figures))
    return 0
