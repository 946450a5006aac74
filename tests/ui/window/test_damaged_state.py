"""The real app starts on a data folder whose state files are damaged: settings, recent files
and stars nested 100 000 deep, ``"models": 5``, history index lines of the wrong types, a
foreign picture, a queue job with a number as prompt. Each file is set aside (or copied aside)
with a note, the window starts with what is readable, and the next launch tells nothing."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image, PngImagePlugin

from t2ia_desktop.core.generation.queue_file import QUEUE_FILE, QueueStore
from t2ia_desktop.core.image_history.store import INDEX, STARS, History
from tests.builders import control, request
from tests.ui.app_process import start_driver, wait_for

DRIVER = Path(__file__).parents[1] / "state_driver.py"
LINE_TIMEOUT_S = 120
DEEP = "[" * 100_000 + "]" * 100_000


def damaged_data_folder(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "settings.json").write_text(DEEP)
    (home / "recent.json").write_text('{"recent": ' + DEEP + "}")
    (home / "models.json").write_text('{"version": 1, "models": 5}')
    history = History(home / "history")
    for seed in (1, 2):
        history.add(Image.new("RGB", (8, 8)), request(prompt=f"kept {seed}", seed=seed))
    lines = [json.loads(line) for line in (history.folder / INDEX).read_text().splitlines()]
    lines[0]["prompt"] = 5  # a number as prompt
    lines[1]["conditions"] = {"sketch": 1}  # a bad conditions list
    (history.folder / INDEX).write_text("".join(json.dumps(line) + "\n" for line in lines))
    (history.folder / STARS).write_text('{"starred": ' + DEEP + "}")
    info = PngImagePlugin.PngInfo()
    info.add_text("t2ia", json.dumps({"prompt": ["foreign"], "seed": "x", "controls": 5}))
    Image.new("RGB", (8, 8)).save(history.folder / "foreign.png", pnginfo=info)
    queue = QueueStore(home / "queue")
    queue.write([(request(prompt=f"job {seed}", seed=seed, controls=(control(),)), "queued")
                 for seed in (1, 2, 3)], paused=True)  # paused: no model is loaded
    manifest = json.loads(queue.path.read_text())
    manifest["jobs"][1]["request"]["prompt"] = 7
    manifest["saved_at"] = "yesterday"
    queue.path.write_text(json.dumps(manifest))


def launch(home: Path) -> tuple[dict, list[str]]:
    """Start the app on ``home`` until it offered what the last session left; its state and
    every line it said."""
    process, lines, reader = start_driver(DRIVER, [], home)
    seen: list[str] = []
    try:
        state = json.loads(wait_for(lines, "state", seen, LINE_TIMEOUT_S))
        assert process.wait(60) == 0, "\n".join(seen)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)
        reader.join(30)
    while not lines.empty():
        line = lines.get()
        if line is not None:
            seen.append(line)
    assert not [line for line in seen if "Traceback" in line], "\n".join(seen)
    return state, seen


def test_the_window_starts_with_damaged_state_files_and_tells_once(tmp_path):
    home = tmp_path / "t2ia"
    damaged_data_folder(home)
    state, seen = launch(home)
    said = "\n".join(line for line in seen if line.startswith(("said ", "asked ")))

    assert state["restored"] == [1, 3]  # the job with a number as prompt is left out
    assert "job 2: " in state["queue_error"]
    assert list(home.glob("queue-unreadable-*/" + QUEUE_FILE))  # kept as it was
    assert "The settings file" in said
    assert "The model list" in said
    assert "The list of recent files" in said
    assert state["recent"] == "No recent files"
    assert "demo" in state["models"]  # the built-in models are offered
    assert sorted(state["history"]) == sorted(
        p.name for p in (home / "history").glob("*.png") if not p.name.endswith(".thumb.png"))
    assert len(state["history"]) == 3  # both damaged lines, from their pictures; the foreign one
    assert "The stars file" in state["history_note"]
    assert "2 line(s) that could not be read" in state["history_note"]
    for aside in ("settings.json", "recent.json", "models.json", "history/stars.json",
                  "history/index.jsonl"):
        assert list(home.glob(f"{aside}-unreadable-*")), aside

    again, seen = launch(home)  # everything was set aside or written again: nothing to tell
    said = "\n".join(line for line in seen if line.startswith("said "))
    assert "unreadable" not in said
    assert "could not be read" not in said
    assert again["history_note"] == ""
    assert again["queue_error"] == ""
    assert again["restored"] == [1, 3]  # the queue file followed the restored queue
    assert len(again["history"]) == 3
