"""`t2ia-desktop bench --step-preview` prints the step preview conversion figures."""

from __future__ import annotations

import json

from t2ia_desktop.cli.main import main


def test_bench_step_preview_prints_its_figures(capsys):
    assert main(["bench", "--step-preview"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["step_preview_latent"] == "4x128x128"
    for name in ("rgb", "image"):
        assert figures[f"step_preview_{name}_cpu_ms_median"] > 0
        assert figures[f"step_preview_{name}_cpu_ms_p95"] >= figures[
            f"step_preview_{name}_cpu_ms_median"]
