"""The instance lock of a data folder, held by real processes: a second process never takes it
while the first lives, and a first one killed with SIGKILL never leaves it stuck."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from t2ia_desktop.core.instance_lock import InstanceLock, read_owner

REPO = Path(__file__).resolve().parents[2]
HOLDER = """
import sys, time
from pathlib import Path
from t2ia_desktop.core.instance_lock import InstanceLock
lock = InstanceLock(Path(sys.argv[1]))
print("held" if lock.acquire() else "refused", flush=True)
time.sleep(600)
"""


def is_held(path: Path) -> bool:
    """Whether a live process holds the lock at ``path`` (probed, not kept)."""
    probe = InstanceLock(path)
    taken = probe.acquire()
    probe.release()
    return not taken


def start_holder(path: Path) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], cwd=REPO,
                               env={**os.environ, "PYTHONPATH": str(REPO)},
                               stdout=subprocess.PIPE, text=True)
    return process, process.stdout.readline().strip()


def test_a_second_process_is_refused_until_the_first_is_killed(tmp_path):
    path = tmp_path / "instance.lock"
    first, said = start_holder(path)
    try:
        assert said == "held"
        second, said = start_holder(path)  # another process: refused while the first lives
        second.kill()
        second.wait(30)
        assert said == "refused"
        mine = InstanceLock(path)
        assert not mine.acquire()
        assert not mine.held
        assert is_held(path)
        owner = mine.owner()
        assert owner.pid == first.pid
        assert owner.started is not None
        assert f"process {first.pid}, started " in owner.describe()
        os.kill(first.pid, signal.SIGKILL)  # no clean-up of any kind
        first.wait(30)
        assert not is_held(path)
        assert mine.acquire()  # not stuck
        assert read_owner(path).pid == os.getpid()
        third, said = start_holder(path)
        third.kill()
        third.wait(30)
        assert said == "refused"
        mine.release()
        assert not is_held(path)
    finally:
        first.kill()
        first.wait(30)


def test_a_damaged_lock_file_is_taken_and_rewritten(tmp_path):
    path = tmp_path / "instance.lock"
    path.write_bytes(b"\xff{[" * 1000)
    assert read_owner(path).pid is None
    assert read_owner(path).describe() == ""
    lock = InstanceLock(path)
    assert lock.acquire()
    assert json.loads(path.read_text())["pid"] == os.getpid()
    lock.release()


def test_a_folder_where_no_lock_can_be_made_belongs_to_whoever_starts_there(tmp_path):
    """A data folder that cannot be written and holds no lock file: no other instance can
    hold one there either (a file in the folder's place stands for it: chmod does not stop
    root)."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    lock = InstanceLock(blocked / "instance.lock")
    assert lock.acquire()
    assert lock.held
    lock.release()
