"""The image history records which guide each control ran with, keeps it through a rebuilt
index, reads lines from before guides as adapters, and filters by it."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from t2ia_desktop.core.image_history.index_file import entry_guides
from t2ia_desktop.core.image_history.query import HistoryFilter, guides_in, search
from t2ia_desktop.core.image_history.store import INDEX, History
from tests.builders import control, request


@pytest.fixture
def history(tmp_path) -> History:
    folder = History(tmp_path / "history")
    for seed, controls in (
        (1, (control("canny", guide="controlnet"), control("sketch"))),
        (2, (control("canny"), control("sketch", guide="union"))),
        (3, ()),
    ):
        folder.add(Image.new("RGB", (64, 64)), request(seed=seed, controls=controls))
    return folder


def seeds(entries) -> list[int]:
    return sorted(entry.seed for entry in entries)


def test_each_entry_knows_the_guide_of_each_control(history):
    by_seed = {entry.seed: entry for entry in history.entries()}
    assert entry_guides(by_seed[1]) == ("controlnet", "adapter")
    assert entry_guides(by_seed[2]) == ("adapter", "union")
    assert guides_in(history.entries()) == ["adapter", "controlnet", "union"]


def test_the_guide_filter_alone_and_with_a_condition(history):
    entries = history.entries()
    assert seeds(search(entries, HistoryFilter(guide="controlnet"))) == [1]
    assert seeds(search(entries, HistoryFilter(guide="adapter"))) == [1, 2]
    assert seeds(search(entries, HistoryFilter(condition="canny", guide="adapter"))) == [2]
    assert seeds(search(entries, HistoryFilter(condition="sketch", guide="union"))) == [2]
    assert search(entries, HistoryFilter(condition="sketch", guide="controlnet")) == []


def test_a_rebuilt_index_reads_the_guides_from_the_pictures(history):
    (history.folder / INDEX).unlink()
    again = History(history.folder)
    assert {e.seed: entry_guides(e) for e in again.entries()} == {
        1: ("controlnet", "adapter"), 2: ("adapter", "union"), 3: ()}


def test_lines_from_before_guides_are_adapters_and_a_bad_guide_is_a_bad_line(history):
    index = history.folder / INDEX
    lines = [json.loads(line) for line in index.read_text().splitlines()]
    for line in lines:
        line.pop("guides", None)
    lines[1]["guides"] = ["lora", "adapter"]
    index.write_text("".join(json.dumps(line) + "\n" for line in lines))
    scan = History(history.folder).scan()
    assert {e.seed: entry_guides(e) for e in scan.entries} == {
        1: ("adapter", "adapter"),  # an old line: adapters
        2: ("adapter", "union"),  # the bad line, indexed again from its picture
        3: ()}
    assert any("could not be read" in note for note in scan.notes)
