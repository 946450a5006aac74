"""Fixtures for UI tests: the real worker, runner and queue around the fake engine.

Asyncio tasks (the window's result delivery) progress only inside ``loop.run_until_complete``;
qasync runs its callbacks as Qt timers, so tests never process Qt events on their own between
``window.generate()`` and running the loop (``qtbot.mouseMove`` would, for instance).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from t2ia_desktop.core.document import Document
from t2ia_desktop.core.jobs import JobQueue
from t2ia_desktop.core.request import DEFAULT_SDXL_MODEL, DEMO_MODEL
from t2ia_desktop.runtime.runner import JobRunner
from t2ia_desktop.runtime.worker import EngineWorker
from t2ia_desktop.ui.main_window import MainWindow
from tests.fakes import FakeEngine

MODELS = [
    ("demo (random weights)", DEMO_MODEL, "sdxl"),
    ("SDXL base 1.0", DEFAULT_SDXL_MODEL, "sdxl"),
]
DOC_WIDTH, DOC_HEIGHT = 256, 192  # not square, to check the fit keeps the aspect




@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine(step_seconds=0.001)


@pytest.fixture
def runner(qapp, engine) -> Iterator[JobRunner]:
    job_runner = JobRunner(JobQueue(), EngineWorker(lambda: engine))
    yield job_runner
    job_runner.shutdown()
    assert not job_runner.worker._thread.isRunning()  # no test leaks the worker thread


@pytest.fixture
def document() -> Document:
    return Document.with_sketch_layer(DOC_WIDTH, DOC_HEIGHT)


@pytest.fixture
def window(qtbot, loop, document, runner) -> Iterator[MainWindow]:
    main = MainWindow(document, runner, list(MODELS), status_message="Ready to draw")
    qtbot.addWidget(main)
    main.show()
    qtbot.waitExposed(main)
    yield main
    main.close()
