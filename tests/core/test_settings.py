"""The settings store: defaults, a round trip through the file, damaged and newer files (the
defaults and a note, never a crash, the file kept), unknown keys kept, environment overrides."""

from __future__ import annotations

import json
import os
from dataclasses import replace

import pytest

from t2ia_desktop.core.paths import data_dir
from t2ia_desktop.core.settings import (
    SCHEMA_VERSION,
    Settings,
    SettingsStore,
    current_annotators_root,
    folder_problem,
    settings_path,
    taesd_folder_for,
)


def test_a_missing_file_gives_the_defaults(tmp_path):
    store = SettingsStore(tmp_path / "settings.json")
    assert store.settings == Settings()
    assert store.note == ""
    assert store.settings.autosave_seconds == 30.0
    assert store.memory_policy == "auto"
    assert store.settings.step_preview_decoder == "approximate"
    assert settings_path() == data_dir() / "settings.json"  # the user data folder by default


def test_settings_round_trip_and_keep_keys_they_do_not_know(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 1, "from_a_plugin": {"x": 1}, "live_opacity": 0.5}))
    store = SettingsStore(path)
    assert store.settings.live_opacity == 0.5
    chosen = Settings(annotators_folder=str(tmp_path), autosave_seconds=12,
                      step_preview_decoder="taesd", taesd_folder="/somewhere",
                      live_opacity=0.4, memory_policy="low-vram")
    store.save(chosen)

    again = SettingsStore(path)
    assert again.settings == chosen
    assert again.memory_policy == "low-vram"
    data = json.loads(path.read_text())
    assert data["version"] == SCHEMA_VERSION
    assert data["from_a_plugin"] == {"x": 1}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".settings")]  # no leftovers


