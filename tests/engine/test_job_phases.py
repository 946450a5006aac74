"""Job phases from the real engine on the demo model: loading is reported only when something
loads, in order before the steps, and a Cancel during loading stops the job before step 1."""

from __future__ import annotations

from functools import partial

import pytest

from t2ia_desktop.core.errors import Cancelled
from t2ia_desktop.core.generation.jobs import Job, JobQueue, JobState
from t2ia_desktop.core.generation.phases import (
    COMPUTING_FEATURES,
    DECODING,
    DENOISING,
    LOADING_ADAPTERS,
    LOADING_MODEL,
    LOADING_REFINER,
    REFINING,
    SAVING,
    STARTING_ENGINE,
)
from t2ia_desktop.core.generation.request import ControlSpec, GenerationRequest
from t2ia_desktop.core.generation.sdxl_extras import DEMO_REFINER
from t2ia_desktop.core.image_history.store import History
from t2ia_desktop.engine.generate import Engine
from t2ia_desktop.runtime.runner import JobRunner
from t2ia_desktop.runtime.worker import EngineWorker
from tests.builders import request

WAIT_MS = 120_000  # an upper bound for a slow machine, never a timing assertion


lighthouse = partial(request, prompt="a lighthouse", guidance_scale=1.0, seed=3)


def phase_names(reported: list[tuple[str, float | None]]) -> list[str]:
    """The phases in the order they began (repeats of the same phase folded)."""
    names: list[str] = []
    for phase, _fraction in reported:
        if not names or names[-1] != phase:
            names.append(phase)
    return names


@pytest.fixture
def runner(qapp, tmp_path):
    built: list[Engine] = []

    def factory() -> Engine:
        built.append(Engine(demo_root=tmp_path / "demo-root", device="cpu"))
        return built[0]

    job_runner = JobRunner(JobQueue(), EngineWorker(factory, history=History(tmp_path / "h")))
    yield job_runner
    job_runner.shutdown()
    assert not job_runner.worker._thread.isRunning()


def run_job(qtbot, runner: JobRunner, req: GenerationRequest) -> tuple[Job, list]:
    seen: list[tuple[str, float | None]] = []
    steps: list[int] = []

    def record(job: Job) -> None:
        if job.state is JobState.RUNNING and job.phase:
            if not seen or seen[-1] != (job.phase, job.phase_fraction):
                seen.append((job.phase, job.phase_fraction))
            if job.step and (not steps or steps[-1] != job.step):
                steps.append(job.step)

    runner.queue.job_changed.connect(record)
    try:
        with qtbot.waitSignal(runner.job_finished, timeout=WAIT_MS) as finished:
            job = runner.submit(req)
    finally:
        runner.queue.job_changed.disconnect(record)
    assert finished.args[0] is job
    assert job.state is JobState.DONE, job.error
    return job, seen


def test_the_first_job_loads_then_denoises_and_the_next_one_skips_loading(
        qtbot, runner, sdxl_demo, sketch_image):
    controls = (ControlSpec("sketch", sketch_image),)
    _first, seen = run_job(qtbot, runner, lighthouse(sdxl_demo, controls=controls))
    assert phase_names(seen) == [STARTING_ENGINE, LOADING_MODEL, LOADING_ADAPTERS,
                                 COMPUTING_FEATURES, DENOISING, DECODING, SAVING]
    loading = [fraction for phase, fraction in seen if phase == LOADING_MODEL]
    assert loading[0] is None  # busy until diffusers starts on the components
    shares = [fraction for fraction in loading[1:] if fraction is not None]
    assert shares == sorted(shares)
    assert shares[-1] == 1.0
    assert any(0.0 < share < 1.0 for share in shares)  # one component after another

    _second, seen = run_job(qtbot, runner, lighthouse(sdxl_demo, controls=controls, seed=4))
    # the same model and control image: nothing loads, the adapter features are cached
    assert phase_names(seen) == [DENOISING, DECODING, SAVING]


def test_a_new_model_loads_again_and_a_refiner_loads_once(qtbot, runner, sdxl_demo, sd15_demo):
    run_job(qtbot, runner, lighthouse(sdxl_demo))
    _job, seen = run_job(qtbot, runner, lighthouse(sd15_demo, family="sd15"))
    assert phase_names(seen)[:2] == [LOADING_MODEL, DENOISING]

    refined = lighthouse(sdxl_demo, refiner=DEMO_REFINER, refiner_switch=0.5, steps=4)
    _job, seen = run_job(qtbot, runner, refined)
    assert phase_names(seen) == [LOADING_MODEL, DENOISING, REFINING, LOADING_REFINER,
                                 REFINING, DECODING, SAVING]
    _job, seen = run_job(qtbot, runner, refined.with_changes(seed=9))
    assert phase_names(seen) == [DENOISING, REFINING, DECODING, SAVING]


def test_a_cancel_during_loading_ends_the_job_before_its_first_step(sdxl_demo, tmp_path):
    engine = Engine(demo_root=tmp_path, device="cpu")
    phases: list[str] = []
    steps: list[int] = []
    with pytest.raises(Cancelled):
        engine.generate(
            lighthouse(sdxl_demo),
            on_step=lambda step, total: steps.append(step),
            should_stop=lambda: LOADING_MODEL in phases,  # cancelled while it loads
            on_phase=lambda phase, fraction: phases.append(phase),
        )
    assert engine.store._base is not None  # the load ran to its end, and is kept
    assert steps == []
    assert DENOISING not in phases
