"""Condition plugins: discovery, manifests, isolation of broken plugins, API versions, reload."""

from __future__ import annotations

import sys
import textwrap

import pytest
from PIL import Image

from t2ia_desktop.core.conditions.plugin_manifest import (
    API_VERSION,
    PluginFolder,
    bundled_plugins_dir,
)
from t2ia_desktop.core.conditions.plugins import PluginHost, default_plugin_folders, load_plugins
from t2ia_desktop.core.conditions.registry import ParamSpec, builtin_conditions
from t2ia_desktop.core.errors import BadInput
from tests.plugin_folders import SKETCH_SDXL, good_plugin, manifest, write_plugin

BUILTIN_IDS = [c.id for c in builtin_conditions()]


def load(root, disabled=()):
    registry, records = load_plugins([PluginFolder(root, "--plugins")], disabled,
                                     entry_points=False)
    return registry, {r.id: r for r in records}


def test_a_good_plugin_adds_its_condition_after_the_builtins(tmp_path):
    good_plugin(tmp_path)
    registry, records = load(tmp_path)
    assert registry.ids() == [*BUILTIN_IDS, "cut-lines"]
    record = records["good"]
    assert record.state == "loaded"
    assert record.conditions == ("cut-lines",)
    assert record.origin == "--plugins"
    assert record.location == str(tmp_path / "good")
    condition = registry.get("cut-lines")
    assert condition.adapters == {"sdxl": SKETCH_SDXL}
    assert str(tmp_path / "good") in condition.source
    assert "Good" in condition.source
    picture = Image.new("L", (8, 8), 20)
    assert condition.detector(picture, condition.default_params()).getextrema() == (255, 255)


def test_one_plugin_folder_can_be_given_itself(tmp_path):
    folder = good_plugin(tmp_path)
    registry, _ = load_plugins([PluginFolder(folder, "--plugins")], entry_points=False)
    assert "cut-lines" in registry


@pytest.mark.parametrize(("text", "says"), [
    ("id = 'x'\nname = 'X'", "lacks version, api, entry"),
    ("this is = not toml [", "not valid TOML"),
    (manifest("bad").replace("api = 1", "api = 'one'"), "api must be a whole number"),
    (manifest("Bad Id"), "id 'Bad Id' must be lower-case"),
    (manifest("bad", entry="no colon"), "must be 'module:object'"),
])
def test_a_bad_manifest_is_recorded_with_what_to_fix_and_the_rest_load(tmp_path, text, says):
    write_plugin(tmp_path, "broken", "raise SystemExit('never imported')", text)
    good_plugin(tmp_path, "other")
    registry, records = load(tmp_path)
    assert says in records["broken"].error
    assert records["broken"].state == "failed"
    assert "plugin.toml" in records["broken"].error
    assert records["other"].state == "loaded"
    assert "cut-lines" in registry


def test_an_import_error_names_the_plugin_file_and_line(tmp_path):
    folder = write_plugin(tmp_path, "broken", "x = 1\nimport no_such_module_here\n")
    good_plugin(tmp_path, "other")
    registry, records = load(tmp_path)
    error = records["broken"].error
    assert error.startswith("cannot import it: ModuleNotFoundError")
    assert "no_such_module_here" in error
    assert f"{folder / 'code.py'}, line 2" in error
    assert "cut-lines" in registry


def test_a_syntax_error_and_a_missing_entry_object_are_told(tmp_path):
    write_plugin(tmp_path, "syntax", "def broken(:\n")
    write_plugin(tmp_path, "noentry", "value = 1\n")
    _, records = load(tmp_path)
    assert "SyntaxError" in records["syntax"].error
    assert "line 1" in records["syntax"].error
    assert "has no 'register'" in records["noentry"].error


def test_register_raising_is_that_plugins_error_only(tmp_path):
    write_plugin(tmp_path, "raiser", """
        def register():
            raise RuntimeError("the model list is empty")
    """)
    good_plugin(tmp_path, "other")
    registry, records = load(tmp_path)
    assert records["raiser"].error.startswith(
        "it raised while registering: RuntimeError: the model list is empty")
    assert "code.py, line 3" in records["raiser"].error
    assert registry.ids() == [*BUILTIN_IDS, "cut-lines"]


