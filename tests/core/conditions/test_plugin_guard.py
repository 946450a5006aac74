"""Plugins cannot take the app down: SystemExit, KeyboardInterrupt and a register() that never
returns are that plugin's failure; what plugins print goes to the log; safe mode."""

from __future__ import annotations

import logging
import threading

import pytest

from t2ia_desktop.core.conditions.plugin_guard import PluginCodeFailed, abandon_when, call_plugin
from t2ia_desktop.core.conditions.plugin_manifest import PluginFolder
from t2ia_desktop.core.conditions.plugins import (
    PluginHost,
    default_plugin_folders,
    load_plugins,
)
from t2ia_desktop.core.conditions.registry import builtin_conditions
from tests.plugin_folders import HANGING_REGISTER, good_plugin, hung, write_plugin

BUILTIN_IDS = [c.id for c in builtin_conditions()]
__all__ = ["hung"]  # the fixture


def load(root, **options):
    registry, records = load_plugins([PluginFolder(root, "--plugins")], entry_points=False,
                                     **options)
    return registry, {r.id: r for r in records}


@pytest.mark.parametrize(("code", "says"), [
    ("import sys\nsys.exit(3)\n", "cannot import it: SystemExit: 3 ("),
    ("raise SystemExit\n", "cannot import it: SystemExit ("),
    ("raise KeyboardInterrupt\n", "cannot import it: KeyboardInterrupt ("),
    ("import sys\ndef register():\n    sys.exit('bye')\n",
     "it raised while registering: SystemExit: bye ("),
    ("def register():\n    raise KeyboardInterrupt\n",
     "it raised while registering: KeyboardInterrupt ("),
])
def test_system_exit_and_keyboard_interrupt_are_that_plugins_failure(tmp_path, code, says):
    write_plugin(tmp_path, "quitter", code)
    good_plugin(tmp_path, "other")
    registry, records = load(tmp_path)
    assert says in records["quitter"].error
    assert "code.py, line" in records["quitter"].error
    assert records["quitter"].state == "failed"
    assert records["other"].state == "loaded"
    assert registry.ids() == [*BUILTIN_IDS, "cut-lines"]


def test_a_register_that_never_returns_fails_after_the_time_limit(tmp_path, hung):
    write_plugin(tmp_path, "stuck", HANGING_REGISTER)
    good_plugin(tmp_path, "other")
    host = PluginHost([PluginFolder(tmp_path, "--plugins")], None, entry_points=False,
                      time_limit=0.3)
    records = {r.id: r for r in host.records}
    assert hung.is_set()
    assert records["stuck"].error.startswith("it did not finish registering in 0.3 s")
    assert "left running" in records["stuck"].error
    assert records["other"].state == "loaded"
    assert "cut-lines" in host.registry
    host.reload()  # still stuck: refused at once rather than waited for again
    records = {r.id: r for r in host.records}
    assert records["stuck"].error.startswith("it is still registering from an earlier load")
    assert "cut-lines" in host.registry


def test_what_plugins_print_goes_to_the_log_not_the_terminal(tmp_path, capsys, caplog):
    write_plugin(tmp_path, "chatty", """
        import sys
        print("imported", "at last")
        from t2ia_desktop.plugin_api import ConditionType

        def register():
            sys.stderr.write("registering...")
            return ConditionType("chat", "Chat", "", {"sdxl": "o/r"}, detector="canny")
    """)
    with caplog.at_level(logging.INFO, logger="t2ia_desktop.plugins.output"):
        print("the app's own line")
        registry, _ = load(tmp_path)
        print("the app's next line")
    assert "chat" in registry
    captured = capsys.readouterr()
    assert captured.out == "the app's own line\nthe app's next line\n"
    assert captured.err == ""
    logged = [(r.levelname, r.getMessage()) for r in caplog.records
              if r.name == "t2ia_desktop.plugins.output"]
    assert ("WARNING", "plugin chatty: imported at last") in logged
    assert ("WARNING", "plugin chatty: registering...") in logged


def test_with_no_log_configured_plugin_output_goes_to_stderr_once(tmp_path, capsys,
                                                                  monkeypatch):
    monkeypatch.setattr(logging.root, "handlers", [])  # as on the command line: last resort
    write_plugin(tmp_path, "chatty", """
        from t2ia_desktop.plugin_api import ConditionType
        print("hello")

        def register():
            return ConditionType("chat", "Chat", "", {"sdxl": "o/r"}, detector="canny")
    """)
    registry, records = load(tmp_path)
    assert records["chatty"].state == "loaded"
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "plugin chatty: hello\n"


def test_output_of_other_threads_meanwhile_stays_on_the_terminal(capsys):
    started, finish = threading.Event(), threading.Event()

    def plugin_code():
        started.set()
        finish.wait(10)
        print("from the plugin")

    result = []
    caller = threading.Thread(target=lambda: result.append(
        call_plugin(plugin_code, owner="plugin p", time_limit=10)))
    caller.start()
    started.wait(10)
    print("from the app, while the plugin runs")
    finish.set()
    caller.join(10)
    assert capsys.readouterr().out == "from the app, while the plugin runs\n"


def test_a_wait_tied_to_quitting_gives_up_soon_after(hung, monkeypatch):
    import t2ia_desktop.core.conditions.plugin_guard as guard

    monkeypatch.setattr(guard, "QUIT_GRACE_S", 0.1)
    from tests.plugin_folders import hang

    quitting = threading.Event()
    quitting.set()
    with abandon_when(quitting), pytest.raises(PluginCodeFailed, match="quitting") as failure:
        call_plugin(hang, owner="plugin p", time_limit=None, key="hanging detector")
    assert failure.value.kind == "quit"


def test_safe_mode_loads_the_bundled_plugins_only_and_lists_the_others(tmp_path):
    folder = write_plugin(tmp_path / "user", "mine", """
        open(__file__ + ".imported", "w").close()
        def register():
            return []
    """)
    good_plugin(tmp_path / "extra", "extra")
    host = PluginHost(default_plugin_folders([tmp_path / "extra"])
                      + [PluginFolder(tmp_path / "user", "user")],
                      tmp_path / "plugins.json", entry_points=False, safe_mode=True)
    states = {r.id: (r.origin, r.state) for r in host.records}
    assert states["posterize-sketch"] == ("bundled", "loaded")
    assert states["hed-soft-edges"] == ("bundled", "loaded")
    assert states["mine"] == ("user", "skipped")
    assert states["extra"] == ("--plugins", "skipped")
    assert "safe mode" in host.records[-1].skipped
    assert not (folder / "code.py.imported").exists()  # its code never ran
    assert "posterize-sketch" in host.registry
    assert "cut-lines" not in host.registry
    host.set_enabled("mine", False)  # the artist turns the culprit off, for the next start
    host.reload()
    assert {r.id: r.state for r in host.records}["mine"] == "disabled"
    normal = PluginHost([PluginFolder(tmp_path / "user", "user")], tmp_path / "plugins.json",
                        entry_points=False)
    assert normal.records[0].state == "disabled"
    assert not (folder / "code.py.imported").exists()
