"""A recording fake engine and a rig of the real worker, runner and queue around it."""

from __future__ import annotations

import threading
from functools import partial

from t2ia_desktop.core.generation.jobs import JobQueue
from t2ia_desktop.runtime.runner import JobRunner
from t2ia_desktop.runtime.worker import EngineWorker
from tests import builders
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


# The runtime tests' request: the shared small kite at five steps (seed, prompt... by keyword).
request = partial(builders.request, steps=5)


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
