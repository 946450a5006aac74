"""Safe mode: offered after a start that did not finish, and the real app starting whatever its
plugins do at start (exit, interrupt, print), or in safe mode after one ended the process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from t2ia_desktop.core.start_marker import StartMarker
from t2ia_desktop.ui.dialogs.safe_mode import QUESTION, StartCheck, safe_mode_box
from tests.plugin_folders import GOOD_CODE, write_plugin

REPO = Path(__file__).resolve().parents[3]


def test_safe_mode_is_offered_only_after_a_start_that_did_not_finish(tmp_path):
    marker = tmp_path / "data" / "start-unfinished"
    asked = []
    check = StartCheck(StartMarker(marker))
    check.ask_safe_mode = lambda question: asked.append(question) or True
    assert check.begin() is False  # a first start: nothing to offer
    assert marker.is_file()  # under way
    check.finished()
    assert not marker.exists()
    assert StartCheck(StartMarker(marker)).begin() is False  # the last one finished
    assert asked == []

    # that start never showed its window (the marker is still there): the next one asks
    for answer in (True, False):
        check = StartCheck(StartMarker(marker))
        check.ask_safe_mode = lambda question, answer=answer: asked.append(question) or answer
        assert check.begin() is answer
        assert marker.is_file()
    assert asked == [QUESTION, QUESTION]
    assert "a plugin may have stopped it" in QUESTION
    check = StartCheck(StartMarker(marker))
    check.ask_safe_mode = lambda question: asked.append(question) or False
    assert check.begin(safe_mode=True) is True  # --safe-mode: nothing to ask
    assert len(asked) == 2


def test_a_marker_that_cannot_be_written_or_removed_never_stops_the_start(tmp_path):
    (tmp_path / "start-unfinished").mkdir()  # a folder in its place
    check = StartCheck(StartMarker(tmp_path / "start-unfinished"))
    check.ask_safe_mode = lambda question: True
    assert check.begin() is True
    check.finished()


def test_the_question_defaults_to_safe_mode(qapp):
    box = safe_mode_box(QUESTION)
    buttons = {b.text(): b for b in box.buttons()}
    assert set(buttons) == {"Start in safe mode", "Start normally"}
    assert box.defaultButton() is buttons["Start in safe mode"]
    assert box.icon() == QMessageBox.Icon.Warning
    box.deleteLater()


def launch(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real app, until its window shows (T2IA_EXIT_AFTER_SHOW)."""
    env = dict(os.environ, T2IA_HOME=str(home), T2IA_EXIT_AFTER_SHOW="1", HF_HUB_OFFLINE="1",
               QT_QPA_PLATFORM="offscreen",
               PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "t2ia_desktop", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=180, check=False)


def test_the_app_starts_whatever_its_plugins_do_at_start(tmp_path):
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "exits", "import sys\nsys.exit(4)\n")
    write_plugin(plugins, "interrupts", "def register():\n    raise KeyboardInterrupt\n")
    write_plugin(plugins, "chatty", GOOD_CODE.format(condition="chat", label="Chat")
                 + "\nprint('hello from the plugin')\n")
    home = tmp_path / "home"
    done = launch(home, "--plugins", str(plugins), "gui")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "window-shown" in done.stdout
    assert "hello" not in done.stdout + done.stderr
    log = (home / "logs" / "t2ia-desktop.log").read_text(encoding="utf-8")
    assert "plugin chatty: hello from the plugin" in log
    assert "plugin exits" in log
    assert "SystemExit: 4" in log
    assert "KeyboardInterrupt" in log
    assert not (home / "start-unfinished").exists()


def test_after_a_plugin_ended_the_process_safe_mode_starts_the_app(tmp_path):
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "crasher", "import os\nos._exit(3)\n")  # as a native crash would
    home = tmp_path / "home"
    crashed = launch(home, "--plugins", str(plugins), "gui")
    assert crashed.returncode == 3
    assert "window-shown" not in crashed.stdout
    assert (home / "start-unfinished").is_file()  # the next launch offers safe mode

    safe = launch(home, "gui", "--safe-mode", "--plugins", str(plugins))
    assert safe.returncode == 0, safe.stderr[-2000:]
    assert "window-shown" in safe.stdout
    assert not (home / "start-unfinished").exists()
