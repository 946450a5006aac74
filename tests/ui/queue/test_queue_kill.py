"""``kill -9`` during a running job: the real app on the demo model, in a process of its own,
is killed mid-batch. Every picture it finished is in the history (index readable, PNG on
disk), and the queue file holds every job it did not finish — nothing is lost."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from t2ia_desktop.core.generation.queue_file import QueueStore
from t2ia_desktop.core.image_history.store import INDEX, History
from tests.ui.app_process import start_driver, wait_for

DRIVER = Path(__file__).parents[1] / "queue_driver.py"
JOBS = 5
FIRST_SEED = 7
LINE_TIMEOUT_S = 240  # torch import and the demo model on a busy 2-core machine


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs kill -9")
def test_kill_9_mid_batch_loses_no_result_and_no_job(tmp_path):
    home = tmp_path / "home"
    process, lines, reader = start_driver(DRIVER, [str(JOBS)], home)
    seen: list[str] = []
    try:
        wait_for(lines, "ready", seen, LINE_TIMEOUT_S)  # two pictures done, the third running
    finally:
        process.send_signal(signal.SIGKILL)  # no cleanup of any kind runs
        process.wait(30)
        reader.join(30)
    while not lines.empty():  # what it printed before it died
        line = lines.get()
        if line is not None:
            seen.append(line)
    assert process.returncode == -signal.SIGKILL

    told = {}
    for line in seen:
        if line.startswith("finished "):
            _, seed, state, path = line.split(" ", 3)
            assert state == "done", "\n".join(seen)
            told[int(seed)] = Path(path)
    assert len(told) >= 2

    history_folder = home / "history"
    index_lines = (history_folder / INDEX).read_text(encoding="utf-8").splitlines()
    indexed = [json.loads(line) for line in index_lines]  # every line whole: no rebuild needed
    entries = History(history_folder).entries()
    assert [e.id for e in entries] == [line["id"] for line in indexed]
    in_history = {entry.seed for entry in entries}
    for seed, path in told.items():  # every picture the app showed was on disk first
        assert seed in in_history
        assert path.is_file()
        assert path.with_suffix(".thumb.png").is_file()

    saved = QueueStore(home / "queue").read()  # written atomically: never half a file
    waiting = [request.seed for request in saved.requests]
    assert waiting == sorted(waiting)  # in run order
    everything = set(range(FIRST_SEED, FIRST_SEED + JOBS))
    assert set(waiting) | in_history == everything  # nothing lost
    # (a job killed between its history write and the queue file's rewrite is in both: it
    # runs again after a restore — a duplicate, never a loss)
    assert all(r.steps == 4 and r.prompt == "a lighthouse, killed mid-run"
               for r in saved.requests)
