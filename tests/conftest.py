"""Test-wide settings: headless Qt, no network, no touching the artist's real files."""

from __future__ import annotations

import os
import tempfile

os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="t2ia-test-hf-")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if os.environ["QT_QPA_PLATFORM"] == "offscreen":  # a 1920×1080 screen (Qt's own is 800×800);
    # tests of smaller screens give the window their screen area (ui/window/screen_fit.py)
    os.environ["QT_QPA_PLATFORM"] = "offscreen:configfile=" + os.path.join(
        os.path.dirname(__file__), "offscreen_screen.json")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import pytest


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Point every per-user folder (settings, data, HF cache) at a temporary one."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("T2IA_HOME", str(home / "t2ia"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))


@pytest.fixture(scope="session", autouse=True)
def _collect_garbage_on_the_ui_thread(qapp):
    """As in the app: cyclic garbage (old windows, dialogs) is freed on the UI thread, never
    on a worker thread that happens to allocate (see runtime/gc_guard.py)."""
    from t2ia_desktop.runtime.gc_guard import UiThreadGarbageCollector

    guard = UiThreadGarbageCollector()
    yield guard
    guard.stop()


@pytest.fixture(autouse=True)
def _collect_after_each_test():
    """Each test's leftovers are collected on the main thread before the next test starts."""
    import gc

    yield
    gc.collect()


@pytest.fixture
def loop(qapp):
    """A qasync event loop on the test's QApplication; closed and unset afterwards."""
    import asyncio

    import qasync

    event_loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(event_loop)
    yield event_loop
    event_loop.close()
    asyncio.set_event_loop(None)
