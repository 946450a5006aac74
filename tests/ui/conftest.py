"""Fixtures for UI tests: the real worker, runner and queue around the fake engine, and the
real preview scheduler (its detector thread runs the engine's real detectors).

Asyncio tasks (the window's result delivery) progress only inside ``loop.run_until_complete``;
qasync runs its callbacks as Qt timers, so tests never process Qt events on their own between
``window.generate()`` and running the loop (``qtbot.mouseMove`` would, for instance).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from t2ia_desktop.core.conditions.registry import default_registry
from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.generation.jobs import JobQueue
from t2ia_desktop.core.generation.request import DEFAULT_SDXL_MODEL, DEMO_MODEL
from t2ia_desktop.core.image_history.store import History
from t2ia_desktop.core.paths import demo_model_root, history_dir
from t2ia_desktop.runtime.condition_updates import ConditionUpdater
from t2ia_desktop.runtime.previews import PreviewScheduler
from t2ia_desktop.runtime.runner import JobRunner
from t2ia_desktop.runtime.worker import EngineWorker, default_engine_factory
from t2ia_desktop.session.tool_state import ToolState
from t2ia_desktop.ui.actions.projects import ProjectFiles
from t2ia_desktop.ui.window.main_window import MainWindow
from tests.fakes import FakeEngine
from tests.ui.helpers import main_window, shown

MODELS = [
    ("demo (random weights)", DEMO_MODEL, "sdxl"),
    ("SDXL base 1.0", DEFAULT_SDXL_MODEL, "sdxl"),
]
DOC_WIDTH, DOC_HEIGHT = 256, 192  # not square, to check the fit keeps the aspect


@pytest.fixture(autouse=True)
def _no_modal_dialogs(monkeypatch):
    """A modal dialog would wait forever for a click under the offscreen platform: closing a
    window with unsaved changes discards them, and a test that reaches any other question
    without answering it through its hook fails at once."""

    def unanswered(*_args, **_kwargs):
        raise AssertionError("a test reached a modal dialog without answering its hook")

    monkeypatch.setattr(ProjectFiles, "_ask_save_changes", lambda _self, _name: "discard")
    for name in ("_ask_open_path", "_ask_save_path", "_ask_new_size", "_ask_restore"):
        monkeypatch.setattr(ProjectFiles, name, unanswered)


@pytest.fixture(autouse=True)
def _empty_clipboard(qapp):
    """A test that puts data on the clipboard leaves it empty: mime data still held by the
    clipboard when Python shuts down crashes the interpreter on its way out (exit 139)."""
    yield
    qapp.clipboard().clear()


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
def scheduler(qapp) -> Iterator[PreviewScheduler]:
    """The real preview scheduler with the real detectors, on its own thread."""
    previews = PreviewScheduler()
    yield previews
    previews.shutdown()
    assert not previews._thread.isRunning()  # no test leaks the detector thread


@pytest.fixture
def updater(document, scheduler) -> Iterator[ConditionUpdater]:
    conditions = ConditionUpdater(document, default_registry(), scheduler)
    yield conditions
    conditions.disconnect_document()


@pytest.fixture
def models() -> list:
    return list(MODELS)


@pytest.fixture
def tool_state(qapp) -> ToolState:
    """The current tool, brush and colours a canvas (or the window) follows."""
    return ToolState()


@pytest.fixture
def window(qtbot, loop, document, runner, updater, models, tool_state) -> Iterator[MainWindow]:
    main = shown(qtbot, main_window(document, runner, models, updater=updater,
                                    tool_state=tool_state, status_message="Ready to draw"))
    yield main
    main.close()


@pytest.fixture
def astronaut() -> str:
    """A real photo from scikit-image's data folder (512×512 RGB)."""
    import os

    import skimage

    path = os.path.join(os.path.dirname(skimage.__file__), "data", "astronaut.png")
    assert os.path.isfile(path)
    return path


@pytest.fixture
def square_photo(tmp_path) -> str:
    """White paper with a black square on the left: canny finds its four sides."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (DOC_WIDTH, DOC_HEIGHT), "white")
    ImageDraw.Draw(image).rectangle((30, 50, 90, 130), fill="black")
    path = tmp_path / "square.png"
    image.save(path)
    return str(path)


@pytest.fixture
def real_window(qtbot, loop, scheduler) -> Iterator[MainWindow]:
    """The window on the real engine (the demo model) in its worker thread."""
    worker = EngineWorker(default_engine_factory(str(demo_model_root())),
                          history=History(history_dir()))
    runner = JobRunner(JobQueue(), worker)
    main = shown(qtbot, main_window(Document.with_sketch_layer(128, 128), runner, MODELS,
                                    scheduler=scheduler, history_folder=history_dir()))
    yield main
    main.close()
    runner.shutdown()
    assert not runner.worker._thread.isRunning()
