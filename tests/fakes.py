"""A scriptable fake engine for queue and UI tests (the engine boundary, not the thing tested).

It takes what the real engine takes (``t2ia_desktop.engine.generate.Engine.generate``): the
request, then ``on_step``, ``should_stop``, ``on_preview`` and ``on_phase``, all optional.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from PIL import Image

from t2ia_desktop.core.errors import Cancelled, T2IAError
from t2ia_desktop.core.generation.request import GenerationRequest


def never_stop() -> bool:
    return False


class FakeEngine:
    """Counts steps with a small sleep each; fails when the prompt contains ``fail:<reason>``.

    ``gate`` (a threading.Event) lets a test hold a job at its first step (``gate_step``: at
    that step, once the ones before it are reported) until it is set.
    ``phases`` are ``(phase, fraction)`` pairs reported through ``on_phase`` before the steps
    (then "denoising"), as the real engine reports loading; ``loading_gate`` holds the job
    after them until set, and, like a real load, does not look at cancellation meanwhile.
    """

    def __init__(self, step_seconds: float = 0.005, gate: threading.Event | None = None,
                 phases: Sequence[tuple[str, float | None]] = (),
                 loading_gate: threading.Event | None = None) -> None:
        self.step_seconds = step_seconds
        self.gate = gate
        self.gate_step = 1
        self.phases = list(phases)
        self.loading_gate = loading_gate
        self.calls: list[GenerationRequest] = []
        self.thread_names: list[str] = []
        self.steps_run = 0  # steps reported, over all jobs

    def generate(
        self,
        request: GenerationRequest,
        on_step: Callable[[int, int], None] | None = None,
        should_stop: Callable[[], bool] = never_stop,
        on_preview: Callable[[Callable[[], Image.Image]], None] | None = None,
        on_phase: Callable[[str, float | None], None] | None = None,
    ) -> Image.Image:
        self.calls.append(request)
        self.thread_names.append(threading.current_thread().name)
        if "fail:" in request.prompt:
            raise T2IAError(request.prompt.split("fail:", 1)[1].strip())
        if self.phases:
            self._load(should_stop, on_phase)
        for step in range(1, request.steps + 1):
            self._step(request, step, on_step, should_stop, on_preview)
        shade = request.seed % 256
        return Image.new("RGB", (request.width, request.height), (shade, 128, 255 - shade))

    def _load(self, should_stop: Callable[[], bool],
              on_phase: Callable[[str, float | None], None] | None) -> None:
        """Report the loading phases, wait for ``loading_gate``, then enter denoising."""
        for phase, fraction in self.phases:
            if on_phase is not None:
                on_phase(phase, fraction)
        if self.loading_gate is not None:
            self.loading_gate.wait(30)  # a load runs to its end whatever happens
        if should_stop():
            raise Cancelled()
        if on_phase is not None:
            on_phase("denoising", 0.0)

    def _step(self, request: GenerationRequest, step: int,
              on_step: Callable[[int, int], None] | None,
              should_stop: Callable[[], bool],
              on_preview: Callable[[Callable[[], Image.Image]], None] | None) -> None:
        if self.gate is not None and step == self.gate_step:
            while not self.gate.wait(0.01):
                if should_stop():
                    raise Cancelled()
        time.sleep(self.step_seconds)
        if should_stop():
            raise Cancelled()
        if on_step is not None:
            on_step(step, request.steps)
        self.steps_run += 1
        if on_preview is not None:  # a grey that lightens step by step
            level = round(255 * step / request.steps)
            on_preview(lambda level=level: Image.new("RGB", (8, 8), (level,) * 3))
