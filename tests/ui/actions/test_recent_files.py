"""The recent files list (recent.json): entries that are not paths are left out, a file that is
not a list of recent files is set aside with a note, told once."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from t2ia_desktop.ui.actions.recent_files import RecentFiles
from tests.state_damage import DAMAGE, any_damage, mutated


def test_the_list_keeps_the_latest_first_up_to_its_limit(tmp_path):
    recent = RecentFiles(tmp_path / "recent.json", limit=3)
    for name in ("a", "b", "c", "d", "b"):
        recent.add(tmp_path / f"{name}.t2ia")
    assert [p.name for p in recent.paths()] == ["b.t2ia", "d.t2ia", "c.t2ia"]
    assert recent.note == ""


def test_entries_that_are_not_paths_are_left_out(tmp_path):
    path = tmp_path / "recent.json"
    path.write_text(json.dumps({"recent": ["/a.t2ia", 5, None, "", ["x"], "/b\u0000.t2ia",
                                           "x" * 5000, "/c.t2ia"]}))
    recent = RecentFiles(path)
    assert [str(p) for p in recent.paths()] == ["/a.t2ia", "/c.t2ia"]
    assert recent.note == ""


@pytest.mark.parametrize("content", [
    "{oops", "[]", '{"recent": 5}', '{"recent": {"a": 1}}', "null",
    '{"recent": ' + "[" * 100_000 + "]" * 100_000 + "}", "\udcff",
])
def test_a_file_that_is_not_a_list_of_recent_files_is_set_aside(tmp_path, content):
    path = tmp_path / "recent.json"
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    recent = RecentFiles(path)
    assert recent.paths() == []
    assert "The list of recent files" in recent.note
    assert "set aside as recent.json-unreadable-" in recent.note
    (aside,) = tmp_path.glob("recent.json-unreadable-*")
    assert aside.read_bytes() == content.encode("utf-8", "surrogateescape")
    recent.add(tmp_path / "new.t2ia")
    assert RecentFiles(path).paths() == [tmp_path / "new.t2ia"]


RECENT_TREE = {"recent": ["/art/one.t2ia", "/art/two.t2ia", "/art/three.t2ia"]}


@DAMAGE
@given(st.data())
def test_damaged_lists_never_raise_and_keep_every_valid_path(data):
    folder = Path(tempfile.mkdtemp(prefix="t2ia-damage-"))
    try:
        path = folder / "recent.json"
        damaged = data.draw(st.integers(0, 2))
        text, deep = data.draw(mutated(RECENT_TREE, ("recent", damaged)))
        path.write_text(text)
        recent = RecentFiles(path)
        kept = {str(p) for p in recent.paths()}
        if deep:  # past the file's nesting or size limit: set aside whole, and told
            assert re.search("nests deeper|larger than", recent.note)
        else:
            assert set(RECENT_TREE["recent"]) - {RECENT_TREE["recent"][damaged]} <= kept
        path.write_bytes(data.draw(any_damage(json.dumps(RECENT_TREE).encode(), RECENT_TREE)))
        assert all(isinstance(p, Path) for p in RecentFiles(path).paths())
    finally:
        shutil.rmtree(folder)


def test_the_list_is_written_as_every_state_file_is(tmp_path):
    """Through a link to its target, with the umask's permissions (not mkstemp's 0600), and a
    killed write's leftover swept at the next change."""
    import os

    from t2ia_desktop.core.files.atomic_file import current_umask

    real = tmp_path / "elsewhere" / "recent.json"
    real.parent.mkdir()
    link = tmp_path / "recent.json"
    link.symlink_to(real)
    leftover = real.parent / ".recent.json.t2ia-abcd1234.tmp"
    leftover.write_text("half a file")
    os.utime(leftover, (1_000_000, 1_000_000))
    recent = RecentFiles(link)
    recent.add(tmp_path / "harbour.t2ia")
    assert link.is_symlink()
    assert json.loads(real.read_text()) == {"recent": [str(tmp_path / "harbour.t2ia")]}
    assert real.stat().st_mode & 0o777 == 0o666 & ~current_umask()
    assert not leftover.exists()
