"""The history reads damaged and hostile state without failing: each index line is checked on
its own, entries only name files inside the history folder, foreign pictures are indexed with
what they tell, a picture without its line is indexed at the next launch, damaged stars are set
aside; ids are claimed with exclusive creation, so two instances never overwrite a result."""

from __future__ import annotations

import json
import os
import threading
import time
from functools import partial
from types import SimpleNamespace

import pytest
from PIL import Image, PngImagePlugin

from t2ia_desktop.core.errors import T2IAError
from t2ia_desktop.core.files.imageio import save_png
from t2ia_desktop.core.image_history import store
from t2ia_desktop.core.image_history.index_file import HistoryEntry
from t2ia_desktop.core.image_history.store import INDEX, STARS, History
from tests.builders import control, request

red_kite = partial(request, prompt="a red kite", seed=7, steps=30,
                   controls=(control(shade=0, conditioning_scale=0.8),))


@pytest.fixture
def history(tmp_path) -> History:
    history = History(tmp_path / "history")
    for seed in (1, 2, 3):
        history.add(Image.new("RGB", (8, 8)), red_kite(seed=seed))
    return history


def index_lines(history: History) -> list[dict]:
    return [json.loads(line) for line in (history.folder / INDEX).read_text().splitlines()]


def write_lines(history: History, lines: list) -> None:
    (history.folder / INDEX).write_text(
        "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))


@pytest.mark.parametrize("damage", [
    {"prompt": 5}, {"model": ["sdxl"]}, {"conditions": "sketch"}, {"conditions": [1, 2]},
    {"conditions": [["sketch"]]}, {"seed": "seven"}, {"seed": -1}, {"seed": 10**30},
    {"seed": 7.5}, {"created": float("nan")}, {"created": "today"}, {"created": 1e300},
    {"id": 5}, {"id": "../x"}, {"id": ""}, {"image": 3}, {"image": "../../outside.png"},
    {"image": "/etc/hostname"}, {"image": "sub/x.png"}, {"image": "notes.txt"},
    {"thumbnail": ".."}, {"thumbnail": None},
])
def test_one_bad_line_costs_only_its_own_entry(history, damage):
    lines = index_lines(history)
    bad = dict(lines[1], **damage)
    gone = history.folder / lines[1]["image"]
    gone.rename(history.folder.parent / "elsewhere.png")  # its picture is not re-indexed
    write_lines(history, [lines[0], bad, lines[2]])
    scan = History(history.folder).scan()
    assert sorted(e.seed for e in scan.entries) == [1, 3]
    (note,) = scan.notes
    assert "1 line(s) that could not be read" in note
    (kept,) = history.folder.glob("index.jsonl-unreadable-*")
    assert json.loads(kept.read_text().splitlines()[1]) == json.loads(json.dumps(bad))
    again = History(history.folder).scan()  # the index was written again: told once
    assert again.notes == []
    assert sorted(e.seed for e in again.entries) == [1, 3]


@pytest.mark.parametrize("line", [
    "not json", "[1, 2]", "5", "null", '"a string"', "[" * 50_000 + "]" * 50_000,
    '{"id": ' * 30 + "1" + "}" * 30, "\udcff", '{"seed": 1e999999}', "1" * 5000,
])
def test_a_line_that_is_not_an_entry_is_skipped_and_its_picture_listed(history, line):
    lines = index_lines(history)
    with open(history.folder / INDEX, "w", encoding="utf-8", errors="surrogateescape") as stream:
        stream.write("\n".join([json.dumps(lines[0]), line, json.dumps(lines[2])]) + "\n")
    scan = History(history.folder).scan()
    # the picture of the lost line is listed from the request it carries
    assert sorted(e.seed for e in scan.entries) == [1, 2, 3]
    assert "could not be read" in scan.notes[0]


def test_entries_only_name_files_inside_the_history_folder(history, tmp_path):
    outside = tmp_path / "artist-photo.png"
    Image.new("RGB", (4, 4), "red").save(outside)
    lines = index_lines(history)
    link = history.folder / "20240101-000000-9.png"
    link.symlink_to(outside)  # a link that leads out of the folder
    write_lines(history, [*lines, dict(lines[0], id="linked", image=link.name,
                                       thumbnail="linked.thumb.png", seed=9)])
    scan = History(history.folder).scan()
    assert sorted(e.seed for e in scan.entries) == [1, 2, 3]
    assert any("not a picture inside" in note and link.name in note for note in scan.notes)

    hostile = HistoryEntry("x", outside, outside, 0.0, "", "", 0, ())
    with pytest.raises(T2IAError, match="not a picture of the history folder"):
        history.delete(hostile)  # never moved into history/trash
    assert outside.is_file()
    with pytest.raises(T2IAError, match="not a picture of the history folder"):
        history.restore(HistoryEntry("x", history.folder / "sub" / "x.png",
                                     history.folder / "x.thumb.png", 0.0, "", "", 0, ()))


def test_a_link_to_a_picture_inside_the_folder_is_kept(history):
    first = history.entries()[0]
    link = history.folder / "linked.png"
    link.symlink_to(first.image)
    lines = index_lines(history)
    write_lines(history, [*lines, dict(lines[0], id="linked", image="linked.png", seed=4)])
    assert sorted(e.seed for e in History(history.folder).entries()) == [1, 2, 3, 4]


def _foreign_png(path, text: dict[str, str] | None = None) -> None:
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    Image.new("RGB", (6, 6), "blue").save(path, pnginfo=info)


def test_foreign_pictures_are_indexed_with_what_they_tell(history):
    folder = history.folder
    _foreign_png(folder / "camera.png")
    _foreign_png(folder / "a1111.png", {"parameters": "a cat\nSteps: 20"})
    _foreign_png(folder / "odd.png", {"t2ia": json.dumps(
        {"prompt": 5, "model": ["x"], "seed": "7", "controls": {"condition": "sketch"}})})
    _foreign_png(folder / "odd-controls.png", {"t2ia": json.dumps(
        {"prompt": "kept", "seed": 10**30, "controls": [5, {"condition": 3},
                                                         {"condition": "canny"}]})})
    _foreign_png(folder / "deep.png", {"t2ia": "[" * 100_000 + "]" * 100_000})
    _foreign_png(folder / "nan.png", {"t2ia": '{"seed": NaN, "prompt": "nan"}'})
    (folder / "not-a-picture.png").write_bytes(b"hello")
    (folder / "empty.png").write_bytes(b"")
    (folder / "a folder.png").mkdir()
    (folder / INDEX).unlink()
    entries = {e.id: e for e in History(folder).entries()}  # rebuilt: nothing fails
    assert {"camera", "a1111", "odd", "odd-controls", "deep", "nan"} <= set(entries)
    assert not {"not-a-picture", "empty", "a folder"} & set(entries)
    assert (entries["odd"].prompt, entries["odd"].model, entries["odd"].seed) == ("", "", 0)
    assert entries["odd"].conditions == ()
    assert entries["odd-controls"].prompt == "kept"
    assert entries["odd-controls"].conditions == ("canny",)
    assert entries["nan"].seed == 0
    assert sorted(e.seed for e in entries.values() if e.prompt == "a red kite") == [1, 2, 3]
    assert History(folder).scan().notes == []  # the rebuilt index reads back whole
    with pytest.raises(T2IAError, match="carries no generation settings"):
        history.request_metadata(entries["deep"])
    with pytest.raises(T2IAError, match="carries no generation settings"):
        history.request_metadata(entries["camera"])


def test_a_picture_without_its_index_line_is_indexed_at_the_next_launch(history):
    assert len(history.entries()) == 3  # this session's launch
    image = Image.new("RGB", (8, 8), "green")
    save_png(image, history.folder / "20250101-120000-42.png", red_kite(seed=42))
    assert 42 not in [e.seed for e in history.entries()]  # looked for at launch only
    entries = History(history.folder).entries()  # the next launch
    assert sorted(e.seed for e in entries) == [1, 2, 3, 42]
    assert [line["seed"] for line in index_lines(history)].count(42) == 1
    assert sorted(e.seed for e in History(history.folder).entries()) == [1, 2, 3, 42]
    assert [line["seed"] for line in index_lines(history)].count(42) == 1  # indexed once


@pytest.mark.parametrize("content", [
    "{oops", "[1]", '{"starred": 5}', '{"version": 99, "starred": []}',
    '{"starred": ' + "[" * 100_000 + "]" * 100_000 + "}",
])
def test_a_damaged_stars_file_is_set_aside_and_told_once(history, content):
    (history.folder / STARS).write_text(content)
    fresh = History(history.folder)
    scan = fresh.scan()
    assert len(scan.entries) == 3
    (note,) = scan.notes
    assert "The stars file" in note
    assert "set aside as stars.json-unreadable-" in note
    assert fresh.starred() == set()
    (aside,) = history.folder.glob("stars.json-unreadable-*")
    assert aside.read_text() == content
    assert fresh.scan().notes == []
    first = scan.entries[0].id
    assert fresh.set_starred(first, True) == {first}
    assert History(history.folder).starred() == {first}


def test_stars_of_the_wrong_kind_are_left_out_one_by_one(history):
    (history.folder / STARS).write_text(json.dumps(
        {"version": 1, "starred": ["a", 5, None, ["b"], "../c", "d"]}))
    assert history.starred() == {"a", "d"}
    assert history.scan().notes == []


def test_an_index_that_cannot_be_read_at_all_is_set_aside_and_rebuilt(history, monkeypatch):
    monkeypatch.setattr(store, "MAX_INDEX_BYTES", 100)
    scan = History(history.folder).scan()
    assert sorted(e.seed for e in scan.entries) == [1, 2, 3]
    assert "is larger than" in scan.notes[0]
    assert "rebuilt from the pictures" in scan.notes[0]
    assert list(history.folder.glob("index.jsonl-unreadable-*"))
    monkeypatch.undo()
    (history.folder / INDEX).unlink()
    (history.folder / INDEX).mkdir()
    scan = History(history.folder).scan()
    assert sorted(e.seed for e in scan.entries) == [1, 2, 3]
    assert "is a folder" in scan.notes[0]


def test_two_instances_writing_at_once_never_overwrite_a_result(tmp_path, monkeypatch):
    """The same seed in the same second from two History objects on one folder (two
    instances of the app): every result keeps its own file and its own index line."""
    now = time.time()
    monkeypatch.setattr(store, "time", SimpleNamespace(
        time=lambda: now, strftime=time.strftime, localtime=time.localtime))
    original_save = store.save_png

    def slow_save(image, path, request=None):
        time.sleep(0.002)  # widens the moment between choosing an id and writing it
        original_save(image, path, request)

    monkeypatch.setattr(store, "save_png", slow_save)
    folder = tmp_path / "history"
    per_instance = 12
    made: list[HistoryEntry] = []
    lock = threading.Lock()

    def instance(number: int) -> None:
        history = History(folder)
        for index in range(per_instance):
            shade = number * 100 + index
            entry = history.add(Image.new("L", (8, 8), shade),
                                red_kite(seed=5, prompt=f"shade {shade}"))
            with lock:
                made.append(entry)

    threads = [threading.Thread(target=instance, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({entry.id for entry in made}) == 2 * per_instance
    entries = History(folder).entries()
    assert len(entries) == 2 * per_instance
    for entry in entries:  # each file holds the picture of its own request
        with Image.open(entry.image) as picture:
            assert f"shade {picture.getpixel((0, 0))}" == entry.prompt
    assert not [p for p in folder.iterdir() if p.suffix == ".png" and p.stat().st_size == 0]


def test_a_picture_that_cannot_be_written_gives_back_its_id(tmp_path, monkeypatch):
    history = History(tmp_path / "history")

    def full_disk(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "save_png", full_disk)
    with pytest.raises(T2IAError, match="No space left"):
        history.add(Image.new("RGB", (8, 8)), red_kite())
    assert not list(history.folder.glob("*.png"))  # the empty claim is gone
    monkeypatch.undo()
    entry = history.add(Image.new("RGB", (8, 8)), red_kite())
    assert entry.image.is_file()


def test_ids_of_pictures_in_the_trash_are_not_taken_again(tmp_path, monkeypatch):
    now = time.time()
    monkeypatch.setattr(store, "time", SimpleNamespace(
        time=lambda: now, strftime=time.strftime, localtime=time.localtime))
    history = History(tmp_path / "history")
    first = history.add(Image.new("RGB", (8, 8), "red"), red_kite())
    history.delete(first)
    second = history.add(Image.new("RGB", (8, 8), "blue"), red_kite())
    assert second.id != first.id
    history.restore(first)
    assert {e.id for e in history.entries()} == {first.id, second.id}
    assert os.path.getsize(first.image) > 0
