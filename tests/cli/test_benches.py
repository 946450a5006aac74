"""The canvas, selection and project benchmarks run end to end at a small size and print their
figures as JSON (what they measure is never asserted, only that each figure is there)."""

from __future__ import annotations

import json

import pytest

from tests.cli.helpers import run_cli


@pytest.mark.parametrize(("options", "figures"), [
    (["--stroke", "--project-size", "256", "--layers", "4"],
     {"segment_to_composite_ms_median", "undo_history_MiB"}),
    (["--selection", "--project-size", "256", "--repeats", "1"],
     {"noise_outline_build_ms_100"}),
    (["--project", "--project-size", "128", "--layers", "2"],
     {"save_s", "save_after_one_layer_edit_s"}),
])
def test_a_small_benchmark_prints_its_figures(qapp, capsys, options, figures):
    assert run_cli(["bench", *options]) == 0
    printed = json.loads(capsys.readouterr().out)

    def keys(value) -> set[str]:
        if isinstance(value, dict):
            return set(value) | {k for v in value.values() for k in keys(v)}
        return set()

    assert figures <= keys(printed), sorted(keys(printed))
