"""The engine deployment: each replica owns one Engine (its model and feature caches stay
loaded between jobs) and runs one job at a time in its own thread, which checks a stop flag
every step; cancelling the Serve response (the client's Cancel, or its disconnect) sets it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import ray
from ray import serve

from t2ia_desktop.core.errors import BadInput, Cancelled, ModelUnavailable, T2IAError
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.remote.wire import png_bytes
from t2ia_desktop.server.board import board
from t2ia_desktop.server.options import ServerOptions

log = logging.getLogger(__name__)


def error_event(error: BaseException) -> dict[str, Any]:
    """The ``error`` event for an engine error: the same message the local app shows."""
    from t2ia_desktop.engine.oom import OutOfMemory

    if isinstance(error, OutOfMemory):
        return {"type": "error", "status": 507, "kind": "out_of_memory",
                "message": str(error), "advice": error.advice, "memory": error.memory}
    if isinstance(error, MemoryError):
        return {"type": "error", "status": 507, "kind": "out_of_memory",
                "message": "Out of memory: try a smaller size or fewer controls."}
    if isinstance(error, BadInput):
        return {"type": "error", "status": 422, "kind": "bad_input", "message": str(error)}
    if isinstance(error, ModelUnavailable):
        return {"type": "error", "status": 424, "kind": "model_unavailable",
                "message": str(error)}
    if isinstance(error, T2IAError):
        return {"type": "error", "status": 500, "kind": "error", "message": str(error)}
    return {"type": "error", "status": 500, "kind": "bug",
            "message": f"{type(error).__name__}: {error}"}


def device_name(engine: Any) -> str:
    device = engine.device
    if device.type == "cuda":
        import torch

        return f"CUDA: {torch.cuda.get_device_name(device)}"
    return "MPS (Apple GPU)" if device.type == "mps" else device.type.upper()


@serve.deployment(max_ongoing_requests=1)  # one job per replica; Serve queues the rest
class EngineReplica:
    def __init__(self, options: ServerOptions) -> None:
        import torch

        from t2ia_desktop.engine.generate import Engine

        if options.num_gpus == 0 and options.num_cpus >= 1:
            torch.set_num_threads(int(options.num_cpus))  # replicas share the CPUs fairly
        self.engine = Engine(demo_root=options.demo_root)
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="t2ia-engine")
        self.name = ray.get_runtime_context().get_actor_name() or "replica"
        self.device = device_name(self.engine)
        self.board = board()
        ray.get(self.board.put.remote(self.name, self.device))

    async def info(self) -> dict[str, str]:
        return {"name": self.name, "device": self.device}

    async def run(self, job_id: str, request: GenerationRequest,
                  previews: bool) -> AsyncIterator[dict[str, Any]]:
        """The job's events; the last is ``result`` (with its PNG), ``cancelled`` or
        ``error``. Cancelling the response stops the engine within one step."""
        loop = asyncio.get_running_loop()
        events: asyncio.Queue = asyncio.Queue()
        stop = threading.Event()
        yield {"type": "replica", "replica": self.name, "device": self.device}
        loop.run_in_executor(self.executor, self._work, job_id, request, previews, stop,
                             lambda event: loop.call_soon_threadsafe(events.put_nowait, event))
        try:
            while (event := await events.get()) is not None:
                yield event
        finally:
            stop.set()  # the response was cancelled (or ended): the thread stops at its step

    def _work(self, job_id: str, request: GenerationRequest, previews: bool,
              stop: threading.Event, put) -> None:
        """Runs on the replica's engine thread; reports each event through ``put``."""
        record: dict[str, Any] = {"job": job_id, "replica": self.name, "steps": 0,
                                  "steps_after_stop": 0, "started": time.time()}

        def on_step(step: int, total: int) -> None:
            record["steps"] = step
            if stop.is_set():
                record["steps_after_stop"] += 1
            put({"type": "step", "step": step, "total": total})

        def on_preview(render) -> None:
            put({"type": "preview", "png": png_bytes(render())})

        try:
            image = self.engine.generate(
                request, on_step=on_step, should_stop=stop.is_set,
                on_preview=on_preview if previews else None,
                on_phase=lambda phase, fraction: put(
                    {"type": "phase", "phase": phase, "fraction": fraction}))
            record["ended"] = "done"
            put({"type": "result", "png": png_bytes(image)})
        except Cancelled:
            record["ended"] = "cancelled"
            put({"type": "cancelled"})
        except BaseException as error:  # every engine error ends this job only
            record["ended"] = "failed"
            if not isinstance(error, T2IAError):
                log.exception("job %s failed", job_id)
            put(error_event(error))
        finally:
            put(None)
            record["ended_at"] = time.time()
            self.board.job_ended.remote(record)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # Ray may be gone already
            self.board.drop.remote(self.name)
