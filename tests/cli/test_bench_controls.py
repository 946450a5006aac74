"""``bench --controls`` runs every guide on the demo model and prints a table, then its figures
as JSON (the figures are never asserted, only that each is there and plausible)."""

from __future__ import annotations

import json

from tests.cli.helpers import run_cli


def test_the_controls_benchmark_compares_every_guide(capsys):
    assert run_cli(["bench", "--controls", "--steps", "2", "--size", "64", "--repeats", "1"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[2].startswith("| guide | s / image | extra over none")
    figures = json.loads(out[-1])
    rows = figures["configs"]
    assert list(rows) == ["none", "adapter", "controlnet", "union", "adapter+controlnet"]
    assert rows["none"]["guide_parameters"] == 0
    assert rows["adapter+controlnet"]["guide_parameters"] == (
        rows["adapter"]["guide_parameters"] + rows["controlnet"]["guide_parameters"])
    assert rows["union"]["guide_parameters"] > rows["controlnet"]["guide_parameters"] > 0
    assert all(row["seconds_per_image"] > 0 for row in rows.values())
