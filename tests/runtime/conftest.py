"""Fixtures: the real worker, runner and queue around a recording fake engine."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from tests.runtime.rig import RecordingEngine, Rig


@pytest.fixture
def make_rig(qapp) -> Iterator[Callable[..., Rig]]:
    rigs: list[Rig] = []

    def make(step_seconds: float = 0.001, gated: bool = False) -> Rig:
        gate = threading.Event() if gated else None
        rig = Rig(RecordingEngine(step_seconds=step_seconds, gate=gate))
        rigs.append(rig)
        return rig

    yield make
    for rig in rigs:
        if rig.engine.gate is not None:
            rig.engine.gate.set()
        rig.runner.shutdown()
        assert not rig.worker._thread.isRunning()  # no test leaks the worker thread


@pytest.fixture
def rig(make_rig) -> Rig:
    return make_rig()


@pytest.fixture
def gated_rig(make_rig) -> Rig:
    return make_rig(gated=True)