@pytest.mark.parametrize(("content", "why"), [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "not a JSON object"),
    ("[" * 100_000 + "]" * 100_000, "nests deeper"),
    (json.dumps({"a": [[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}), "nests deeper"),
    (json.dumps({"version": SCHEMA_VERSION + 1, "live_opacity": 0.3}), "newer version"),
    (json.dumps({"version": "one"}), "version that is not valid"),
])
def test_a_damaged_or_newer_file_is_set_aside_with_a_note_once(tmp_path, content, why):
    path = tmp_path / "settings.json"
    path.write_text(content)
    store = SettingsStore(path)
    assert store.settings == Settings()
    assert why in store.note
    assert str(path) in store.note
    assert "default" in store.note
    (aside,) = tmp_path.glob("settings.json-unreadable-*")
    assert f"was set aside as {aside.name}" in store.note
    assert aside.read_text() == content  # nothing lost
    assert not path.exists()
    assert SettingsStore(path).note == ""  # told once

    store.save(replace(Settings(), autosave_seconds=60))
    assert SettingsStore(path).settings.autosave_seconds == 60
    assert store.note == ""


def test_a_folder_where_the_file_should_be_is_set_aside(tmp_path):
    path = tmp_path / "settings.json"
    path.mkdir()
    store = SettingsStore(path)
    assert store.settings == Settings()
    assert "is a folder" in store.note
    store.save(Settings(live_opacity=0.5))
    assert SettingsStore(path).settings.live_opacity == 0.5


def test_bad_values_fall_back_one_by_one(tmp_path):
    path = tmp_path / "settings.json"
    content = ('{"autosave_seconds": -3, "memory_policy": "turbo", "live_opacity": 0.6, '
               '"taesd_folder": 7, "step_preview_decoder": NaN, "from_a_plugin": [1]}')
    path.write_text(content)
    store = SettingsStore(path)
    assert store.settings == Settings(live_opacity=0.6)
    assert "memory_policy" in store.note
    assert "autosave_seconds" in store.note
    (kept,) = tmp_path.glob("settings.json-unreadable-*")
    assert kept.read_text() == content  # the file as it was
    assert f"kept as {kept.name}" in store.note
    again = SettingsStore(path)  # the checked settings were written: told once
    assert again.note == ""
    assert again.settings == Settings(live_opacity=0.6)
    assert json.loads(path.read_text())["from_a_plugin"] == [1]  # unknown keys stay
    with pytest.raises(ValueError, match="step_preview_decoder"):
        store.save(Settings(step_preview_decoder="vae"))


@pytest.mark.parametrize("value", ["10" * 200, "1e999", "-1e999", "NaN", "true", '"30"', "[]"])
def test_a_number_setting_of_any_wrong_kind_falls_back(tmp_path, value):
    path = tmp_path / "settings.json"
    path.write_text(f'{{"autosave_seconds": {value}, "live_opacity": {value}}}')
    store = SettingsStore(path)
    assert store.settings == Settings()
    assert "autosave_seconds" in store.note


def test_environment_wins_over_the_file(tmp_path, monkeypatch):
    path = tmp_path / "settings.json"
    SettingsStore(path).save(Settings(annotators_folder="/from/file", autosave_seconds=40))
    monkeypatch.setenv("T2IA_ANNOTATORS", "/from/env")
    monkeypatch.setenv("T2IA_AUTOSAVE_SECONDS", "0.05")
    store = SettingsStore(path)
    effective = store.effective()
    assert effective.annotators_folder == "/from/env"
    assert effective.autosave_seconds == 0.05
    assert store.settings.annotators_folder == "/from/file"  # what the dialog edits
    assert set(store.overridden()) == {"annotators_folder", "autosave_seconds"}
    store.apply_environment()
    assert os.environ["T2IA_ANNOTATORS"] == "/from/env"


def test_the_annotators_setting_reaches_the_weight_look_ups(tmp_path, monkeypatch):
    monkeypatch.setenv("T2IA_ANNOTATORS", "")  # restored after the test
    monkeypatch.delenv("T2IA_ANNOTATORS")
    store = SettingsStore(tmp_path / "settings.json")
    store.save(Settings(annotators_folder=str(tmp_path / "weights")))
    store.apply_environment()
    assert os.environ["T2IA_ANNOTATORS"] == str(tmp_path / "weights")
    store.save(Settings())
    store.apply_environment()
    assert "T2IA_ANNOTATORS" not in os.environ


def test_the_annotators_folder_is_read_from_the_store_not_the_environment(tmp_path,
                                                                          monkeypatch):
    monkeypatch.delenv("T2IA_ANNOTATORS", raising=False)
    store = SettingsStore()
    assert store.annotators_root() is None  # the app's own folder
    assert current_annotators_root() is None
    store.save(Settings(annotators_folder=str(tmp_path / "weights")))
    assert store.annotators_root() == tmp_path / "weights"  # at once, no apply_environment
    assert current_annotators_root() == tmp_path / "weights"  # what the command line reads
    assert "T2IA_ANNOTATORS" not in os.environ
    monkeypatch.setenv("T2IA_ANNOTATORS", str(tmp_path / "override"))
    assert current_annotators_root() == tmp_path / "override"  # the user's override wins
    assert SettingsStore().annotators_root() == tmp_path / "override"
    assert store.annotators_root() == tmp_path / "weights"  # as it stood at this launch


def test_folder_problems_say_what_to_do(tmp_path):
    assert folder_problem("") == ""
    assert folder_problem(str(tmp_path)) == ""
    assert "does not exist" in folder_problem(str(tmp_path / "nope"))
    (tmp_path / "file").write_text("x")
    assert "not a folder" in folder_problem(str(tmp_path / "file"))
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if not os.access(locked, os.W_OK):  # root can write anywhere
            assert "not writable" in folder_problem(str(locked))
        assert folder_problem(str(locked), writable=False) == ""
    finally:
        locked.chmod(0o700)


def test_taesd_folders_are_found_per_family(tmp_path):
    settings = Settings(taesd_folder=str(tmp_path))
    assert taesd_folder_for(settings, "sdxl") is None
    (tmp_path / "taesdxl").mkdir()
    (tmp_path / "taesdxl" / "config.json").write_text("{}")
    assert taesd_folder_for(settings, "sdxl") is None  # no weights yet
    (tmp_path / "taesdxl" / "diffusion_pytorch_model.safetensors").write_bytes(b"")
    assert taesd_folder_for(settings, "sdxl") == tmp_path / "taesdxl"
    assert taesd_folder_for(settings, "sd15") is None
    assert Settings().taesd_root() == data_dir() / "taesd"


def test_settings_are_written_as_every_state_file_is(tmp_path):
    """Through a link to its target, with the umask's permissions (not mkstemp's 0600), and a
    killed write's leftover swept at the next save."""
    from t2ia_desktop.core.files.atomic_file import current_umask

    real = tmp_path / "elsewhere" / "settings.json"
    real.parent.mkdir()
    real.write_text(json.dumps({"version": SCHEMA_VERSION}))
    link = tmp_path / "settings.json"
    link.symlink_to(real)
    os.chmod(real, 0o640)
    leftover = real.parent / ".settings.json.t2ia-abcd1234.tmp"
    leftover.write_text("half a file")
    os.utime(leftover, (1_000_000, 1_000_000))  # long untouched: a killed save's
    store = SettingsStore(link)
    store.save(replace(store.settings, live_opacity=0.25))
    assert link.is_symlink()
    assert json.loads(real.read_text())["live_opacity"] == 0.25
    assert real.stat().st_mode & 0o777 == 0o640  # an existing file keeps its own
    assert not leftover.exists()
    fresh = SettingsStore(tmp_path / "new" / "settings.json")
    fresh.save(fresh.settings)
    assert fresh.path.stat().st_mode & 0o777 == 0o666 & ~current_umask()
    assert SettingsStore(link).settings.live_opacity == 0.25


def test_live_steps_out_of_range_or_not_a_whole_number_fall_back_to_the_default():
    from t2ia_desktop.core.settings import DEFAULT_LIVE_STEPS

    assert Settings(live_steps=12).checked() == (Settings(live_steps=12), [])
    for bad in (0, 51, 4.5, True, "6"):
        checked, problems = Settings(live_steps=bad).checked()
        assert checked.live_steps == DEFAULT_LIVE_STEPS
        assert problems == [f"live_steps {bad!r} is not valid; using {DEFAULT_LIVE_STEPS}"]
