"""The shared reader of state files: size, UTF-8, JSON and nesting limits (never a
RecursionError), and setting a damaged file aside as NAME-unreadable-DATE with a note."""

from __future__ import annotations

import re

import pytest

from t2ia_desktop.core.files.state_file import (
    Unreadable,
    check_version,
    finite_number,
    keep_copy,
    parse_json,
    read_json,
    set_aside,
    unreadable_note,
    whole_number,
)

ASIDE = re.compile(r"stars\.json-unreadable-\d{8}-\d{6}(-\d+)?")


def test_a_missing_file_is_none_and_a_sound_one_is_its_json(tmp_path):
    assert read_json(tmp_path / "none.json") is None
    (tmp_path / "a.json").write_text('{"starred": ["x"], "n": [1, [2, [3]]]}')
    assert read_json(tmp_path / "a.json") == {"starred": ["x"], "n": [1, [2, [3]]]}


@pytest.mark.parametrize(("content", "why"), [
    (b"{not json", "not valid JSON"),
    (b"", "not valid JSON"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b"[" * 100_000 + b"]" * 100_000, "nests deeper than 16"),
    (b'{"a": ' * 5000 + b"1" + b"}" * 5000, "nests deeper than 16"),
    (b"[" * 17 + b"]" * 17, "nests deeper than 16"),
    (b"1" * 5000, "not valid JSON"),  # more digits than Python turns into an int
    (b" " * 70, "larger than"),
    (b"null", "holds only null"),
])
def test_a_damaged_file_is_unreadable_with_a_reason(tmp_path, content, why):
    path = tmp_path / "state.json"
    path.write_bytes(content)
    with pytest.raises(Unreadable, match=why):
        read_json(path, max_bytes=64 if why == "larger than" else 1 << 20)


def test_nesting_up_to_the_limit_is_read(tmp_path):
    assert parse_json("[" * 16 + "]" * 16) is not None
    assert parse_json('{"a": {"b": [1, 2]}}', max_depth=3) == {"a": {"b": [1, 2]}}
    with pytest.raises(Unreadable):
        parse_json('{"a": {"b": [1, 2]}}', max_depth=2)


def test_a_folder_or_an_unreadable_file_is_unreadable(tmp_path):
    (tmp_path / "folder.json").mkdir()
    with pytest.raises(Unreadable, match="is a folder"):
        read_json(tmp_path / "folder.json")


def test_numbers_and_versions_are_checked():
    assert whole_number(3, 1, 5)
    assert not whole_number(True, 0, 5)
    assert not whole_number(3.0, 1, 5)
    assert not whole_number(10**400, 0, 2**64)
    assert finite_number(0.5, 0, 1)
    assert finite_number(1, 0, 1)
    assert not finite_number(float("nan"), 0, 1)
    assert not finite_number(float("inf"), 0, float("inf"))
    assert not finite_number(10**400, 0, 1e300)  # no OverflowError
    assert not finite_number("0.5", 0, 1)
    assert check_version({}, 1, "stars") == 1
    assert check_version({"version": 2}, 3, "stars") == 2
    with pytest.raises(Unreadable, match="newer version of the app"):
        check_version({"version": 4}, 3, "stars")
    for bad in (0, "1", 1.0, None, [], True):
        with pytest.raises(Unreadable, match="version that is not valid"):
            check_version({"version": bad}, 3, "stars")


def test_a_file_is_set_aside_beside_itself_with_a_free_name(tmp_path):
    path = tmp_path / "stars.json"
    names = []
    for content in ("first", "second", "third"):
        path.write_text(content)
        aside = set_aside(path)
        assert aside.parent == tmp_path
        assert ASIDE.fullmatch(aside.name)
        assert aside.read_text() == content
        assert not path.exists()
        names.append(aside.name)
    assert len(set(names)) == 3  # in the same second, none replaced another


def test_a_copy_is_kept_of_a_file_or_a_folder(tmp_path):
    path = tmp_path / "stars.json"
    path.write_text("kept")
    copy = keep_copy(path)
    assert path.read_text() == copy.read_text() == "kept"
    folder = tmp_path / "queue"
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "a.png").write_bytes(b"png")
    copied = keep_copy(folder)
    assert copied.name.startswith("queue-unreadable-")
    assert (copied / "images" / "a.png").read_bytes() == b"png"
    assert (folder / "images" / "a.png").is_file()


def test_the_note_says_what_became_of_the_file(tmp_path):
    path = tmp_path / "stars.json"
    path.write_text("{")
    note = unreadable_note(path, "The stars file", "is not valid JSON", "no picture is starred")
    (aside,) = tmp_path.glob("stars.json-unreadable-*")
    assert note == (f"The stars file {path} is not valid JSON: it was unreadable and was set "
                    f"aside as {aside.name}; no picture is starred.")
    path.write_text("[1, 2")
    note = unreadable_note(path, "The stars file", "has bad entries", copy=True)
    assert "a copy of it was kept as stars.json-unreadable-" in note
    assert path.read_text() == "[1, 2"
    gone = unreadable_note(tmp_path / "gone.json", "The stars file", "is damaged")
    assert "set aside" in gone  # another reader was first: no error
