"""``t2ia-desktop bench --gpu``: the same code path end to end on the CPU with the tiny-width
model (figures present and consistent; no wall-clock assertions), and its refusals."""

from __future__ import annotations

import json
import time

import pytest
import torch

from t2ia_desktop.bench.gpu import PATHS, PhaseTimeout, image_tflop, peak_tflops_for, time_limit
from t2ia_desktop.cli.bench_gpu import table
from t2ia_desktop.cli.main import main


@pytest.fixture(scope="module")
def cpu_run(tmp_path_factory) -> tuple[dict, dict, str]:
    """One run of every path, eager then compiled (the eager backend: no compiler needed)."""
    import contextlib
    import io

    folder = tmp_path_factory.mktemp("gpu-bench")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["bench", "--gpu", "--device", "cpu", "--tiny", "--size", "128",
                       "--steps", "2", "--repeats", "1", "--compile", "--compile-backend",
                       "eager", "--model-dir", str(folder / "model"),
                       "--json-out", str(folder / "figures.json")])
    assert status == 0
    printed = out.getvalue().strip().splitlines()
    written = json.loads((folder / "figures.json").read_text())
    return json.loads(printed[-1]), written, "\n".join(printed[:-1])


def test_every_path_is_measured_eager_and_compiled(cpu_run):
    figures, _, _ = cpu_run
    assert figures["skipped"] == {}
    for prefix in ("", "compiled_"):
        seconds = figures[f"{prefix}seconds"]
        assert set(seconds) == set(PATHS)
        assert all(value > 0 for value in seconds.values())
        assert figures[f"{prefix}seconds_per_image"] == pytest.approx(seconds["engine"], abs=1e-3)
    assert set(figures["compile_seconds"]) == set(PATHS)
    assert figures["compile_seconds_total"] >= 0
    assert figures["compiled_graphs"] >= 1  # the UNet did run compiled
    assert figures["compiled_graphs_after_runs"] == figures["compiled_graphs"]


def test_ratios_follow_from_the_medians(cpu_run):
    figures, _, _ = cpu_run
    for prefix in ("", "compiled_"):
        seconds = figures[f"{prefix}seconds"]
        ratio = seconds["engine"] / seconds["raw_adapter"]
        assert figures[f"{prefix}engine_overhead_ratio"] == pytest.approx(ratio, rel=0.01)
        # costs are ratios − 1 (compared as ratios: the seconds shown are rounded)
        ratio = seconds["raw_adapter"] / seconds["raw_plain"]
        assert figures[f"{prefix}adapter_cost_raw"] + 1 == pytest.approx(ratio, rel=0.01)
        ratio = seconds["engine"] / seconds["engine_no_adapter"]
        assert figures[f"{prefix}adapter_cost_engine"] + 1 == pytest.approx(ratio, rel=0.01)


def test_the_run_describes_itself_and_writes_what_it_prints(cpu_run):
    figures, written, text = cpu_run
    assert written == figures
    assert figures["device"] == "CPU"
    assert figures["dtype"] == "float32"
    assert figures["options"]["tiny"]
    assert figures["options"]["size"] == 128
    assert figures["model_write_seconds"] >= 0
    assert figures["model_load_seconds"] >= 0
    # tiny widths are not SDXL's FLOPs: no share of peak rather than a wrong one
    assert figures["image_tflop"] is None
    assert figures["share_of_peak"] is None
    assert "peak_vram_gib" not in figures  # the CPU has no peak-memory counter
    assert "engine_previews" in text
    assert "compiled" in text
    assert "overhead" in text


def test_without_a_gpu_it_says_what_it_needs(capsys):
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    assert main(["bench", "--gpu"]) == 2
    error = capsys.readouterr().err
    assert "needs a CUDA GPU" in error
    assert "--device cpu --tiny" in error


def test_full_size_on_the_cpu_is_refused(capsys):
    assert main(["bench", "--gpu", "--device", "cpu"]) == 2
    assert "--tiny" in capsys.readouterr().err


def test_the_flop_and_peak_figures():
    assert image_tflop(1024, 30) == pytest.approx(416, abs=1)
    assert image_tflop(512, 30) == pytest.approx(416 / 4, rel=0.02)
    assert peak_tflops_for("NVIDIA H200") == 989.4
    assert peak_tflops_for("NVIDIA H100 PCIe") == 756.0
    assert peak_tflops_for("NVIDIA H100 80GB HBM3") == 989.4
    assert peak_tflops_for("NVIDIA A100-SXM4-80GB") == 312.0
    assert peak_tflops_for("NVIDIA GeForce RTX 4090") == 165.2
    assert peak_tflops_for("Some Future Card") is None


def test_a_phase_past_its_time_limit_stops():
    started = time.monotonic()
    with pytest.raises(PhaseTimeout, match="waiting"), time_limit(0.05, "waiting"):
        time.sleep(5)
    assert time.monotonic() - started < 4


def test_the_table_shows_share_of_peak_when_known():
    figures = {
        "device": "NVIDIA H200", "dtype": "float16", "peak_tflops": 989.4,
        "options": {"size": 1024, "steps": 30}, "skipped": {"compile": "no compiler"},
        "seconds": {"engine": 2.0}, "tflops_achieved": {"engine": 208.0},
        "peak_vram_gib": {"engine": 9.1}, "engine_overhead_ratio": 1.01,
        "adapter_cost_raw": 0.005, "adapter_cost_engine": 0.004, "preview_cost": 0.02,
    }
    text = table(figures)
    assert "21.0" in text  # 208 / 989.4
    assert "9.1" in text
    assert "skipped compile: no compiler" in text
