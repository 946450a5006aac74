"""One long-lived background thread that owns the engine (and so torch and the models)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from PIL import Image
from PySide6.QtCore import QObject, QThread, Signal, Slot

from t2ia_desktop.core.conditions.registry import ConditionRegistry
from t2ia_desktop.core.errors import Cancelled, T2IAError
from t2ia_desktop.core.generation.jobs import Job
from t2ia_desktop.core.generation.phases import SAVING, STARTING_ENGINE
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.core.image_history.store import History
from t2ia_desktop.runtime.preview_gate import PreviewGate
from t2ia_desktop.runtime.system_info import device_label, device_memory, failure_details

log = logging.getLogger(__name__)


class Engine(Protocol):
    """What the worker needs from an engine; the real one is ``t2ia_desktop.engine.Engine``."""

    def generate(
        self,
        request: GenerationRequest,
        on_step: Callable[[int, int], None] | None = None,
        should_stop: Callable[[], bool] = ...,
        on_preview: Callable[[Callable[[], Image.Image]], None] | None = None,
        on_phase: Callable[[str, float | None], None] | None = None,
    ) -> Image.Image: ...


EngineFactory = Callable[[], Engine]


def default_engine_factory(demo_root: str,
                           registry: ConditionRegistry | None = None) -> EngineFactory:
    """The local torch engine reading ``registry`` (the built-in conditions when None); torch
    and diffusers are imported when the factory is called, inside the worker thread."""

    def build() -> Engine:
        from t2ia_desktop.engine.generate import Engine as TorchEngine

        return TorchEngine(demo_root=demo_root, registry=registry)

    return build


class _JobExecutor(QObject):
    """Lives in the worker thread; its slot runs one job at a time."""

    started = Signal(int, int)  # job id, total steps
    progress = Signal(int, int, int)  # job id, step, total steps
    preview = Signal(int, object)  # job id, step preview (PIL image); then call preview_shown
    finished = Signal(int, object, str, str)  # job id, PIL image, history file, warning
    failed = Signal(int, str, str)  # job id, message for the artist, details (traceback)
    engine_ready = Signal(str)  # the device the engine runs on, e.g. "CUDA: NVIDIA …", "CPU"
    cancelled = Signal(int)  # job id
    phase = Signal(int, str, object)  # job id, phase (core/phases.py), fraction 0–1 or None
    device_memory = Signal(object)  # DeviceFacts: the memory this app may use now, per job

    def __init__(self, engine_factory: EngineFactory, history: History | None = None) -> None:
        super().__init__()
        self._engine_factory = engine_factory
        self._history = history
        self._engine: Engine | None = None
        self._current_engine: Engine | None = None  # the one the latest job ran on
        self._previews = PreviewGate()

    @Slot(object)
    def run(self, job: Job) -> None:
        request = job.request
        self.started.emit(job.id, request.steps)
        if job.cancel_event.is_set():
            self.cancelled.emit(job.id)
            return
        try:
            engine = self._engine_for(job)
            image = engine.generate(
                request,
                on_step=lambda step, total: self.progress.emit(job.id, step, total),
                should_stop=job.cancel_event.is_set,
                on_preview=lambda render: self._previews.offer(
                    render, lambda image: self.preview.emit(job.id, image)),
                on_phase=lambda phase, fraction: self.phase.emit(job.id, phase, fraction),
            )
        except Cancelled:
            self.cancelled.emit(job.id)
        except T2IAError as error:
            self._report_memory()  # e.g. after out of memory: what is free again
            self.failed.emit(job.id, str(error), failure_details(job))
        except MemoryError:
            self.failed.emit(job.id, "Out of memory: try a smaller size or fewer controls.",
                             failure_details(job))
        except Exception as error:  # any engine bug must end this job only, never the app
            log.exception("job %s failed", job.id)
            self.failed.emit(job.id, f"{type(error).__name__}: {error}", failure_details(job))
        else:
            saved_to, warning = "", ""
            if job.to_history and self._history is not None:
                self.phase.emit(job.id, SAVING, None)
                saved_to, warning = self._keep(image, request)
            self._report_memory()
            self.finished.emit(job.id, image, saved_to, warning)

    def _engine_for(self, job: Job) -> Engine:
        """The engine this job runs on. A plain engine is built at the first job; an engine
        choice (runtime/engines/choice.py) picks this computer or a server at every job, and the
        status bar hears when that changes."""
        started = self._engine is None
        if self._engine is None:
            self.phase.emit(job.id, STARTING_ENGINE, None)
            self._engine = self._engine_factory()
        pick = getattr(self._engine, "pick", None)
        if pick is None:
            engine, changed = self._engine, started
        else:
            engine, changed = pick(lambda: self.phase.emit(job.id, STARTING_ENGINE, None))
        self._current_engine = engine
        if changed:
            self.engine_ready.emit(device_label(engine))
            self._report_memory()
        return engine

    def _report_memory(self) -> None:
        facts = device_memory(self._current_engine)
        if facts is not None:
            self.device_memory.emit(facts)

    def preview_shown(self) -> None:
        """The UI took the last step preview: the next step may send one (any thread)."""
        self._previews.release()

    def _keep(self, image: Image.Image, request: GenerationRequest) -> tuple[str, str]:
        """Write the result to the history before anyone is told it exists."""
        if self._history is None:
            return "", ""
        try:
            return str(self._history.add(image, request).image), ""
        except T2IAError as error:
            log.warning("history: %s", error)
            return "", str(error)


class EngineWorker(QObject):
    """Owns the worker thread; hand it jobs with :meth:`submit`."""

    _submit = Signal(object)

    def __init__(
        self,
        engine_factory: EngineFactory,
        parent: QObject | None = None,
        *,
        history: History | None = None,
    ) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("t2ia-engine")
        self.executor = _JobExecutor(engine_factory, history)
        self.executor.moveToThread(self._thread)
        self._submit.connect(self.executor.run)
        self._thread.start()

    def submit(self, job: Job) -> None:
        self._submit.emit(job)

    def stop(self, timeout_ms: int = 30_000) -> None:
        """Finish the thread; call after cancelling the running job."""
        if self._thread.isRunning():
            self._thread.quit()
            self._thread.wait(timeout_ms)
