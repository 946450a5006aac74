"""The command line: version, conditions, and bad input that fails fast with one clear line.

Generation success paths and pixel fidelity are tested in tests/engine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from t2ia_desktop import __version__
from t2ia_desktop.cli.main import main
from t2ia_desktop.core.conditions.registry import default_registry
from tests.cli.helpers import PREFIX, generate_args, one_error_line, run_cli

# -- version and conditions -------------------------------------------------------------------

def test_version(capsys):
    assert run_cli(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"t2ia-desktop {__version__}"


def test_conditions_prints_one_line_per_condition_starting_with_its_id(capsys):
    assert run_cli(["conditions"]) == 0
    lines = capsys.readouterr().out.splitlines()
    registry = default_registry()
    # The built-ins first, then the bundled plugins' conditions
    # (tests/core/conditions/test_plugins.py).
    assert len(lines) > len(registry.ids())
    assert all("\tplugin " in line for line in lines[len(registry.ids()):])
    for line, condition in zip(lines, registry, strict=False):
        assert line.split("\t")[0] == condition.id
        assert condition.label in line
    by_id = {line.split("\t")[0]: line for line in lines}
    assert "sd15" not in by_id["lineart"].split("\t")[2]
    assert by_id["color"].split("\t")[2] == "sd15"


def test_an_unknown_command_is_one_line(capsys):
    assert run_cli(["paint"]) == 2
    assert "paint" in one_error_line(capsys)


# -- generate: bad input exits 2 with one line, writes nothing, loads nothing -----------------

def _unreadable(files) -> str:
    path = files.tmp / "notes.png"
    path.write_text("not a picture")
    return str(path)


BAD_GENERATE = {
    "missing control image": (
        lambda f: ["--control", f"sketch={f.tmp / 'missing.png'}"], "no such file"),
    "unreadable control image": (
        lambda f: ["--control", f"sketch={_unreadable(f)}"], "not a readable image"),
    "unknown condition": (
        lambda f: ["--control", f"scribble={f.sketch}"], "unknown condition 'scribble'"),
    "scale not a number": (
        lambda f: ["--control", f"sketch={f.sketch}", "--scale", "abc"], "--scale"),
    "steps not a number": (lambda f: ["--steps", "x"], "--steps"),
    "scale above 2": (
        lambda f: ["--control", f"sketch={f.sketch}", "--scale", "2.5"], "conditioning scale"),
    "factor above 1": (lambda f: ["--factor", "1.5"], "step fraction"),
    "factor below 0": (lambda f: ["--factor", "-0.1"], "step fraction"),
    "control without =": (lambda f: ["--control", str(f.sketch)], "CONDITION=IMAGE"),
    "control with empty image": (lambda f: ["--control", "sketch="], "CONDITION=IMAGE"),
    "more scales than controls": (
        lambda f: ["--control", f"sketch={f.sketch}", "--scale", "0.5", "--scale", "0.7"],
        "2 --scale values for 1 --control"),
    "size not a multiple of 8": (lambda f: ["--width", "100"], "width"),
    "unknown scheduler": (lambda f: ["--scheduler", "turbo"], "--scheduler"),
    "family of the folder differs": (lambda f: ["--family", "sd15"], "not a sd15 model"),
}


@pytest.mark.parametrize("case", list(BAD_GENERATE))
def test_generate_bad_input_exits_2_with_one_line(case, files, capsys, no_engine):
    extra, expected = BAD_GENERATE[case]
    status = run_cli(generate_args(files, *extra(files)))
    assert status == 2
    assert expected in one_error_line(capsys)
    assert not files.out.exists()


def test_out_that_is_not_png(files, capsys, no_engine):
    out = files.tmp / "out.jpg"
    assert run_cli(generate_args(files, "--control", f"sketch={files.sketch}", out=out)) == 2
    assert ".png" in one_error_line(capsys)
    assert not out.exists()


def test_out_in_a_missing_folder(files, capsys, no_engine):
    out = files.tmp / "nowhere" / "out.png"
    assert run_cli(generate_args(files, out=out)) == 2
    assert "does not exist" in one_error_line(capsys)
    assert not out.parent.exists()


def test_model_folder_that_is_not_a_pipeline(files, capsys, no_engine):
    folder = files.tmp / "weights"
    folder.mkdir()
    (folder / "unet.safetensors").write_bytes(b"\0" * 16)
    status = run_cli(generate_args(files, "--control", f"sketch={files.sketch}",
                                   model=str(folder)))
    assert status == 2
    assert "model_index.json" in one_error_line(capsys)
    assert not files.out.exists()


def test_model_folder_with_a_broken_index(files, capsys, no_engine):
    (files.model / "model_index.json").write_text("{not json")
    assert run_cli(generate_args(files)) == 2
    assert "model_index.json" in one_error_line(capsys)


def test_model_that_is_neither_a_folder_nor_a_hub_id(files, capsys, monkeypatch):
    monkeypatch.chdir(files.tmp)
    status = run_cli(generate_args(files, "--control", f"sketch={files.sketch}",
                                   "--raw-control", model="./nope"))
    assert status == 2
    message = one_error_line(capsys)
    assert "./nope" in message
    assert "owner/name" in message
    assert not files.out.exists()


def test_model_reference_is_checked_before_any_detector_runs(files, capsys, monkeypatch,
                                                             no_engine):
    # A typo in --model must be reported as such, not as (say) missing depth weights after the
    # MiDaS detector has tried to load: the check is cheap and needs no torch.
    monkeypatch.chdir(files.tmp)
    status = run_cli(generate_args(files, "--control", f"depth-midas={files.sketch}",
                                   model="./nope"))
    assert status == 2
    assert "./nope" in one_error_line(capsys)


# -- detect ----------------------------------------------------------------------------------

def test_detect_bad_param_and_unknown_condition(files, capsys, no_engine):
    out = files.tmp / "control.png"
    assert run_cli(["detect", "canny", str(files.sketch), str(out),
                    "--param", "low_threshold=300"]) == 2
    assert "low_threshold must be at most 255" in one_error_line(capsys)
    assert run_cli(["detect", "canny", str(files.sketch), str(out), "--param", "sigma=1"]) == 2
    assert "sigma" in one_error_line(capsys)
    assert run_cli(["detect", "scribble", str(files.sketch), str(out)]) == 2
    assert "scribble" in one_error_line(capsys)
    assert not out.exists()


# -- demo-model ------------------------------------------------------------------------------

@pytest.mark.slow  # imports torch and writes a tiny pipeline (a few seconds)
def test_demo_model_writes_a_pipeline_and_refuses_an_unrelated_folder(tmp_path, capsys):
    target = tmp_path / "demo-sd15"
    assert run_cli(["demo-model", str(target), "--family", "sd15"]) == 0
    assert str(target) in capsys.readouterr().out
    index = json.loads((target / "model_index.json").read_text())
    assert index["_class_name"] == "StableDiffusionPipeline"
    assert (target / "t2ia_demo.json").is_file()
    assert (target / "adapters" / "color").is_dir()
    assert not (target / "adapters" / "lineart").exists()  # no SD1.5 lineart adapter exists

    # the written folder is a pipeline the CLI recognises, with its family
    out = tmp_path / "out.png"
    assert run_cli(["generate", "--model", str(target), "--family", "sdxl", "--prompt", "x",
                    "--out", str(out)]) == 2
    assert "not a sdxl model" in one_error_line(capsys)

    unrelated = tmp_path / "photos"
    unrelated.mkdir()
    (unrelated / "holiday.jpg").write_bytes(b"keep me")
    assert run_cli(["demo-model", str(unrelated)]) == 2
    assert "not empty" in one_error_line(capsys)
    assert [p.name for p in unrelated.iterdir()] == ["holiday.jpg"]
    assert (unrelated / "holiday.jpg").read_bytes() == b"keep me"


# -- across the process boundary -------------------------------------------------------------

def _python(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120, check=False)


def test_module_version_in_a_process(tmp_path):
    done = _python("-m", "t2ia_desktop", "--version", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"t2ia-desktop {__version__}"
    assert done.stderr == ""


def test_bad_input_in_a_process_is_one_line_and_loads_no_torch(files):
    script = (
        "import sys; from t2ia_desktop.cli.main import main; status = main(sys.argv[1:]); "
        "print('torch' in sys.modules); sys.exit(status)"
    )
    done = _python("-c", script, *generate_args(files, "--control", f"sketch={files.sketch}",
                                                "--scale", "2.5"), cwd=files.tmp)
    assert done.returncode == 2
    assert done.stdout.strip() == "False"
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(PREFIX)
    assert "conditioning scale" in lines[0]
    assert not files.out.exists()

    done = _python("-m", "t2ia_desktop", *generate_args(files, "--steps", "x"), cwd=files.tmp)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith(PREFIX)
    assert "Traceback" not in done.stderr


def test_conditions_say_whether_detector_weights_are_present(tmp_path, monkeypatch, capsys):
    assert main(["conditions"]) == 0
    lines = {line.split("\t")[0]: line for line in capsys.readouterr().out.splitlines()}
    assert "no weights needed" in lines["canny"]
    assert "weights missing (sk_model.pth, sk_model2.pth)" in lines["lineart"]
    for name in ("sk_model.pth", "sk_model2.pth"):
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setenv("T2IA_ANNOTATORS", str(tmp_path))
    assert main(["conditions"]) == 0
    lines = {line.split("\t")[0]: line for line in capsys.readouterr().out.splitlines()}
    assert "weights present" in lines["lineart"]
    assert "weights missing" in lines["openpose"]
    assert lines["lineart"].split("\t")[2] == "sdxl"
