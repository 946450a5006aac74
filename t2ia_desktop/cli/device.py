"""``generate``'s device options: ``--device``, ``--dtype`` and ``--offload``.

``auto`` everywhere means what the app does: CUDA in fp16 where there is a GPU (else Apple MPS in
fp16, else the CPU in fp32), offload chosen from the GPU's free memory and the Memory setting.
A device this machine lacks is refused before anything loads. fp16 and bf16 are allowed on the
CPU (torch 2 has half-precision CPU kernels and the pipelines run), with a warning: on most
processors they are slower than fp32.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from t2ia_desktop.core.errors import BadInput

DEVICES = ("auto", "cuda", "mps", "cpu")
DTYPES = {"auto": None, "fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}
OFFLOADS = ("auto", "none", "model", "sequential")


def add_device_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("device and memory")
    group.add_argument("--device", choices=DEVICES, default="auto",
                       help="where to compute: auto (CUDA, else MPS, else CPU), cuda, mps or cpu")
    group.add_argument("--dtype", choices=list(DTYPES), default="auto",
                       help="weights' precision: auto (fp16 on a GPU, fp32 on the CPU), fp32, "
                            "fp16 or bf16")
    group.add_argument("--offload", choices=OFFLOADS, default="auto",
                       help="GPU memory saving: auto (from free VRAM and the Memory setting), "
                            "none (all on the GPU), model (whole models moved in when used) or "
                            "sequential (layer by layer: least VRAM, slowest)")


def engine_options(args: argparse.Namespace) -> dict[str, Any]:
    """``Engine`` keyword arguments (device, dtype) and the offload override (``offload``:
    ``None`` for auto), after checking the device exists. Imports torch."""
    import torch

    device = _device(args.device, torch)
    dtype_name = DTYPES[args.dtype] or ("float32" if device == "cpu" else "float16")
    if device == "cpu" and dtype_name != "float32":
        print(f"t2ia-desktop: warning: --dtype {args.dtype} on the CPU is usually slower than "
              "fp32 (and rounds more)", file=sys.stderr)
    if device == "mps" and dtype_name == "bfloat16":
        raise BadInput("--dtype bf16: Apple MPS runs fp16 or fp32; use --dtype fp16")
    offload = None if args.offload == "auto" else args.offload
    if device != "cuda" and offload in ("model", "sequential"):
        raise BadInput(f"--offload {offload} moves weights between RAM and a CUDA GPU; on "
                       f"{device.upper()} there is nothing to offload: use --offload none or "
                       "auto")
    return {"device": device, "dtype": getattr(torch, dtype_name), "offload": offload}


def _device(wanted: str, torch: Any) -> str:
    cuda = torch.cuda.is_available()
    mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if wanted == "auto":
        return "cuda" if cuda else "mps" if mps else "cpu"
    if wanted == "cuda" and not cuda:
        raise BadInput("--device cuda: torch sees no CUDA GPU on this machine (no NVIDIA GPU, "
                       "no driver, or a CPU-only torch); use --device cpu or auto")
    if wanted == "mps" and not mps:
        raise BadInput("--device mps: Apple's Metal GPU is not available here (it needs a Mac "
                       "with Apple silicon or an AMD GPU); use --device cpu or auto")
    return wanted
