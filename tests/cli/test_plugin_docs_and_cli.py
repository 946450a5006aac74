"""The documented plugin example, copied verbatim from plugins/README.md, works; and the command
line's --plugins and conditions' sources."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image

from t2ia_desktop.cli.main import main
from t2ia_desktop.core.conditions.plugin_manifest import bundled_plugins_dir
from tests.plugin_folders import GOOD_CODE, HANGING_REGISTER, good_plugin, hung, write_plugin

GUIDE = bundled_plugins_dir() / "README.md"
__all__ = ["hung"]  # the fixture


def documented_example() -> dict[str, str]:
    """File name → text of each code block of "A complete minimal example", as written."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text.split("## A complete minimal example", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"`([\w/]+\.(?:toml|py))`:\n\n```(?:toml|python)\n(.*?)```", section,
                        re.DOTALL)
    return dict(blocks)


def test_the_documented_example_is_complete_short_and_works_verbatim(tmp_path, capsys):
    files = documented_example()
    assert set(files) == {"invert_lines/plugin.toml", "invert_lines/invert.py"}
    assert sum(code.count("\n") for code in files.values()) <= 40
    root = tmp_path / "my plugins"
    for name, code in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(code, encoding="utf-8")

    assert main(["conditions", "--plugins", str(root)]) == 0
    lines = {line.split("\t")[0]: line for line in capsys.readouterr().out.splitlines()}
    assert lines["invert-lines"].split("\t")[1:3] == ["Inverted lines", "sdxl"]
    assert lines["invert-lines"].endswith(f"plugin Invert lines 1.0.0 (--plugins folder "
                                          f"{root / 'invert_lines'})")

    drawing = Image.new("RGBA", (40, 30), (0, 0, 0, 0))  # a sketch layer: transparent paper
    drawing.paste((0, 0, 0, 255), (10, 10, 30, 12))
    drawing.save(tmp_path / "in.png")
    out = tmp_path / "out.png"
    assert main(["detect", "invert-lines", str(tmp_path / "in.png"), str(out),
                 "--param", "threshold=128", "--plugins", str(root)]) == 0
    control = np.asarray(Image.open(out))
    assert control.shape == (30, 40)
    assert control[11, 20] == 255
    assert control[2, 2] == 0


def test_plugins_given_before_or_after_the_command_and_more_than_once(tmp_path, capsys):
    good_plugin(tmp_path / "a", "one", condition="one-lines")
    good_plugin(tmp_path / "b", "two", condition="two-lines")
    assert main(["--plugins", str(tmp_path / "a"), "conditions",
                 "--plugins", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    ids = [line.split("\t")[0] for line in out.splitlines()]
    assert ids[-2:] == ["one-lines", "two-lines"]
    assert "\tbuilt-in" in out
    assert "plugin Posterize sketch 1.0.0 (bundled folder " in out


def test_a_broken_plugin_is_a_warning_and_a_missing_folder_an_error(tmp_path, capsys):
    write_plugin(tmp_path, "broken", "raise ValueError('nope')\n")
    assert main(["conditions", "--plugins", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "sketch\tSketch" in captured.out
    assert "warning: plugin broken" in captured.err
    assert "ValueError: nope" in captured.err
    assert main(["detect", "sketch", "a.png", "b.png", "--plugins", str(tmp_path / "no")]) == 2
    assert "--plugins" in capsys.readouterr().err
    assert main(["demo-model", str(tmp_path / "x"), "--plugins", str(tmp_path / "no")]) == 2


@pytest.mark.parametrize("code", [
    "import sys\nsys.exit(0)\n",
    "raise KeyboardInterrupt\n",
    "def register():\n    raise SystemExit(5)\n",
])
def test_a_plugin_that_exits_or_interrupts_is_a_warning_and_the_command_runs(tmp_path, capsys,
                                                                             code):
    write_plugin(tmp_path, "quitter", code)
    assert main(["conditions", "--plugins", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "sketch\tSketch" in captured.out
    assert "warning: plugin quitter" in captured.err


def test_a_register_that_never_returns_is_a_warning_after_the_time_limit(tmp_path, capsys, hung,
                                                                         monkeypatch):
    import t2ia_desktop.core.conditions.plugins as plugins

    monkeypatch.setattr(plugins, "REGISTER_TIME_LIMIT_S", 0.3)
    write_plugin(tmp_path, "stuck", HANGING_REGISTER)
    assert main(["conditions", "--plugins", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "sketch\tSketch" in captured.out
    assert "plugin stuck" in captured.err
    assert "did not finish registering in 0.3 s" in captured.err


def test_what_a_plugin_prints_stays_out_of_the_commands_output(tmp_path, capsys):
    write_plugin(tmp_path, "chatty", GOOD_CODE.format(condition="chat", label="Chat")
                 + "\nprint('hello from the plugin')\n")
    assert main(["conditions", "--plugins", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "hello" not in out
    assert all(len(line.split("\t")) == 5 for line in out.splitlines())


def test_a_detector_returning_junk_is_one_line_naming_the_plugin(tmp_path, capsys):
    write_plugin(tmp_path, "junk", """
        import numpy as np
        from t2ia_desktop.plugin_api import ConditionType

        def register():
            return ConditionType("floats", "Floats", "", {"sdxl": "o/r"},
                                 detector=lambda image, params: np.zeros((8, 8), np.float32))
    """)
    Image.new("RGB", (8, 8)).save(tmp_path / "in.png")
    assert main(["detect", "floats", str(tmp_path / "in.png"), str(tmp_path / "out.png"),
                 "--plugins", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "The Floats detector returned a ndarray, not a picture — from plugin Junk" in err
    assert not (tmp_path / "out.png").exists()


def test_safe_mode_runs_no_plugin_but_the_bundled_ones(tmp_path, capsys, monkeypatch):
    good_plugin(tmp_path / "a", "one", condition="one-lines")
    for before in (True, False):
        args = ["conditions", "--safe-mode", "--plugins", str(tmp_path / "a")]
        assert main(["--safe-mode", *args[:1], *args[2:]] if before else args) == 0
        out = capsys.readouterr().out
        assert "one-lines" not in out
        assert "posterize-sketch\t" in out
    import t2ia_desktop.app

    opened = []
    monkeypatch.setattr(t2ia_desktop.app, "run_gui", lambda **options: opened.append(options)
                        or 0)
    assert main(["--safe-mode"]) == 0
    assert main(["gui", "--safe-mode"]) == 0
    assert main(["gui"]) == 0
    assert opened == [{"project": None, "safe_mode": True}, {"project": None, "safe_mode": True},
                      {"project": None}]


def test_the_guide_states_the_limits_the_app_applies():
    from t2ia_desktop.core.conditions.plugins import REGISTER_TIME_LIMIT_S
    from t2ia_desktop.engine.plugin_detector import TIME_LIMIT_S

    text = " ".join(GUIDE.read_text(encoding="utf-8").split())
    assert f"must finish within {REGISTER_TIME_LIMIT_S:g} s" in text
    assert f"did not finish registering in {REGISTER_TIME_LIMIT_S:g} s" in text
    assert f"must return within {TIME_LIMIT_S:g} s" in text
    assert "A Python thread cannot be killed" in text
    assert "a crash inside native code" in text
    assert "--safe-mode" in text
