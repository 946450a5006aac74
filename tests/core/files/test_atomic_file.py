"""Atomic writes: through symbolic links, with ordinary permissions, and no leftovers of killed
saves (removed at the next save, or at launch), never touching a write in progress."""

from __future__ import annotations

import errno
import os
import time

import pytest

from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.files import atomic_file
from t2ia_desktop.core.files.atomic_file import (
    atomic_write,
    remove_stale_temporaries,
    temporary_target,
)
from t2ia_desktop.core.files.project import save_project

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX links and permissions")
HOUR_AGO = time.time() - 3600


def _write(path, data: bytes) -> None:
    with atomic_write(path) as stream:
        stream.write(data)


def _left_by_a_killed_save(path, name: str, data: bytes = b"half a project") -> None:
    leftover = path.parent / name
    leftover.write_bytes(data)
    os.utime(leftover, (HOUR_AGO, HOUR_AGO))
    return leftover


# -- symbolic links ---------------------------------------------------------------------------

@posix_only
def test_a_save_through_a_symlink_writes_its_target_and_keeps_the_link(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    target = shared / "art.png"
    target.write_bytes(b"old")
    link = tmp_path / "art.png"
    link.symlink_to(target)

    _write(link, b"new")

    assert link.is_symlink()
    assert target.read_bytes() == b"new"  # the linked folder has the new version
    assert sorted(p.name for p in shared.iterdir()) == ["art.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["art.png", "shared"]


@posix_only
def test_a_project_saved_through_a_symlink_updates_the_linked_file(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    target = shared / "art.t2ia"
    save_project(Document.with_sketch_layer(8, 8), target)
    before = target.read_bytes()
    link = tmp_path / "art.t2ia"
    link.symlink_to(target)

    save_project(Document.with_sketch_layer(16, 16), link)

    assert link.is_symlink()
    assert target.read_bytes() != before
    assert os.listdir(shared) == ["art.t2ia"]


@posix_only
def test_a_link_to_a_file_not_yet_written_creates_it(tmp_path):
    link = tmp_path / "later.png"
    link.symlink_to(tmp_path / "made.png")
    _write(link, b"x")
    assert link.is_symlink()
    assert (tmp_path / "made.png").read_bytes() == b"x"


# -- permissions ------------------------------------------------------------------------------

@posix_only
@pytest.mark.parametrize(("umask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_gets_what_the_umask_allows(tmp_path, umask, expected):
    previous = os.umask(umask)
    try:
        _write(tmp_path / "new.png", b"x")
        save_project(Document.with_sketch_layer(8, 8), tmp_path / "new.t2ia")
    finally:
        os.umask(previous)
    assert (tmp_path / "new.png").stat().st_mode & 0o777 == expected
    assert (tmp_path / "new.t2ia").stat().st_mode & 0o777 == expected


@posix_only
def test_an_existing_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "kept.json"
    path.write_text("{}")
    path.chmod(0o640)
    with atomic_write(path, "w", encoding="utf-8") as stream:
        stream.write('{"a": 1}')
    assert path.stat().st_mode & 0o777 == 0o640
    assert path.read_text() == '{"a": 1}'


# -- failures ---------------------------------------------------------------------------------

def test_a_folder_in_the_way_is_refused_before_anything_is_written(tmp_path):
    (tmp_path / "taken.png").mkdir()
    calls = []

    def write():
        with atomic_write(tmp_path / "taken.png") as stream:
            calls.append(stream)

    with pytest.raises(IsADirectoryError):
        write()
    assert calls == []
    assert os.listdir(tmp_path) == ["taken.png"]


def test_a_full_disk_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "art.png"
    path.write_bytes(b"old")

    def full_disk():
        with atomic_write(path) as stream:
            stream.write(b"new")
            raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space") as raised:
        full_disk()
    assert raised.value.errno == errno.ENOSPC
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["art.png"]


# -- leftovers of killed saves ----------------------------------------------------------------

def test_the_next_save_removes_the_leftovers_of_killed_saves(tmp_path):
    path = tmp_path / "art.t2ia"
    path.write_bytes(b"old")
    marked = _left_by_a_killed_save(path, ".art.t2ia.t2ia-abc_1234.tmp")
    earlier = _left_by_a_killed_save(path, ".art.t2ia.k3j9x0qp.tmp")  # before the mark

    save_project(Document.with_sketch_layer(8, 8), path)

    assert not marked.exists()
    assert not earlier.exists()
    assert os.listdir(tmp_path) == ["art.t2ia"]


def test_a_save_leaves_other_files_and_other_names_leftovers_alone(tmp_path):
    path = tmp_path / "art.png"
    others = {
        ".other.png.t2ia-abcdefgh.tmp": "another file's leftover: removed at its own save",
        ".art.png.backup01": "not of the app's naming",
        ".art.png.abcdefgh.bak": "not of the app's naming",
        "art.png.abcdefgh.tmp": "not hidden: not of the app's naming",
        ".art.png.ABCDEFGH.tmp": "not mkstemp's alphabet",
    }
    for name in others:
        _left_by_a_killed_save(path, name)
    _write(path, b"x")
    assert sorted(os.listdir(tmp_path)) == sorted([*others, "art.png"])


def test_a_temporary_file_being_written_is_never_removed(tmp_path):
    path = tmp_path / "art.png"
    with atomic_write(path) as stream:
        stream.write(b"in progress")
        (temporary,) = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        os.utime(temporary, (HOUR_AGO, HOUR_AGO))  # even one untouched for an hour
        assert remove_stale_temporaries(tmp_path) == []
        with atomic_write(path) as other:  # another save of the same file meanwhile
            other.write(b"other")
        assert temporary.exists()
    assert path.read_bytes() == b"in progress"
    assert os.listdir(tmp_path) == ["art.png"]


def test_a_recent_temporary_file_is_left_alone(tmp_path):
    recent = tmp_path / ".art.png.t2ia-abcdefgh.tmp"
    recent.write_bytes(b"just created, not locked yet")
    assert remove_stale_temporaries(tmp_path) == []
    assert recent.exists()


def test_at_launch_a_folder_is_swept_of_the_apps_leftovers_only(tmp_path):
    (tmp_path / "settings.json").write_text("{}")
    swept = [
        _left_by_a_killed_save(tmp_path / "x", ".queue.json.t2ia-0a1b2c3d.tmp"),
        _left_by_a_killed_save(tmp_path / "x", ".settings.json.zz9_8yx7.tmp"),
        _left_by_a_killed_save(tmp_path / "x", ".lost.t2ia.a1b2c3d4.tmp"),
    ]
    kept = [
        _left_by_a_killed_save(tmp_path / "x", ".stars.json.a1b2c3d4.tmp"),  # no stars.json
        _left_by_a_killed_save(tmp_path / "x", ".notes.txt"),
    ]
    removed = remove_stale_temporaries(tmp_path)
    assert sorted(removed) == sorted(swept)
    assert all(path.exists() for path in kept)
    assert remove_stale_temporaries(tmp_path / "missing") == []


def test_temporary_names():
    assert temporary_target(".a.png.t2ia-abcdefgh.tmp") == "a.png"
    assert temporary_target(".a.png.abcdefgh.tmp") is None
    assert temporary_target(".a.png.abcdefgh.tmp", ["a.png"]) == "a.png"
    assert temporary_target(".a.t2ia.abcdefgh.tmp") == "a.t2ia"
    assert temporary_target(".a.png.abcdefg.tmp", ["a.png"]) is None


def test_the_umask_is_read_without_changing_it():
    if os.name == "posix":
        previous = os.umask(0o027)
        try:
            assert atomic_file.current_umask() == 0o027
        finally:
            os.umask(previous)


def test_at_launch_the_data_folder_and_its_folders_are_swept(tmp_path, monkeypatch):
    from t2ia_desktop.app import remove_leftovers_of_killed_saves

    monkeypatch.setenv("T2IA_HOME", str(tmp_path))
    session = tmp_path / "recovery" / "1234-abcd"
    session.mkdir(parents=True)
    (tmp_path / "queue").mkdir()
    (tmp_path / "queue" / "queue.json").write_text("{}")
    too_deep = tmp_path / "plugins" / "mine" / "data"
    too_deep.mkdir(parents=True)
    swept = [
        _left_by_a_killed_save(tmp_path / "x", ".settings.json.t2ia-aaaaaaaa.tmp"),
        _left_by_a_killed_save(tmp_path / "queue" / "x", ".queue.json.bbbbbbbb.tmp"),
        _left_by_a_killed_save(session / "x", ".recovery.t2ia.t2ia-cccccccc.tmp"),
    ]
    kept = _left_by_a_killed_save(too_deep / "x", ".table.bin.t2ia-dddddddd.tmp")
    remove_leftovers_of_killed_saves()
    assert not any(path.exists() for path in swept)
    assert kept.exists()
