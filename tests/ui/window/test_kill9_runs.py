"""The kill -9 script behind README's reliability figures, run small: real processes (a project
writer, the ``export`` command, the real app autosaving) killed with SIGKILL at random
instants leave nothing lost or damaged, and the temporary files the kills leave are known as
the app's own."""

from __future__ import annotations

import sys

import pytest

from t2ia_desktop.bench.kill9 import kill9_figures


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_kills_at_random_instants_lose_nothing(qapp):
    figures = kill9_figures(runs=2, autosave_runs=1, seed=3)
    save, export, autosave = figures["save"], figures["export"], figures["autosave"]
    assert (save["intact"], save["lost_or_damaged"]) == (2, 0)
    assert save["temporary_files_swept"] == save["temporary_files_left"]
    assert (export["intact"], export["lost_or_damaged"]) == (2, 0)
    assert export["earlier_export_kept"] + export["new_export_whole"] == 2
    assert export["temporary_files_swept"] == export["temporary_files_left"]
    assert (autosave["offered"], autosave["restorable"], autosave["lost_or_damaged"]) == (1, 1, 0)
