"""Crash recovery never deletes work: a session folder holding a document is offered whatever
state its description and lock are in, and only the artist's Restore or Discard removes it; a
data folder that cannot be written still offers it and says it cannot be cleaned up."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from t2ia_desktop.core.files.recovery import DOCUMENT, INFO, LOCK
from t2ia_desktop.ui.window.autosave import Recovery, find_recoveries, offer_recovery
from tests.core.files.recovery_cases import DOCUMENTS, INFO_FILES, put, recovery_documents

LOCKS = st.sampled_from(["missing", "dead", "empty", "garbage", "folder"])
LOADABLE = ("described", "undescribed")
PROPERTY = settings(max_examples=100, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[str, bytes]:
    return recovery_documents(tmp_path_factory.mktemp("documents"))


@pytest.fixture(scope="module")
def dead_lock(tmp_path_factory) -> bytes:
    """A session lock whose process is gone (it ended without unlocking, as kill -9 does)."""
    path = tmp_path_factory.mktemp("lock") / LOCK
    script = ("import os, sys\nfrom PySide6.QtCore import QLockFile\n"
              "lock = QLockFile(sys.argv[1])\nassert lock.tryLock(0)\nos._exit(0)")
    subprocess.run([sys.executable, "-c", script, str(path)], check=True, timeout=60)
    return path.read_bytes()


class Files:
    """What ``offer_recovery`` uses of the window's project files, answering ``restore``."""

    def __init__(self, restore: bool) -> None:
        self.answer = restore
        self.asked: list[str] = []
        self.restored: list[tuple[Any, str, Path | None]] = []
        self.errors: list[str] = []

    def ask_restore(self, found: str) -> bool:
        self.asked.append(found)
        return self.answer

    def restore(self, document, settings, name, original) -> None:
        self.restored.append((document, name, original))

    def show_error(self, _title: str, text: str) -> None:
        self.errors.append(text)


class Autosaver:
    """What ``offer_recovery`` uses of the autosaver: its root, and carrying on in a folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.adopted: list[Recovery] = []

    def adopt(self, recovery: Recovery) -> None:
        self.adopted.append(recovery)


def put_lock(path: Path, kind: str, dead_lock: bytes) -> None:
    """A lock no running session holds: one whose process is gone, or one Qt cannot read,
    written a while ago."""
    put(path, {"dead": dead_lock, "empty": b"", "garbage": b"\x00\xffno lock"}.get(kind, kind))
    if kind in ("empty", "garbage", "folder"):
        old = time.time() - 3600
        os.utime(path, (old, old))


def left_sessions(root: Path, sessions: list[tuple[str, Any, str]], documents: dict[str, bytes],
                  dead_lock: bytes) -> list[tuple[Path, str, str]]:
    made = []
    for index, (document, info, lock) in enumerate(sessions):
        folder = root / f"session-{index}"
        folder.mkdir()
        put(folder / DOCUMENT, documents.get(document, document))
        put(folder / INFO, info)
        put_lock(folder / LOCK, lock, dead_lock)
        made.append((folder, document, lock))
    return made


@PROPERTY
@given(st.lists(st.tuples(DOCUMENTS, INFO_FILES, LOCKS), min_size=1, max_size=3),
       st.booleans())
def test_damaged_sessions_are_offered_and_no_document_is_lost(documents, dead_lock, sessions,
                                                              restore):
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        made = left_sessions(root, sessions, documents, dead_lock)
        with_work = {folder for folder, document, _ in made if document != "missing"}

        # 1. Found, described, left as they were
        found = find_recoveries(root)
        assert {recovery.folder for recovery in found} == with_work
        for recovery in found:
            assert recovery.describe()
            recovery.release()
        assert all(os.path.lexists(folder / DOCUMENT) for folder in with_work)
        for folder, document, lock in made:  # nothing but the session's own files: it may go
            if document == "missing" and lock != "folder":
                assert not folder.exists()

        # 2. Offered: the artist's answer is the only thing that removes one
        files, autosaver, said = Files(restore), Autosaver(root), []
        restored = offer_recovery(files, autosaver, said.append)
        loadable = any(document in LOADABLE for _, document, _ in made)
        if not restore:
            assert len(files.asked) == len(with_work)
            assert not any(folder.exists() for folder in with_work)
            return
        assert restored == loadable
        assert len(files.restored) == int(loadable)
        if restored:  # carried on in its folder, or told that its folder stays
            assert said[0].startswith("Restored ")
            assert len(autosaver.adopted) == 1 or "could not be cleaned up" in said[0]
        assert len(files.errors) == len(files.asked) - int(loadable)
        assert all(os.path.lexists(folder / DOCUMENT) for folder in with_work)
        for recovery in autosaver.adopted:
            recovery.release()


def test_the_document_without_its_description_is_offered_and_restored(documents, tmp_path):
    """What a kill between the document and its description left, in earlier versions."""
    folder = tmp_path / "session-killed"
    folder.mkdir()
    (folder / DOCUMENT).write_bytes(documents["undescribed"])
    files, said = Files(restore=True), []
    assert offer_recovery(files, Autosaver(tmp_path), said.append)
    assert files.asked[0].startswith("Unsaved work written ")
    assert files.restored[0][1:] == ("Untitled", None)
    assert said[0].startswith("Restored Unsaved work written ")


def test_a_bad_timestamp_is_told_as_an_unknown_time_and_the_others_still_offered(
        documents, tmp_path):
    for index, saved_at in enumerate(['"soon"', "[1]", "1e300", "NaN", "-5", "1e999"]):
        folder = tmp_path / f"session-{index}"
        folder.mkdir()
        (folder / DOCUMENT).write_bytes(documents["undescribed"])
        (folder / INFO).write_text(f'{{"name": "sea {index}", "saved_at": {saved_at}}}')
    files = Files(restore=False)
    assert not offer_recovery(files, Autosaver(tmp_path), [].append)
    assert sorted(files.asked) == [f"“sea {index}” (never saved), written "
                                   f"{found.split('written ')[1]}"
                                   for index, found in enumerate(sorted(files.asked))]
    assert not any(tmp_path.iterdir())  # each one discarded, as the artist answered


@pytest.fixture
def read_only_recovery(documents, dead_lock, tmp_path) -> Path:
    """A crashed session's folder in a data folder this user cannot write."""
    folder = tmp_path / "recovery" / "session-crashed"
    folder.mkdir(parents=True)
    (folder / DOCUMENT).write_bytes(documents["described"])
    (folder / LOCK).write_bytes(dead_lock)
    for path in (folder, folder.parent):
        path.chmod(0o555)
    yield folder
    for path in (folder.parent, folder):
        path.chmod(0o755)


def test_a_read_only_data_folder_still_offers_the_work(read_only_recovery):
    folder = read_only_recovery
    if os.access(folder, os.W_OK):
        pytest.skip("this user writes in read-only folders (root): chmod cannot test it")
    files, autosaver, said = Files(restore=True), Autosaver(folder.parent), []
    assert offer_recovery(files, autosaver, said.append)
    assert files.restored[0][1] == "sea.t2ia"
    assert autosaver.adopted == []  # its folder is not this session's to write
    assert "could not be cleaned up" in said[0]
    assert "Save as" in said[0]
    assert (folder / DOCUMENT).is_file()

    files, said = Files(restore=False), []
    assert not offer_recovery(files, autosaver, said.append)  # offered again, declined
    assert files.asked
    assert "could not be removed" in said[0]
    assert (folder / DOCUMENT).is_file()