HEADER = "from t2ia_desktop.plugin_api import ConditionType, ParamSpec\ndef register():\n"


@pytest.mark.parametrize(("code", "says"), [
    ("def register():\n    return 42\n", "not a ConditionType"),
    ("def register():\n    return []\n", "gave no conditions"),
    (HEADER + "    return ConditionType('x', 'X', '', {'sdxl': 'a/b'}, detector='nope')\n",
     "its detector must be a function"),
    (HEADER + "    return ConditionType('x', 'X', '', {'sdxl3': 'a/b'}, detector='canny')\n",
     "family 'sdxl3'"),
    (HEADER + "    return ConditionType('x', 'X', '', {'sdxl': 'a/b'}, detector='canny',\n"
              "        params=(ParamSpec('c', 'colour', 'red'),))\n",
     "default of c does not fit"),
])
def test_what_a_plugin_registers_is_checked(tmp_path, code, says):
    write_plugin(tmp_path, "odd", code)
    registry, records = load(tmp_path)
    assert says in records["odd"].error
    assert "x" not in registry


def test_duplicate_ids_are_refused_and_the_first_one_kept(tmp_path):
    good_plugin(tmp_path, "a_first", condition="cut-lines")
    good_plugin(tmp_path, "b_same_condition", condition="cut-lines")
    good_plugin(tmp_path, "c_builtin", condition="sketch")
    write_plugin(tmp_path, "d_same_plugin_id", "", manifest("a_first"))
    registry, found = load_plugins([PluginFolder(tmp_path, "x")], entry_points=False)
    records = {r.location.rsplit("/", 1)[-1]: r for r in found}
    assert "cut-lines" in registry
    assert records["a_first"].state == "loaded"
    assert "condition id 'cut-lines' is already taken by plugin A_First" \
        in records["b_same_condition"].error
    assert "'sketch' is already taken by built-in" in records["c_builtin"].error
    assert registry.get("sketch").source == "built-in"
    assert "another plugin with id 'a_first' is already loaded" \
        in records["d_same_plugin_id"].error


def test_a_plugin_needing_a_newer_api_is_refused_with_the_reason_before_import(tmp_path):
    write_plugin(tmp_path, "future", "raise SystemExit('must not be imported')",
                 manifest("future", api=API_VERSION + 1))
    registry, records = load(tmp_path)
    error = records["future"].error
    assert f"needs plugin API {API_VERSION + 1}" in error
    assert f"provides API {API_VERSION}" in error
    assert "update t2ia desktop" in error
    assert registry.ids() == BUILTIN_IDS


def test_a_disabled_plugin_is_listed_but_never_imported(tmp_path):
    write_plugin(tmp_path, "off", "raise SystemExit('must not be imported')")
    registry, records = load(tmp_path, disabled={"off"})
    assert records["off"].state == "disabled"
    assert not records["off"].error
    assert registry.ids() == BUILTIN_IDS


def test_two_plugins_may_have_modules_of_the_same_name(tmp_path):
    good_plugin(tmp_path, "one", condition="one-lines")
    good_plugin(tmp_path, "two", condition="two-lines")
    registry, _ = load(tmp_path)
    assert {"one-lines", "two-lines"} <= set(registry.ids())
    assert registry.get("one-lines").detector is not registry.get("two-lines").detector


def test_relative_imports_and_local_adapter_folders_resolve_inside_the_plugin(tmp_path):
    folder = write_plugin(tmp_path, "local", """
        from t2ia_desktop.plugin_api import ConditionType
        from .helpers import LABEL

        def register():
            return ConditionType("local-edges", LABEL, "", {"sdxl": "adapter", "sd15": "o/r"},
                                 detector="canny")
    """)
    (folder / "helpers.py").write_text("LABEL = 'Local edges'\n")
    (folder / "adapter").mkdir()
    registry, _ = load(tmp_path)
    condition = registry.get("local-edges")
    assert condition.label == "Local edges"
    assert condition.adapters == {"sdxl": str((folder / "adapter").resolve()), "sd15": "o/r"}


