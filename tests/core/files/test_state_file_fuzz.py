"""Property tests: damaged versions of each state file (settings, the queue file, the history
index and the requests inside its pictures, stars, the model list) never make their loader
raise, and one damaged entry of a list costs that entry only. Recent files: in
tests/ui/actions/test_recent_files.py."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import tempfile
from dataclasses import asdict, fields
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from t2ia_desktop.core.errors import BadInput, T2IAError
from t2ia_desktop.core.files.imageio import save_png
from t2ia_desktop.core.generation.checkpoints import KnownModel, ModelList
from t2ia_desktop.core.generation.queue_file import QUEUE_FILE, QueueStore
from t2ia_desktop.core.image_history.store import INDEX, STARS, History
from t2ia_desktop.core.settings import Settings, SettingsStore
from tests.builders import control, request
from tests.state_damage import DAMAGE, any_damage, mutated, mutated_text

LIMITS = "nests deeper|larger than"
"""What sets a whole file aside when one of its values nests deeply."""
SETTINGS = Settings(annotators_folder="/weights", autosave_seconds=12,
                    step_preview_decoder="taesd", live_opacity=0.4, memory_policy="low-vram")
SETTINGS_TREE = {"version": 1, **asdict(SETTINGS)}


def _scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="t2ia-damage-"))


# -- settings ----------------------------------------------------------------------------------

@DAMAGE
@given(st.data())
def test_settings_never_raise_and_keep_every_valid_value(data):
    folder = _scratch()
    try:
        path = folder / "settings.json"
        key = data.draw(st.sampled_from([f.name for f in fields(Settings)]))
        text, deep = data.draw(mutated(SETTINGS_TREE, (key,)))
        path.write_text(text)
        store = SettingsStore(path)
        assert store.settings.checked()[1] == []
        if deep:  # past the file's nesting limit: set aside whole, and told
            assert re.search(LIMITS, store.note)
            assert list(folder.glob("settings.json-unreadable-*"))
        else:
            for name in SETTINGS_TREE:
                if name not in (key, "version"):
                    assert getattr(store.settings, name) == getattr(SETTINGS, name)
        path.write_bytes(data.draw(any_damage(json.dumps(SETTINGS_TREE).encode(),
                                              SETTINGS_TREE)))
        assert SettingsStore(path).settings.checked()[1] == []
    finally:
        shutil.rmtree(folder)


# -- the queue file ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def queue_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("queue") / "queue"
    sketch = control(shade=40)
    QueueStore(folder).write([(request(prompt=f"job {seed}", seed=seed, controls=(sketch,)),
                               "queued") for seed in (1, 2, 3)], paused=True)
    return folder


@DAMAGE
@given(st.data())
def test_the_queue_file_never_raises_and_keeps_every_valid_job(queue_folder, data):
    folder = _scratch() / "queue"
    try:
        shutil.copytree(queue_folder, folder)
        original = (folder / QUEUE_FILE).read_bytes()
        tree = json.loads(original)
        job = data.draw(st.integers(0, 2))
        text, deep = data.draw(mutated(tree, ("jobs", job)))
        (folder / QUEUE_FILE).write_text(text)
        if deep:  # past the file's nesting limit: refused whole (the window sets it aside)
            with pytest.raises(BadInput, match=LIMITS):
                QueueStore(folder).read()
        else:  # one job damaged: never the whole file
            saved = QueueStore(folder).read()
            assert {1, 2, 3} - {job + 1} <= {r.seed for r in saved.requests}
        (folder / QUEUE_FILE).write_bytes(data.draw(any_damage(original, tree)))
        try:
            saved = QueueStore(folder).read()
        except BadInput:
            pass  # told, and the folder is set aside by the window
        else:
            assert saved is None or all(r.validate() is r for r in saved.requests)
    finally:
        shutil.rmtree(folder.parent)


# -- the history index, its pictures and its stars ---------------------------------------------

@pytest.fixture(scope="module")
def history_folder(tmp_path_factory) -> Path:
    history = History(tmp_path_factory.mktemp("history") / "history")
    for seed in (1, 2, 3):
        entry = history.add(Image.new("RGB", (8, 8), (seed, 0, 0)),
                            request(prompt=f"picture {seed}", seed=seed,
                                    controls=(control(shade=seed),)))
        history.set_starred(entry.id, True)
    return history.folder


def _pictures(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.png") if not p.name.endswith(".thumb.png"))


@DAMAGE
@given(st.data())
def test_the_history_index_never_raises_and_keeps_every_valid_line(history_folder, data):
    folder = _scratch() / "history"
    try:
        shutil.copytree(history_folder, folder)
        original = (folder / INDEX).read_bytes()
        lines = [json.loads(line) for line in original.decode().splitlines()]
        damaged = data.draw(st.integers(0, 2))
        text = data.draw(mutated_text(lines[damaged]))
        (folder / INDEX).write_text("\n".join(
            text if number == damaged else json.dumps(line)
            for number, line in enumerate(lines)) + "\n")
        listed = {entry.image.name for entry in History(folder).scan().entries}
        ids = [line["id"] for number, line in enumerate(lines) if number != damaged]
        if _claimed_id(text) not in ids:  # a line that takes another's id hides it
            assert set(_pictures(folder)) <= listed  # each picture, from its line or itself
        (folder / INDEX).write_bytes(data.draw(any_damage(original, lines)))
        listed = {entry.image.name for entry in History(folder).scan().entries}
        assert listed <= set(_pictures(folder))
    finally:
        shutil.rmtree(folder.parent)


def _claimed_id(text: str) -> object:
    try:
        line = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return line.get("id") if isinstance(line, dict) else None


@DAMAGE
@given(st.data())
def test_pictures_with_any_settings_inside_are_indexed_when_the_index_is_rebuilt(
        history_folder, data):
    folder = _scratch() / "history"
    try:
        shutil.copytree(history_folder, folder)
        picture = folder / data.draw(st.sampled_from(_pictures(folder)))
        metadata = request(prompt="damaged", seed=9, controls=(control(),)).to_metadata()
        text = data.draw(mutated_text(metadata))
        damaged = request(prompt="damaged")
        save_png(Image.new("RGB", (8, 8)), picture, damaged)
        _write_metadata(picture, text)
        (folder / INDEX).unlink()
        history = History(folder)
        assert {entry.image.name for entry in history.entries()} == set(_pictures(folder))
        with contextlib.suppress(T2IAError):  # only ever the app's own error, with a message
            history.request_metadata(next(e for e in history.entries() if e.image == picture))
    finally:
        shutil.rmtree(folder.parent)


def _write_metadata(path: Path, text: str) -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("t2ia", text)
    Image.new("RGB", (8, 8)).save(path, pnginfo=info)


@DAMAGE
@given(st.data())
def test_stars_never_raise_and_keep_every_valid_id(history_folder, data):
    folder = _scratch() / "history"
    try:
        shutil.copytree(history_folder, folder)
        original = (folder / STARS).read_bytes()
        tree = json.loads(original)
        starred = set(tree["starred"])
        damaged = data.draw(st.integers(0, 2))
        text, deep = data.draw(mutated(tree, ("starred", damaged)))
        (folder / STARS).write_text(text)
        history = History(folder)
        if deep:  # past the file's nesting limit: set aside whole, and told
            assert history.starred() == set()
            assert re.search(LIMITS, history.scan().notes[0])
        else:
            assert starred - {tree["starred"][damaged]} <= history.starred()
        (folder / STARS).write_bytes(data.draw(any_damage(original, tree)))
        history = History(folder)
        assert all(isinstance(entry_id, str) for entry_id in history.starred())
        assert len(history.scan().entries) == 3
    finally:
        shutil.rmtree(folder.parent)


# -- the model list ----------------------------------------------------------------------------

MODELS = [KnownModel(f"model {n}", f"me/model-{n}", "sdxl", "hub") for n in range(3)]
MODELS_TREE = {"version": 1, "models": [
    {"label": m.label, "reference": m.reference, "family": m.family, "kind": m.kind,
     "config": m.config} for m in MODELS], "hidden": ["stable-diffusion-v1-5/x"]}


@DAMAGE
@given(st.data())
def test_the_model_list_never_raises_and_keeps_every_valid_entry(data):
    folder = _scratch()
    try:
        path = folder / "models.json"
        damaged = data.draw(st.integers(0, 2))
        text, deep = data.draw(mutated(MODELS_TREE, ("models", damaged)))
        path.write_text(text)
        models = ModelList.load(path)
        if deep:  # past the file's nesting limit: set aside whole, and told
            assert re.search(LIMITS, models.note)
            assert models.added == []
        else:
            kept = {m.reference for m in models.added}
            assert {m.reference for m in MODELS} - {MODELS[damaged].reference} <= kept
            assert models.hidden == MODELS_TREE["hidden"]
        original = json.dumps(MODELS_TREE).encode()
        path.write_bytes(data.draw(any_damage(original, MODELS_TREE)))
        models = ModelList.load(path)
        assert all(isinstance(m.reference, str) for m in models.entries(include_cache=False))
    finally:
        shutil.rmtree(folder)
