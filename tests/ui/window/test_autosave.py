"""Autosave and crash recovery: unsaved work reaches the recovery folder soon after it changes,
written on a thread of its own; a clean exit removes it; after a crash (a real ``kill -9`` of
the app's process) the next launch offers it back."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from t2ia_desktop import app
from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.files.project import load_project, save_project
from t2ia_desktop.core.files.recovery import LOCK, holds_work, read_info
from t2ia_desktop.core.paths import data_dir
from t2ia_desktop.session.tool_state import ToolState
from t2ia_desktop.ui.window import autosave
from t2ia_desktop.ui.window.autosave import (
    DOCUMENT,
    INFO,
    copy_document,
    find_recoveries,
    load_recovery,
)
from t2ia_desktop.ui.window.main_window import MainWindow
from tests.builders import pixel_centre
from tests.ui.app_process import start_driver, wait_for
from tests.ui.helpers import drag, main_window, shown

WRITE_TIMEOUT = 20_000
LINE_TIMEOUT_S = 120  # for each line the killed app prints
DRIVER = Path(__file__).parents[1] / "app_driver.py"


@pytest.fixture
def autosaving(qtbot, loop, document, runner, updater, models) -> Iterator[MainWindow]:
    """The window with autosave on, a short interval."""
    main = shown(qtbot, main_window(document, runner, models, updater=updater,
                                    tool_state=ToolState(), autosave_seconds=0.05))
    yield main
    main.close()
    assert main.autosaver._executor._shutdown  # the writer thread was joined


def stroke(window: MainWindow, y: int) -> None:
    drag(window.canvas, [pixel_centre(window.canvas, x, y) for x in (40, 120, 200)])


def recovery_folders() -> list[Path]:
    root = data_dir() / "recovery"
    return sorted(root.iterdir()) if root.is_dir() else []


def test_unsaved_work_is_written_soon_and_a_save_removes_it(qtbot, autosaving, tmp_path):
    saver = autosaving.autosaver
    assert not saver.document_path.exists()  # nothing unsaved, nothing written
    with qtbot.waitSignal(saver.written, timeout=WRITE_TIMEOUT) as wrote:
        stroke(autosaving, 60)
    assert wrote.args[0] == saver.document_path
    document, settings = load_project(saver.document_path)
    assert np.array_equal(document.sketch_layer().pixels, autosaving.document.sketch_layer()
                          .pixels)
    info = read_info(saver.folder)  # the document describes itself: one file
    assert (info.name, info.original, info.described) == ("Untitled", None, True)
    assert not info.from_file_time
    assert not (saver.folder / INFO).exists()
    assert settings["prompt"] == ""

    with qtbot.waitSignal(saver.written, timeout=WRITE_TIMEOUT):
        autosaving.generate_panel.prompt_edit.setPlainText("the prompt is work too")
    assert load_project(saver.document_path)[1]["prompt"] == "the prompt is work too"

    autosaving.files.ask_save_path = lambda *_: str(tmp_path / "kept.t2ia")
    assert autosaving.files.save()
    saver.wait()
    assert not saver.document_path.exists()
    assert not (saver.folder / INFO).exists()
    assert saver.folder.is_dir()  # the session's folder (and its lock) stay while it runs


def test_undo_back_to_the_saved_state_removes_it(qtbot, autosaving):
    saver = autosaving.autosaver
    with qtbot.waitSignal(saver.written, timeout=WRITE_TIMEOUT):
        stroke(autosaving, 60)
    autosaving.undo_actions.undo_step()
    saver.wait()
    assert not saver.document_path.exists()
    assert not saver.timer.isActive()


def test_the_write_runs_on_its_own_thread_and_painting_goes_on(qtbot, autosaving, monkeypatch):
    saver = autosaving.autosaver
    saver.timer.setInterval(60_000)  # the test says when
    release = threading.Event()
    threads = []
    real_save = autosave.save_project

    def slow_save(document, path, settings=None, **keywords):
        threads.append(threading.current_thread().name)
        release.wait(WRITE_TIMEOUT / 1000)
        real_save(document, path, settings, **keywords)

    monkeypatch.setattr(autosave, "save_project", slow_save)
    stroke(autosaving, 60)
    first = autosaving.document.sketch_layer().pixels.copy()
    saver.save_now()  # the copy is taken now; the write waits on its thread
    stroke(autosaving, 120)  # painting goes on meanwhile
    assert not autosaving.document.sketch_layer().is_blank()
    saver.save_now()  # a second write waits for the first, then follows
    with qtbot.waitSignal(saver.written, timeout=WRITE_TIMEOUT):
        release.set()
    assert threads[0].startswith("t2ia-autosave")
    written = load_project(saver.document_path)[0].sketch_layer().pixels
    assert np.array_equal(written, first)  # the copy, not the pixels painted since
    saver.timer.setInterval(1)
    with qtbot.waitSignal(saver.written, timeout=WRITE_TIMEOUT):
        pass
    written = load_project(saver.document_path)[0].sketch_layer().pixels
    assert np.array_equal(written, autosaving.document.sketch_layer().pixels)


def test_a_stroke_in_progress_is_not_copied_half_way(qtbot, autosaving):
    saver = autosaving.autosaver
    canvas = autosaving.canvas
    with qtbot.waitSignal(saver.written, timeout=WRITE_TIMEOUT):
        stroke(autosaving, 40)
    QtBot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=pixel_centre(canvas, 50, 100))
    saver.save_now()
    assert not saver._busy
    assert saver.timer.isActive()
    with qtbot.waitSignal(saver.written, timeout=WRITE_TIMEOUT):
        QtBot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=pixel_centre(canvas, 150, 100))
    written = load_project(saver.document_path)[0].sketch_layer().pixels
    assert written[100, 100, 3] == 255


def test_a_clean_exit_leaves_nothing_to_recover(qtbot, autosaving):
    with qtbot.waitSignal(autosaving.autosaver.written, timeout=WRITE_TIMEOUT):
        stroke(autosaving, 60)
    folder = autosaving.autosaver.folder
    assert folder.is_dir()
    assert autosaving.close()  # "Don't save" (the tests' answer)
    assert not folder.exists()
    assert find_recoveries() == []


def test_a_running_sessions_work_is_not_offered(qtbot, autosaving):
    with qtbot.waitSignal(autosaving.autosaver.written, timeout=WRITE_TIMEOUT):
        stroke(autosaving, 60)
    assert find_recoveries() == []  # its lock is held: it is not a crash


def left_behind(name: str = "harbour.t2ia", original: str | None = None) -> Path:
    """What a crashed session leaves: a project and its info, and no live lock."""
    folder = data_dir() / "recovery" / "session-crashed"
    folder.mkdir(parents=True)
    document = Document.with_sketch_layer(128, 96)
    document.sketch_layer().pixels[40:50, 10:90, 3] = 255
    save_project(document, folder / DOCUMENT, {"prompt": "left behind", "steps": 7})
    (folder / INFO).write_text(json.dumps({"name": name, "original": original,
                                           "saved_at": 1_700_000_000}))
    return folder


def test_restoring_brings_the_work_back_unsaved(qtbot, autosaving, tmp_path):
    folder = left_behind(original=str(tmp_path / "harbour.t2ia"))
    asked = []
    autosaving.files.ask_restore = lambda found: asked.append(found) or True
    assert autosaving.offer_recovery()
    assert "harbour.t2ia" in asked[0]
    assert "autosaved" in asked[0]
    document = autosaving.document
    assert (document.width, document.height) == (128, 96)
    assert document.sketch_layer().pixels[45, 50, 3] == 255
    assert autosaving.generate_panel.prompt_edit.toPlainText() == "left behind"
    assert autosaving.windowTitle() == "harbour.t2ia* — t2ia desktop"
    assert autosaving.history_panel.list_widget.item(0).text() == "Recovered harbour.t2ia"
    assert autosaving.autosaver.folder == folder  # its files stay until this session saves
    assert (folder / DOCUMENT).is_file()
    assert autosaving.files.save()  # Save writes it where it came from
    assert (tmp_path / "harbour.t2ia").is_file()
    autosaving.autosaver.wait()
    assert not (folder / DOCUMENT).exists()


def test_declining_deletes_it_and_a_damaged_one_is_kept_and_told(autosaving):
    folder = left_behind()
    autosaving.files.ask_restore = lambda _found: False
    assert not autosaving.offer_recovery()
    assert not folder.exists()
    folder = left_behind()
    (folder / DOCUMENT).write_bytes(b"damaged")
    autosaving.files.ask_restore = lambda _found: True
    document = autosaving.document
    assert not autosaving.offer_recovery()
    assert autosaving.document is document
    assert folder.is_dir()
    assert str(folder) in autosaving.files.error_box.text()
    autosaving.files.error_box.close()


def ink(document: Document) -> int:
    return int(document.sketch_layer().pixels[..., 3].sum())


class Instants:
    """Copies of the session's folder (its lock left out: the process is gone) just before and
    just after each file operation in it: what a kill at that instant leaves."""

    def __init__(self, folder: Path, copies: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.folder, self.copies, self.phase = folder, copies, ""
        self.taken: list[tuple[str, Path]] = []
        replace, unlink = os.replace, Path.unlink

        def traced_replace(source, target) -> None:
            self.around(Path(target), lambda: replace(source, target))

        def traced_unlink(path: Path, missing_ok: bool = False) -> None:
            self.around(path, lambda: unlink(path, missing_ok=missing_ok))

        monkeypatch.setattr(os, "replace", traced_replace)
        monkeypatch.setattr(Path, "unlink", traced_unlink)

    def around(self, path: Path, operation) -> None:
        inside = path.parent == self.folder
        if inside:
            self.take()
        operation()
        if inside:
            self.take()

    def take(self) -> None:
        copy = self.copies / str(len(self.taken)) / "session-killed"
        shutil.copytree(self.folder, copy, ignore=shutil.ignore_patterns(LOCK))
        self.taken.append((self.phase, copy))


def test_a_kill_at_any_instant_of_the_autosave_leaves_the_old_recovery_or_the_new(
        qtbot, autosaving, tmp_path, monkeypatch):
    saver = autosaving.autosaver
    instants = Instants(saver.folder, tmp_path / "killed", monkeypatch)
    inks = []
    for phase, y in (("first", 40), ("second", 80), ("save", None), ("after save", 120)):
        instants.phase = phase
        if y is None:  # File → Save: the recovery goes, the work is in the project
            autosaving.files.ask_save_path = lambda *_: str(tmp_path / "kept.t2ia")
            assert autosaving.files.save()
            saver.wait()
            continue
        with qtbot.waitSignal(saver.written, timeout=WRITE_TIMEOUT):
            stroke(autosaving, y)
        inks.append(ink(autosaving.document))
    assert {phase for phase, _ in instants.taken} == {"first", "second", "save", "after save"}

    for phase, copy in instants.taken:
        assert not (copy / INFO).exists()  # one file: the document describes itself
        found = find_recoveries(copy.parent)
        try:
            if phase == "second":  # at every instant: the first autosave's work or the second's
                assert len(found) == 1
            if not holds_work(copy):
                assert found == []
                continue
            assert len(found) == 1
            assert found[0].info.described
            assert ink(load_recovery(found[0])[0]) in inks
            assert found[0].name == ("kept.t2ia" if phase == "after save" else "Untitled")
        finally:
            for recovery in found:
                recovery.release()
    last_phase, last = instants.taken[-1]
    assert last_phase == "after save"  # and just after its write: the work since the save
    assert ink(load_project(last / DOCUMENT)[0]) == inks[-1]


@pytest.mark.parametrize("saved_at", ['"soon"', "[1700000000]", "1e300", "NaN", "-5"])
def test_a_bad_timestamp_still_offers_the_work_and_then_the_saved_queue(autosaving, monkeypatch,
                                                                       saved_at):
    folder = left_behind()
    (folder / INFO).write_text(f'{{"name": "harbour.t2ia", "saved_at": {saved_at}}}')
    asked, queues = [], []
    autosaving.files.ask_restore = lambda found: asked.append(found) or True
    monkeypatch.setattr(autosaving.queue_control, "offer_restore", lambda: queues.append(1))
    app._after_show(autosaving, None)  # what the app does once its window shows
    assert asked[0].startswith("“harbour.t2ia” (never saved), written ")  # the file's time
    assert autosaving.document.sketch_layer().pixels[45, 50, 3] == 255
    assert queues == [1]


def test_a_document_whose_description_is_missing_is_offered_not_deleted(autosaving):
    """An earlier version wrote the description after the document: a kill between the two
    left a document alone, which the next launch deleted."""
    folder = left_behind()
    (folder / INFO).unlink()
    asked = []
    autosaving.files.ask_restore = lambda found: asked.append(found) or True
    assert autosaving.offer_recovery()
    assert asked[0].startswith("Unsaved work written ")
    assert autosaving.document.sketch_layer().pixels[45, 50, 3] == 255
    assert (folder / DOCUMENT).is_file()  # until this session saves


def test_copy_document_shares_no_pixels(document):
    document.sketch_layer().pixels[0, 0] = (1, 2, 3, 4)
    copied = copy_document(document)
    assert copied.layers[0].id == document.layers[0].id
    assert copied.active.id == document.active.id
    document.sketch_layer().pixels[0, 0] = 0
    assert tuple(copied.layers[0].pixels[0, 0]) == (1, 2, 3, 4)
    copied.layers[0].condition.conditioning_scale = 0.1
    assert document.sketch_layer().condition.conditioning_scale == 1.0


# -- the real app, killed ---------------------------------------------------------------------
def run_driver(mode: str, home: Path) -> tuple[subprocess.Popen, queue.Queue, threading.Thread]:
    return start_driver(DRIVER, [mode], home, {"T2IA_AUTOSAVE_SECONDS": "0.2"})


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs kill -9")
def test_after_kill_9_the_next_launch_restores_the_work(tmp_path):
    home = tmp_path / "home"
    process, lines, reader = run_driver("crash", home)
    seen: list[str] = []
    try:
        ink = int(wait_for(lines, "painted", seen, LINE_TIMEOUT_S))
        path = Path(wait_for(lines, "autosaved", seen, LINE_TIMEOUT_S))
        assert ink > 0
        assert path.is_file()
    finally:
        process.send_signal(signal.SIGKILL)  # no cleanup of any kind runs
        process.wait(30)
        reader.join(30)
    assert process.returncode == -signal.SIGKILL
    assert path.is_file()  # left behind

    process, lines, reader = run_driver("restore", home)
    seen = []
    try:
        state = json.loads(wait_for(lines, "state", seen, LINE_TIMEOUT_S))
        assert process.wait(60) == 0, "\n".join(seen)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)
        reader.join(30)
    assert state["restored"]
    assert len(state["offered"]) == 1
    assert state["ink"] == ink  # every pixel of the stroke
    assert state["prompt"] == "a lighthouse, recovered"
    assert state["title"].startswith("Untitled*")
    assert Path(state["folder"]) == path.parent  # it carried on in the crashed session's folder
    assert not path.parent.exists()  # and its clean exit removed it
    assert not any((home / "recovery").iterdir())


def test_autosave_that_cannot_write_says_so_once_and_when_it_works_again(qtbot, autosaving):
    """A data folder that cannot be written fails every autosave: the artist is told once,
    with what to do, not at each write; once it works again that is said, and a new failure
    is told again. (A file where the session folder goes: chmod does not stop root.)"""
    saver = autosaving.autosaver
    said: list[str] = []
    saver.failed.connect(said.append)
    saver.recovered.connect(said.append)
    shutil.rmtree(saver.folder)
    saver.folder.write_text("in the way")
    for y in (40, 70, 100):
        with qtbot.waitSignal(saver._done, timeout=WRITE_TIMEOUT) as done:
            stroke(autosaving, y)
        assert done.args[0] is None  # each write failed
    assert len(said) == 1
    assert said[0].startswith("Autosave failed: ")
    assert "Save as" in said[0]
    assert str(saver.root) in said[0]
    assert autosaving.statusBar().currentMessage() == said[0]

    saver.folder.unlink()
    with qtbot.waitSignal(saver.written, timeout=WRITE_TIMEOUT):
        stroke(autosaving, 130)
    assert said[1].startswith("Autosave works again")
    saver.wait()
    shutil.rmtree(saver.folder)
    saver.folder.write_text("in the way again")
    with qtbot.waitSignal(saver.failed, timeout=WRITE_TIMEOUT):
        stroke(autosaving, 160)
    assert len(said) == 3
    saver.folder.unlink()
