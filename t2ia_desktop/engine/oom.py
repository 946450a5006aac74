"""Out of memory during a job: end that job with a clear message, free memory, carry on.

torch raises ``torch.OutOfMemoryError`` when CUDA cannot allocate, a ``RuntimeError`` saying
"out of memory" (MPS, older CUDA builds) or "can't allocate memory" (the CPU allocator), and
Python a ``MemoryError``. :func:`recovers_from_out_of_memory` turns each into an
:class:`OutOfMemory` error whose text says what to change, after dropping what can be rebuilt
(cached adapter features, loaded ControlNets, the refiner) and handing the allocator's cache
back, so the next job in the queue starts with the memory the failed one held.
"""

from __future__ import annotations

import functools
import gc
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import torch

from t2ia_desktop.core.conditions.guides import ADAPTER, CONTROLNET
from t2ia_desktop.core.errors import T2IAError
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.core.generation.vram_estimate import estimate_for_plan

log = logging.getLogger(__name__)

OOM_PHRASES = ("out of memory", "can't allocate memory", "cannot allocate memory")

F = TypeVar("F", bound=Callable[..., Any])


QUEUE_GOES_ON = "The memory was freed and the queue goes on."
"""What the app's queue adds to the advice; the command line, which has no queue, does not."""


class OutOfMemory(T2IAError):
    """A job needed more memory than the device had; the text suggests what to change.

    ``advice`` is that suggestion alone and ``memory`` what ran out ("RAM", "GPU memory"), for
    a caller that tells it in its own words (the command line)."""

    def __init__(self, advice: str, memory: str = "RAM") -> None:
        super().__init__(f"{advice} {QUEUE_GOES_ON}")
        self.advice = advice
        self.memory = memory


def is_out_of_memory(error: BaseException) -> bool:
    """Whether ``error`` is an allocation failure (CUDA, MPS or CPU)."""
    if isinstance(error, (torch.OutOfMemoryError, MemoryError)):
        return True
    return isinstance(error, RuntimeError) and any(
        phrase in str(error).lower() for phrase in OOM_PHRASES)


def free_memory(engine: Any) -> None:
    """Drop what the engine can rebuild and give cached device memory back. The base model
    stays loaded: the next job needs it and reloading costs more than it frees."""
    features = getattr(engine, "features", None)
    if features is not None:
        features.clear()
    controlnets = getattr(getattr(engine, "store", None), "controlnets", None)
    if controlnets is not None:  # the largest things a job loads besides the model
        controlnets.clear()
    refiners = getattr(engine, "refiners", None)
    if refiners is not None:  # a fresh, empty store: the refiner reloads when next asked for
        engine.refiners = type(refiners)(refiners.demo_root, refiners.device, refiners.dtype)
    engine.last_injection = None
    gc.collect()
    device = getattr(engine, "device", torch.device("cpu"))
    if device.type == "cuda" and torch.cuda.is_available():
        torch.cuda.empty_cache()
    elif device.type == "mps" and hasattr(torch, "mps"):
        torch.mps.empty_cache()


def advice(engine: Any, request: GenerationRequest) -> str:
    """What ran out and what to change, in the artist's words (the queue's sentence apart)."""
    device = getattr(engine, "device", torch.device("cpu"))
    on_cpu = device.type == "cpu"
    memory = "RAM" if on_cpu else "GPU memory"
    plan = getattr(getattr(engine, "store", None), "memory_plan", None)
    size = f"{request.width}×{request.height}"
    text = f"Out of {memory} at {size}"
    adapters = sum(1 for control in request.controls if control.guide == ADAPTER)
    if plan is not None:
        estimate = estimate_for_plan(
            request.family, request.width, request.height,
            guidance_scale=request.guidance_scale, adapters=adapters,
            controlnets=controlnet_models(request),
            refiner=request.refiner is not None, plan=plan, device=device.type)
        text += f" (this job needs {estimate.text()})"
    tips = ["a smaller size or generation area"]
    if not on_cpu and (plan is None or plan.setting != "low-vram"):
        tips.append("the Low VRAM memory setting (Models → Memory)")
    if request.controls:
        tips.append("fewer control layers")
    if adapters < len(request.controls):
        tips.append("T2I-Adapters instead of ControlNets (a ControlNet runs at every step and "
                    "weighs up to 16 times an adapter)")
    if request.refiner is not None:
        tips.append("no refiner")
    tips.append("closing other apps that use the " + ("memory" if on_cpu else "GPU"))
    return f"{text}. Try {', '.join(tips[:-1])} or {tips[-1]}."


def controlnet_models(request: GenerationRequest) -> int:
    """The distinct ControlNet models a request runs: a union model serves all its layers."""
    models = {(control.guide, control.controlnet or (control.condition
                                                     if control.guide == CONTROLNET else ""))
              for control in request.controls if control.guide != ADAPTER}
    return len(models)


def available_text(engine: Any) -> str:
    """Free device memory now, for the log."""
    device = getattr(engine, "device", torch.device("cpu"))
    if device.type == "cuda" and torch.cuda.is_available():
        free, _total = torch.cuda.mem_get_info(device)
        return f"{free / 1024**3:.1f} GB free on the GPU"
    return ""


def recovers_from_out_of_memory(generate: F) -> F:
    """Wrap ``Engine.generate``: an allocation failure ends the job with :class:`OutOfMemory`."""

    @functools.wraps(generate)
    def guarded(engine: Any, request: GenerationRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return generate(engine, request, *args, **kwargs)
        except Exception as error:  # MemoryError is an Exception too
            if not is_out_of_memory(error):
                raise
            cause = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        # Outside the except block: the failed call's frames, and the tensors they hold, are
        # released before the memory is collected.
        free_memory(engine)
        # info, not warning: the error itself tells the artist (one line on the command line)
        log.info("out of memory (%s); freed: %s", cause, available_text(engine))
        device = getattr(engine, "device", torch.device("cpu"))
        raise OutOfMemory(advice(engine, request),
                          "RAM" if device.type == "cpu" else "GPU memory")

    return guarded  # type: ignore[return-value]
