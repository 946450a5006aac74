"""Test-wide settings: headless Qt, no network, no touching the artist's real files."""

from __future__ import annotations

import os
import tempfile

os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="t2ia-test-hf-")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Point every per-user folder (settings, data, HF cache) at a temporary one."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("T2IA_HOME", str(home / "t2ia"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    yield


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