def test_reload_picks_up_changed_new_and_removed_plugins_in_the_same_registry(tmp_path):
    good_plugin(tmp_path, "good", label="Cut lines")
    host = PluginHost([PluginFolder(tmp_path, "--plugins")], tmp_path / "settings.json",
                      entry_points=False)
    registry = host.registry
    reloads = []
    host.reloaded.connect(lambda: reloads.append(1))
    assert registry.get("cut-lines").label == "Cut lines"
    good_plugin(tmp_path, "good", label="Cut lines v2")
    good_plugin(tmp_path, "newer", condition="new-lines")
    host.reload()
    assert host.registry is registry
    assert reloads == [1]
    assert registry.get("cut-lines").label == "Cut lines v2"
    assert "new-lines" in registry
    (tmp_path / "newer" / "plugin.toml").unlink()
    host.reload()
    assert "new-lines" not in registry
    assert "cut-lines" in registry


def test_reload_reads_a_changed_file_even_within_the_same_second(tmp_path):
    folder = write_plugin(tmp_path, "same", textwrap.dedent("""
        from t2ia_desktop.plugin_api import ConditionType
        def register():
            return ConditionType("same", "AAAA", "", {"sdxl": "o/r"}, detector="canny")
    """))
    host = PluginHost([PluginFolder(tmp_path, "x")], None, entry_points=False)
    code = folder / "code.py"
    stat = code.stat()
    code.write_text(code.read_text().replace("AAAA", "BBBB"))  # same size, same mtime second
    import os

    os.utime(code, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    host.reload()
    assert host.registry.get("same").label == "BBBB"


def test_disabling_is_kept_in_a_settings_file(tmp_path):
    plugins, settings = tmp_path / "plugins", tmp_path / "data" / "plugins.json"
    good_plugin(plugins)
    host = PluginHost([PluginFolder(plugins, "user")], settings, entry_points=False)
    host.set_enabled("good", False)
    host.reload()
    assert "cut-lines" not in host.registry
    again = PluginHost([PluginFolder(plugins, "user")], settings, entry_points=False)
    assert again.records[0].state == "disabled"
    again.set_enabled("good", True)
    again.reload()
    assert "cut-lines" in again.registry
    assert again.take_notes() == []


def test_entry_point_plugins_are_found_through_installed_package_metadata(tmp_path, monkeypatch):
    site = tmp_path / "site"
    (site / "inkfx").mkdir(parents=True)
    (site / "inkfx" / "__init__.py").write_text(textwrap.dedent("""
        from t2ia_desktop.plugin_api import ConditionType
        PLUGIN_API = 1
        def conditions():
            return [ConditionType("ink-edges", "Ink edges", "", {"sdxl": "o/r"}, detector="canny")]
    """))
    dist = site / "inkfx-2.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: inkfx\nVersion: 2.0\n")
    (dist / "entry_points.txt").write_text("[t2ia_desktop.conditions]\nink = inkfx:conditions\n")
    monkeypatch.syspath_prepend(str(site))
    registry, records = load_plugins([], entry_points=True)
    record = next(r for r in records if r.id == "ink")
    assert record.origin == "entry point"
    assert record.state == "loaded"
    assert record.location == "inkfx:conditions in inkfx 2.0"
    assert registry.get("ink-edges").source == \
        "plugin inkfx 2.0 (entry point inkfx:conditions in inkfx 2.0)"
    sys.modules.pop("inkfx", None)


def test_the_bundled_plugins_are_found_from_the_source_tree_and_load():
    assert (bundled_plugins_dir() / "posterize_sketch" / "plugin.toml").is_file()
    registry, records = load_plugins(default_plugin_folders(), entry_points=False)
    bundled = {r.id: r for r in records if r.origin == "bundled"}
    assert {"posterize-sketch", "hed-soft-edges"} <= set(bundled)
    assert all(r.state == "loaded" for r in bundled.values()), bundled
    kinds = {spec.kind for spec in registry.get("posterize-sketch").params}
    assert kinds == {"int", "bool", "choice", "colour"}
    assert registry.get("hed-soft-edges").weight_files == ("ControlNetHED.pth",)


def test_colour_parameters_take_hex_colours_only():
    spec = ParamSpec("ink", "colour", "#000000")
    assert spec.parse(" #FF8800 ") == "#ff8800"
    for bad in ("red", "#12345", "#1234567", "ff8800", 3):
        with pytest.raises(BadInput, match="#rrggbb"):
            spec.check(bad)
