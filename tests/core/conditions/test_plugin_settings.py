"""plugins.json, the plugins the artist turned off: a damaged file never turns them back on. It
is set aside, the artist is told once, and every plugin but the bundled ones stays off until the
artist turns it on."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from t2ia_desktop.core.conditions.plugin_manifest import PluginFolder
from t2ia_desktop.core.conditions.plugin_settings import (
    PluginState,
    parse_plugin_state,
    read_plugin_state,
)
from t2ia_desktop.core.conditions.plugins import PluginHost, default_plugin_folders
from t2ia_desktop.core.errors import BadInput
from tests.plugin_folders import good_plugin

DAMAGE = {
    "not json": b"{ not json",
    "empty": b"",
    "truncated": b'{"version": 1, "disabled": ["go',
    "a list": b'["good"]',
    "a number": b"5",
    "no version": b'{"disabled": ["good"]}',
    "a string version": b'{"version": "1", "disabled": []}',
    "a dict of disabled": b'{"version": 1, "disabled": {"good": true}}',
    "deep nesting": b'{"version": 1, "disabled": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "not utf-8": b'{"version": 1, "disabled": ["\xff\xfe"]}',
    "too big": b'{"version": 1, "disabled": ["' + b"x" * 1_100_000 + b'"]}',
}


def host_of(tmp_path, **options):
    return PluginHost([*default_plugin_folders(), PluginFolder(tmp_path / "plugins", "user")],
                      tmp_path / "data" / "plugins.json", entry_points=False, **options)


@pytest.fixture
def two_plugins(tmp_path):
    good_plugin(tmp_path / "plugins", "good", condition="cut-lines")
    good_plugin(tmp_path / "plugins", "wanted", condition="wanted-lines")
    return tmp_path / "data" / "plugins.json"


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_plugins_file_keeps_plugins_off_until_the_artist_decides(
        tmp_path, two_plugins, damage):
    path = two_plugins
    path.parent.mkdir(parents=True)
    path.write_bytes(DAMAGE[damage])
    host = host_of(tmp_path)
    states = {r.id: r.state for r in host.records}
    assert states["good"] == states["wanted"] == "disabled"  # never back on unasked
    assert states["posterize-sketch"] == "loaded"  # the bundled ones are part of the app
    assert "cut-lines" not in host.registry
    notes = host.take_notes()
    assert len(notes) == 1
    assert "could not be read" in notes[0]
    assert "Help → Plugins…" in notes[0]
    aside = [p for p in path.parent.iterdir() if p.name.startswith("plugins-unreadable-")]
    assert len(aside) == 1
    assert aside[0].name in notes[0]
    assert aside[0].read_bytes() == DAMAGE[damage]  # kept as it was, never deleted
    assert host.take_notes() == []  # told once

    again = host_of(tmp_path)  # the next start: still off, nothing more to say
    assert {r.id: r.state for r in again.records}["good"] == "disabled"
    assert again.take_notes() == []
    again.set_enabled("wanted", True)  # the artist decides
    again.reload()
    states = {r.id: r.state for r in again.records}
    assert states["wanted"] == "loaded"
    assert states["good"] == "disabled"


def test_a_folder_in_place_of_the_plugins_file_is_set_aside_too(tmp_path, two_plugins):
    two_plugins.mkdir(parents=True)
    host = host_of(tmp_path)
    assert {r.id: r.state for r in host.records}["good"] == "disabled"
    assert two_plugins.is_file()
    assert "cannot be read" in host.take_notes()[0]


def test_a_plugins_file_that_cannot_be_replaced_keeps_them_off_this_time(
        tmp_path, two_plugins, monkeypatch):
    import t2ia_desktop.core.conditions.plugins as plugins

    two_plugins.parent.mkdir(parents=True)
    two_plugins.write_text("{ not json")

    def read_only(_path):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(plugins, "set_aside", read_only)
    host = host_of(tmp_path)
    assert {r.id: r.state for r in host.records}["good"] == "disabled"
    assert "nor replaced (Permission denied)" in host.take_notes()[0]
    assert host.disabled() >= {"good", "wanted"}
    host.reload()
    assert {r.id: r.state for r in host.records}["good"] == "disabled"


def test_one_bad_entry_is_skipped_on_its_own():
    data = json.dumps({"version": 1, "disabled": ["good", 5, None, "", ["x"], "other"]})
    assert parse_plugin_state(data.encode()) == {"good", "other"}


def test_a_newer_version_is_read_while_its_list_reads():
    data = json.dumps({"version": 7, "disabled": ["good"], "colours": {"good": "red"}})
    assert parse_plugin_state(data.encode()) == {"good"}


def test_no_file_turns_nothing_off(tmp_path):
    assert read_plugin_state(tmp_path / "plugins.json") == PluginState()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["version", "disabled", "x"]) | st.text(max_size=4),
                      children, max_size=4),
    max_leaves=12)


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode())))
def test_no_damaged_plugins_file_makes_the_loader_raise(data):
    try:
        disabled = parse_plugin_state(data)
    except BadInput:
        return
    assert all(isinstance(i, str) for i in disabled)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=64))
def test_the_host_never_turns_a_disabled_plugin_back_on(tmp_path_factory, data):
    root = tmp_path_factory.mktemp("host")
    good_plugin(root / "plugins", "good")
    path = root / "data" / "plugins.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    state = read_plugin_state(path)
    host = host_of(root)
    good = {r.id: r.state for r in host.records}["good"]
    if state.unreadable:
        assert good == "disabled"
    else:
        assert good == ("disabled" if "good" in state.disabled else "loaded")


def test_when_the_new_plugins_file_cannot_be_written_the_old_one_goes_back(
        tmp_path, two_plugins, monkeypatch):
    import t2ia_desktop.core.conditions.plugins as plugins

    two_plugins.parent.mkdir(parents=True)
    two_plugins.write_text("{ not json")

    def disk_full(_path, _disabled):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(plugins, "write_plugin_state", disk_full)
    host = host_of(tmp_path)
    assert {r.id: r.state for r in host.records}["good"] == "disabled"
    assert two_plugins.read_text() == "{ not json"  # no file at all would turn them all on
    assert [p.name for p in two_plugins.parent.iterdir()] == ["plugins.json"]
    assert "nor replaced (No space left on device)" in host.take_notes()[0]
