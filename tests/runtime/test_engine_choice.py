"""Settings → Engine picks the engine at each job: this computer's (built once) or a server's."""

from __future__ import annotations

import os
import stat
from dataclasses import replace

import pytest

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.settings import Settings
from t2ia_desktop.remote.saved_token import save_token, saved_token
from t2ia_desktop.runtime.engines.choice import EngineChoice
from tests.builders import request
from tests.fakes import FakeEngine

TOKEN = "a-token-of-twenty-chars"


class Remote(FakeEngine):
    def __init__(self, url: str, token: str) -> None:
        super().__init__()
        self.url, self.token = url, token


@pytest.fixture
def choice_parts():
    settings = [Settings()]
    local = FakeEngine()
    built: list[str] = []

    def build_local():
        built.append("local")
        return local

    choice = EngineChoice(lambda: settings[0], build_local, remote=Remote, token=lambda: TOKEN)
    return choice, settings, local, built


def test_the_local_engine_is_built_once_at_the_first_job(choice_parts):
    choice, _settings, local, built = choice_parts
    starts: list[bool] = []
    engine, changed = choice.pick(lambda: starts.append(True))
    assert engine is local
    assert changed
    assert starts == [True]
    engine, changed = choice.pick(lambda: starts.append(True))
    assert engine is local
    assert not changed
    assert starts == [True]  # built once
    assert built == ["local"]
    choice.generate(request(seed=5, steps=2))
    assert local.calls[-1].seed == 5


def test_a_server_in_settings_takes_the_next_job_and_back(choice_parts):
    choice, settings, local, built = choice_parts
    choice.generate(request(steps=1))
    settings[0] = replace(Settings(), engine="server", server_url="http://gpu-box:8000")
    engine, changed = choice.pick()
    assert isinstance(engine, Remote)
    assert changed
    assert (engine.url, engine.token) == ("http://gpu-box:8000", TOKEN)
    assert choice.pick()[0] is engine  # one client per address and token
    choice.generate(request(seed=9, steps=1))
    assert engine.calls[-1].seed == 9
    settings[0] = Settings()
    engine, changed = choice.pick()
    assert engine is local
    assert changed
    assert built == ["local"]  # never loaded twice


def test_a_server_without_address_or_token_says_what_to_do(choice_parts, tmp_path,
                                                             monkeypatch):
    choice, settings, _local, _built = choice_parts
    settings[0] = replace(Settings(), engine="server")
    with pytest.raises(BadInput, match="no address"):
        choice.pick()
    monkeypatch.setenv("T2IA_HOME", str(tmp_path))
    no_token = EngineChoice(lambda: replace(Settings(), engine="server",
                                            server_url="http://gpu:8000"), None, remote=Remote)
    with pytest.raises(BadInput, match="no server token"):
        no_token.pick()


def test_an_extra_worker_never_loads_the_local_engine(choice_parts):
    extra = EngineChoice(lambda: Settings(), None, remote=Remote, token=lambda: TOKEN)
    with pytest.raises(BadInput, match="run it again"):
        extra.pick()


def test_the_token_is_kept_for_its_owner_only(tmp_path):
    path = tmp_path / "token"
    save_token(f"  {TOKEN}\n", path)
    assert saved_token(path) == TOKEN
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(BadInput, match="16 to 512"):
        save_token("short", path)
    assert saved_token(path) == TOKEN  # a refused token leaves the kept one
    save_token("", path)
    assert not path.exists()
    assert saved_token(path) == ""
