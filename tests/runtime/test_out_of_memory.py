"""Out of memory in a real demo-model job through the worker: that job fails with advice, the
memory it held is let go, and the queue goes on with the next job."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from diffusers import UNet2DConditionModel
from PIL import Image

from t2ia_desktop.core.generation.jobs import JobQueue, JobState
from t2ia_desktop.core.generation.request import DEMO_MODEL, ControlSpec, GenerationRequest
from t2ia_desktop.runtime.runner import JobRunner
from t2ia_desktop.runtime.worker import EngineWorker

WAIT_MS = 120_000  # an upper bound for a slow machine, never a timing assertion

ERRORS = {
    "cuda": lambda: torch.OutOfMemoryError(
        "CUDA out of memory. Tried to allocate 2.50 GiB. GPU 0 has a total capacity of 8 GiB"),
    "cpu": lambda: RuntimeError("[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: "
                                "can't allocate memory: you tried to allocate 68719476736 bytes"),
    "mps": lambda: RuntimeError("MPS backend out of memory (MPS allocated: 17.00 GB)"),
}


def sketch() -> Image.Image:
    pixels = np.zeros((64, 64), np.uint8)
    pixels[16:48, 30:34] = 255
    return Image.fromarray(pixels, "L")


def job_request(seed: int) -> GenerationRequest:
    return GenerationRequest(model=DEMO_MODEL, prompt="a lighthouse", seed=seed, steps=2,
                             width=64, height=64,
                             controls=(ControlSpec("sketch", sketch()),))


@pytest.mark.parametrize("kind", list(ERRORS))
def test_out_of_memory_ends_that_job_and_the_next_one_paints(qtbot, tmp_path, monkeypatch, kind):
    from t2ia_desktop.engine.generate import Engine

    engine = Engine(demo_root=tmp_path / "demo", device="cpu")
    real_forward = UNet2DConditionModel.forward
    failures = [ERRORS[kind]()]

    def forward(self, *args, **kwargs):
        if failures:  # the first UNet call of the first job runs out of memory
            raise failures.pop()
        return real_forward(self, *args, **kwargs)

    monkeypatch.setattr(UNet2DConditionModel, "forward", forward)
    runner = JobRunner(JobQueue(), EngineWorker(lambda: engine))
    try:
        with qtbot.waitSignal(runner.job_finished, timeout=WAIT_MS,
                              check_params_cb=lambda job: job.request.seed == 2):
            failed = runner.submit(job_request(seed=1))
            after = runner.submit(job_request(seed=2))
        qtbot.waitUntil(lambda: failed.state.finished, timeout=WAIT_MS)
    finally:
        runner.shutdown()

    assert failed.state is JobState.FAILED
    assert failed.error.startswith("Out of RAM at 64×64 (this job needs ≈ ")
    for tip in ("smaller size", "fewer control layers", "closing other apps",
                "The memory was freed and the queue goes on"):
        assert tip in failed.error
    assert "Low VRAM" not in failed.error  # a setting that changes nothing on the CPU
    assert after.state is JobState.DONE
    assert after.result.size == (64, 64)
    # The failed job's adapter features were dropped: the next job computed them again.
    assert engine.features.misses == 2
    assert engine.features.hits == 0


def test_other_errors_are_not_taken_for_out_of_memory(tmp_path, monkeypatch):
    from t2ia_desktop.engine.generate import Engine
    from t2ia_desktop.engine.oom import OutOfMemory, is_out_of_memory

    assert not is_out_of_memory(RuntimeError("mat1 and mat2 shapes cannot be multiplied"))
    assert is_out_of_memory(MemoryError())
    assert is_out_of_memory(ERRORS["mps"]())
    engine = Engine(demo_root=tmp_path / "demo", device="cpu")

    def forward(self, *args, **kwargs):
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")

    monkeypatch.setattr(UNet2DConditionModel, "forward", forward)
    with pytest.raises(RuntimeError, match="shapes") as raised:
        engine.generate(job_request(seed=1))
    assert not isinstance(raised.value, OutOfMemory)


def test_out_of_memory_on_a_gpu_suggests_the_low_vram_setting_and_drops_the_refiner(tmp_path):
    from t2ia_desktop.core.generation.memory_policy import GB, DeviceFacts, choose_memory_plan
    from t2ia_desktop.engine.generate import Engine
    from t2ia_desktop.engine.oom import advice, free_memory

    engine = Engine(demo_root=tmp_path / "demo", device="cpu")
    refiners = engine.refiners
    free_memory(engine)
    assert engine.refiners is not refiners
    assert engine.refiners.demo_root == refiners.demo_root
    engine.device = torch.device("cuda")  # advice only reads the device kind and the plan
    engine.store.memory_plan = choose_memory_plan(DeviceFacts("cuda", 8 * GB, 8 * GB), "sdxl")
    request = GenerationRequest(model=DEMO_MODEL, prompt="x", width=1024, height=1024,
                                refiner="demo-refiner")
    text = advice(engine, request)
    assert text.startswith("Out of GPU memory at 1024×1024 (this job needs ≈ ")
    assert "GB VRAM" in text
    assert "Low VRAM memory setting (Models → Memory)" in text
    assert "no refiner" in text
    assert "fewer control layers" not in text
