"""A scriptable fake engine for queue and UI tests (the engine boundary, not the thing tested)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from PIL import Image

from t2ia_desktop.core.errors import Cancelled, T2IAError
from t2ia_desktop.core.request import GenerationRequest


class FakeEngine:
    """Counts steps with a small sleep each; fails when the prompt contains ``fail:<reason>``.

    ``gate`` (a threading.Event) lets a test hold a job at its first step until it is set.
    """

    def __init__(self, step_seconds: float = 0.005, gate: threading.Event | None = None) -> None:
        self.step_seconds = step_seconds
        self.gate = gate
        self.calls: list[GenerationRequest] = []
        self.thread_names: list[str] = []

    def generate(
        self,
        request: GenerationRequest,
        on_step: Callable[[int, int], None],
        should_stop: Callable[[], bool],
        on_preview: Callable[[Callable[[], Image.Image]], None] | None = None,
    ) -> Image.Image:
        self.calls.append(request)
        self.thread_names.append(threading.current_thread().name)
        if "fail:" in request.prompt:
            raise T2IAError(request.prompt.split("fail:", 1)[1].strip())
        for step in range(1, request.steps + 1):
            if self.gate is not None and step == 1:
                while not self.gate.wait(0.01):
                    if should_stop():
                        raise Cancelled()
            time.sleep(self.step_seconds)
            if should_stop():
                raise Cancelled()
            on_step(step, request.steps)
            if on_preview is not None:  # a grey that lightens step by step
                level = round(255 * step / request.steps)
                on_preview(lambda level=level: Image.new("RGB", (8, 8), (level,) * 3))
        shade = request.seed % 256
        return Image.new("RGB", (request.width, request.height), (shade, 128, 255 - shade))
