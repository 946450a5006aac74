"""What the status bar tells about the machine: the device the engine runs on, memory in use.

Torch is never imported here: it is read from ``sys.modules`` once the worker has loaded it, so
asking before the first job costs nothing and keeps the window's start fast.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from dataclasses import dataclass
from typing import Any

from t2ia_desktop.core.generation.memory_policy import DeviceFacts

log = logging.getLogger(__name__)

NOT_LOADED = "Device: loads with the first job"


@dataclass(frozen=True)
class MemoryUse:
    """Bytes in use: the process's resident memory and, on CUDA, what torch has allocated."""

    resident: int
    torch_allocated: int | None = None

    def text(self) -> str:
        parts = [f"RAM {human_bytes(self.resident)}"]
        if self.torch_allocated is not None:
            parts.append(f"VRAM {human_bytes(self.torch_allocated)}")
        return " · ".join(parts)


def human_bytes(count: int) -> str:
    """Megabytes below a gigabyte, else gigabytes with one decimal."""
    if count < 1024**3:
        return f"{count / 1024**2:.0f} MB"
    return f"{count / 1024**3:.1f} GB"


def resident_bytes() -> int:
    """The process's resident set size (0 when the platform will not say)."""
    with contextlib.suppress(Exception):  # psutil is optional: fall back to /proc
        import psutil

        return int(psutil.Process().memory_info().rss)
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return 0


def memory_in_use() -> MemoryUse:
    """Memory in use now; torch's CUDA allocation only when torch is already loaded."""
    torch = sys.modules.get("torch")
    allocated = None
    if torch is not None:
        try:
            if torch.cuda.is_available() and torch.cuda.is_initialized():
                allocated = int(torch.cuda.memory_allocated())
        except Exception:
            allocated = None
    return MemoryUse(resident_bytes(), allocated)


def available_ram() -> int | None:
    """Memory the system can still give (``MemAvailable``; psutil where installed)."""
    with contextlib.suppress(Exception):
        import psutil

        return int(psutil.virtual_memory().available)
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def device_memory(engine: Any) -> DeviceFacts | None:
    """The engine's device and the memory this app may use on it now: what is free plus what
    it holds itself (torch's cache on CUDA, the resident set on the CPU), so the figure is
    comparable with a run's peak whether or not the model is loaded. ``None``: unknown (and
    for a server, whose memory is not this computer's)."""
    if engine is None or hasattr(engine, "server_info"):
        return None
    device = getattr(engine, "device", None)
    kind = getattr(device, "type", None) or str(device or "cpu").split(":")[0]
    torch = sys.modules.get("torch")
    try:
        if kind == "cuda" and torch is not None:
            free, total = torch.cuda.mem_get_info(device)
            held = int(torch.cuda.memory_reserved(device))
            return DeviceFacts("cuda", int(total), int(free) + held, _device_name(engine))
        if kind == "mps":
            return DeviceFacts("mps", name="Apple GPU")
        ram = available_ram()
        return DeviceFacts("cpu", None, None if ram is None else ram + resident_bytes(), "CPU")
    except Exception:  # a status report must never fail a job
        log.debug("device memory unknown", exc_info=True)
        return None


def device_label(engine: Any) -> str:
    """"CUDA: <card name>", "MPS (Apple GPU)" or "CPU" for the engine's device, followed by
    the memory plan it chose (e.g. "· fp16, model offload") when it has one; for a server,
    its address and replicas ("Server 10.0.0.5:8000 · 2 replicas: CUDA: …")."""
    if hasattr(engine, "server_info"):
        return server_label(engine)
    plan = getattr(getattr(engine, "store", None), "memory_plan", None)
    label = _device_name(engine)
    return f"{label} · {plan.label()}" if plan is not None else label


def server_label(engine: Any) -> str:
    """A remote engine's address and, when it answers, its replicas' devices."""
    where = f"Server {engine.url.split('://', 1)[-1]}"
    try:
        return f"{where} · {engine.server_info().summary()}"
    except Exception as error:  # the job that follows says what is wrong
        log.debug("server info: %s", error)
        return where


def _device_name(engine: Any) -> str:
    device = getattr(engine, "device", None)
    kind = getattr(device, "type", None) or str(device or "cpu").split(":")[0]
    if kind == "cuda":
        torch = sys.modules.get("torch")
        try:
            name = torch.cuda.get_device_name(device) if torch is not None else "GPU"
        except Exception:
            name = "GPU"
        return f"CUDA: {name}"
    if kind == "mps":
        return "MPS (Apple GPU)"
    return kind.upper()


def failure_details(job: Any) -> str:
    """Copyable details of the job failing now: what it asked for and the traceback (call
    inside the ``except`` block)."""
    import traceback

    request = job.request
    header = (f"Job {job.id}: {request.summary()}\n"
              f"Model: {request.model} ({request.family}), {request.width}×{request.height}, "
              f"{request.steps} steps, guidance {request.guidance_scale:g}, "
              f"scheduler {request.scheduler}\n\n")
    return header + traceback.format_exc()
