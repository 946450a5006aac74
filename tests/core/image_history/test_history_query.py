"""The image history's search, filters, stars and deletes on a real history folder."""

from __future__ import annotations

import dataclasses
import os
import time

import pytest
from PIL import Image

from t2ia_desktop.core.errors import T2IAError
from t2ia_desktop.core.image_history.query import (
    NO_CONTROLS,
    HistoryFilter,
    conditions_in,
    date_range,
    models_in,
    panel_settings,
    request_from_metadata,
    search,
)
from t2ia_desktop.core.image_history.store import INDEX, TRASH, History
from tests.builders import control, request


@pytest.fixture
def history(tmp_path) -> History:
    folder = History(tmp_path / "history")
    for prompt, seed, model, conditions in (
        ("a red kite over the sea", 1, "demo", ("sketch",)),
        ("a red barn in snow", 2, "sdxl-base", ("canny", "sketch")),
        ("Blue kite, evening", 3, "demo", ()),
    ):
        controls = tuple(control(c, shade=0, conditioning_scale=0.8) for c in conditions)
        folder.add(Image.new("RGB", (64, 64), (seed * 40, 0, 0)),
                   request(model, prompt=prompt, seed=seed, steps=12, guidance_scale=5.5,
                           negative_prompt="blurry", controls=controls))
    return folder


def seeds(entries) -> list[int]:
    return [entry.seed for entry in entries]


def test_search_matches_every_word_of_the_prompt_in_any_case(history):
    entries = history.entries()
    assert seeds(search(entries, HistoryFilter())) == [3, 2, 1]  # newest first
    assert seeds(search(entries, HistoryFilter(text="KITE"))) == [3, 1]
    assert seeds(search(entries, HistoryFilter(text="red kite"))) == [1]
    assert search(entries, HistoryFilter(text="lighthouse")) == []


def test_filters_by_condition_model_and_date(history):
    entries = history.entries()
    assert seeds(search(entries, HistoryFilter(condition="sketch"))) == [2, 1]
    assert seeds(search(entries, HistoryFilter(condition="canny"))) == [2]
    assert seeds(search(entries, HistoryFilter(condition=NO_CONTROLS))) == [3]
    assert seeds(search(entries, HistoryFilter(model="demo"))) == [3, 1]
    assert models_in(entries) == ["demo", "sdxl-base"]
    assert conditions_in(entries) == [NO_CONTROLS, "canny", "sketch"]
    since, until = date_range(0)  # today
    assert len(search(entries, HistoryFilter(since=since, until=until))) == 3
    tomorrow = time.time() + 86400
    assert search(entries, HistoryFilter(since=tomorrow)) == []
    assert date_range(None) == (None, None)
    old = dataclasses.replace(entries[0], created=time.time() - 40 * 86400)
    assert search([old], HistoryFilter(since=date_range(29)[0])) == []
    assert search([old], HistoryFilter(since=date_range(364)[0])) == [old]


def test_stars_persist_beside_the_index(history):
    first, second, _third = history.entries()
    assert history.starred() == set()
    history.set_starred(first.id, True)
    history.set_starred(second.id, True)
    history.set_starred(second.id, False)
    index_before = (history.folder / INDEX).read_text()
    reopened = History(history.folder)
    assert reopened.starred() == {first.id}
    assert (history.folder / INDEX).read_text() == index_before  # the index is untouched
    found = search(reopened.entries(), HistoryFilter(starred_only=True), reopened.starred())
    assert seeds(found) == [first.seed]


def test_a_damaged_stars_file_counts_as_none_starred(history):
    (history.folder / "stars.json").write_text("{broken")
    assert history.starred() == set()
    entry = history.entries()[0]
    assert history.set_starred(entry.id, True) == {entry.id}  # and it can be written again


def test_delete_moves_to_the_trash_and_restore_brings_it_back(history):
    entry = history.entries()[1]
    trashed = history.delete(entry)
    assert trashed == history.folder / TRASH / entry.image.name
    assert trashed.is_file()
    assert not entry.image.exists()
    assert (history.folder / TRASH / entry.thumbnail.name).is_file()
    scan = history.scan()
    assert entry.id not in {e.id for e in scan.entries}
    assert scan.notes == []
    history.restore(entry)
    assert entry.id in {e.id for e in history.entries()}
    # a rebuilt index does not bring the trash back either
    history.delete(entry)
    assert entry.id not in {e.id for e in history.rebuild_index()}


def test_a_missing_picture_is_skipped_with_a_note(history):
    gone = history.entries()[0]
    gone.image.unlink()
    scan = history.scan()
    assert gone.id not in {e.id for e in scan.entries}
    assert len(scan.entries) == 2
    assert len(scan.notes) == 1
    assert gone.image.name in scan.notes[0]
    assert "skipped" in scan.notes[0]


def test_a_corrupt_index_keeps_working(history):
    (history.folder / INDEX).write_text("not json at all\n")
    scan = history.scan()
    assert sorted(seeds(scan.entries)) == [1, 2, 3]
    assert "rebuilt" in scan.notes[0]
    assert seeds(search(scan.entries, HistoryFilter(text="barn"))) == [2]


def test_the_request_comes_back_from_the_picture(history):
    entry = next(e for e in history.entries() if e.seed == 2)
    metadata = history.request_metadata(entry)
    settings = panel_settings(metadata)
    assert settings["prompt"] == "a red barn in snow"
    assert settings["steps"] == 12
    assert settings["negative_prompt"] == "blurry"
    assert settings["guidance_scale"] == 5.5
    assert settings["model"] == "sdxl-base"
    assert settings["seed"] == 2
    rebuilt = request_from_metadata(metadata)
    assert rebuilt is not None
    assert rebuilt.prompt == "a red barn in snow"
    assert rebuilt.steps == 12
    assert rebuilt.controls == ()
    assert request_from_metadata({"prompt": "no model"}) is None


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_still_lists_and_says_why_it_cannot_change(history):
    entry = history.entries()[0]
    (history.folder / INDEX).write_text("garbage\n")
    history.folder.chmod(0o500)
    try:
        assert len(history.entries()) == 3  # rebuilt in memory, not written
        with pytest.raises(T2IAError, match="writable"):
            history.set_starred(entry.id, True)
        with pytest.raises(T2IAError, match="trash"):
            history.delete(entry)
        assert entry.image.is_file()
    finally:
        history.folder.chmod(0o700)
