"""A recording fake engine and a rig of the real worker, runner and queue around it."""

from __future__ import annotations

import threading

from t2ia_desktop.core.generation.jobs import JobQueue
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.runtime.runner import JobRunner
from t2ia_desktop.runtime.worker import EngineWorker
from tests.fakes import FakeEngine, never_stop


class RecordingEngine(FakeEngine):
    """FakeEngine that records the thread it runs on and every step it reports.

    A prompt containing ``crash`` raises a plain RuntimeError, as an engine bug would.
    """

    def __init__(self, step_seconds: float = 0.001, gate: threading.Event | None = None):
        super().__init__(step_seconds=step_seconds, gate=gate)
        self.thread_ids: list[int] = []
        self.steps: list[tuple[int, int]] = []  # (seed, step) as reported by the engine

    def generate(self, request, on_step=None, should_stop=never_stop, on_preview=None,
                 on_phase=None):
        self.thread_ids.append(threading.get_ident())
        if "crash" in request.prompt:
            self.calls.append(request)
            raise RuntimeError("tensor on fire")

        def record(step: int, total: int) -> None:
            self.steps.append((request.seed, step))
            if on_step is not None:
                on_step(step, total)

        return super().generate(request, record, should_stop, on_preview, on_phase)


def request(seed: int = 0, prompt: str = "a kite", steps: int = 5) -> GenerationRequest:
    return GenerationRequest(model="demo", prompt=prompt, seed=seed, steps=steps,
                             width=64, height=64)


class Rig:
    """What a test gets: the engine, the queue, the worker and the runner, all wired."""

    def __init__(self, engine: RecordingEngine) -> None:
        self.engine = engine
        self.factory_thread_ids: list[int] = []

        def factory() -> RecordingEngine:
            self.factory_thread_ids.append(threading.get_ident())
            return engine

        self.queue = JobQueue()
        self.worker = EngineWorker(factory)
        self.runner = JobRunner(self.queue, self.worker)
