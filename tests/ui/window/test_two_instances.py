"""Two instances of the real app on one data folder (real processes): the second is never
offered the first one's live queue or unsaved work, and Discard there deletes neither; its own
queued job is kept apart. Once the first is killed with SIGKILL, the next launch gets all of it
back."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

from t2ia_desktop.core.generation.queue_file import QueueStore
from t2ia_desktop.core.instance_lock import InstanceLock
from tests.ui.app_process import start_driver, wait_for

DRIVER = Path(__file__).parents[1] / "instance_driver.py"
LINE_TIMEOUT_S = 180
FAST_AUTOSAVE = {"T2IA_AUTOSAVE_SECONDS": "0.2"}


def run_to_the_end(home: Path, mode: str) -> tuple[dict, list[str]]:
    """Launch the app on ``home`` answering every question as ``mode`` says; its state once
    the launch offered what it found, and every line it printed (it exits cleanly)."""
    process, lines, reader = start_driver(DRIVER, [mode], home, FAST_AUTOSAVE)
    seen: list[str] = []
    try:
        state = json.loads(wait_for(lines, "state", seen, LINE_TIMEOUT_S))
        assert process.wait(60) == 0, "\n".join(seen)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)
        reader.join(30)
    return state, seen


def test_a_second_instance_leaves_the_first_ones_queue_and_work_alone(tmp_path):
    home = tmp_path / "home"
    first, lines, reader = start_driver(DRIVER, ["hold"], home, FAST_AUTOSAVE)
    seen: list[str] = []
    try:
        wait_for(lines, "ready", seen, LINE_TIMEOUT_S)
        assert not InstanceLock(home / "instance.lock").acquire()  # the first one holds it
        saved = QueueStore(home / "queue").path.read_bytes()
        (session,) = (home / "recovery").iterdir()

        state, said = run_to_the_end(home, "discard")  # Discard to anything it is asked
        assert state["asked"] == {"recovery": [], "queue": []}  # the first one's: not offered
        assert state["restored"] == []
        notes = [line for line in said if line.startswith("said Another t2ia desktop")]
        assert len(notes) == 1
        assert f"(process {first.pid}, started " in notes[0]
        assert "kept apart" in notes[0]
        assert QueueStore(home / "queue").path.read_bytes() == saved  # untouched
        assert (session / "document.t2ia").is_file()
        assert first.poll() is None  # the first one runs on

        os.kill(first.pid, signal.SIGKILL)
        first.wait(30)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(30)
        reader.join(30)

    state, said = run_to_the_end(home, "restore")  # the lock is free again: both come back
    assert len(state["asked"]["recovery"]) == 1
    assert len(state["asked"]["queue"]) == 1
    assert "6 jobs waiting" in state["asked"]["queue"][0]
    assert state["restored"] == ["kept by the first window"] * 5 + ["kept by the second window"]
    assert state["paused"]
    assert state["ink"] > 0  # the stroke painted in the first window
    assert not any(line.startswith("said Another t2ia desktop") for line in said)
    assert not [*(home / "queues").iterdir()]  # the second one's folder went with the offer
