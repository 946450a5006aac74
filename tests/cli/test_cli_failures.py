"""The command line's one error funnel: a full disk, a read-only folder, a folder where a file
should be, an output that is one of the inputs, a prompt that is not text, a model folder of
the wrong shape, a detector's float picture, a closed pipe — each ends as exit status 2 (141,
quietly, for the pipe) and one line that says what to do; nothing finished is lost."""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from PIL import Image

from t2ia_desktop.cli import main as cli_main
from t2ia_desktop.core.files import atomic_file, imageio
from tests.cli.helpers import generate_args, one_error_line, run_cli
from tests.plugin_folders import manifest, write_plugin

# -- where the output goes: checked before anything loads -------------------------------------

def test_out_that_is_an_existing_folder(files, capsys, no_engine):
    folder = files.tmp / "renders.png"
    folder.mkdir()
    assert run_cli(generate_args(files, out=folder)) == 2
    message = one_error_line(capsys)
    assert "is a folder" in message
    assert "name a .png file in it" in message
    assert list(folder.iterdir()) == []
    assert run_cli(["detect", "canny", str(files.sketch), str(folder)]) == 2
    assert "is a folder" in one_error_line(capsys)


def test_out_under_a_file(files, capsys, no_engine):
    out = files.sketch / "out.png"
    assert run_cli(generate_args(files, out=out)) == 2
    assert "is a file, not a folder" in one_error_line(capsys)


def test_out_in_a_read_only_folder(files, capsys, monkeypatch, no_engine):
    real_access = os.access

    def read_only(path, mode, *args, **kwargs):  # what a read-only disk answers, root or not
        if Path(path) == files.tmp and mode & os.W_OK:
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", read_only)
    assert run_cli(generate_args(files)) == 2
    assert "is not writable; choose another folder" in one_error_line(capsys)
    assert run_cli(["detect", "canny", str(files.sketch), str(files.out)]) == 2
    assert "is not writable" in one_error_line(capsys)
    assert not files.out.exists()


@pytest.mark.parametrize("option", ["--init-image", "--mask", "--control"])
def test_out_that_is_one_of_the_inputs_is_refused(files, capsys, no_engine, option):
    photo = files.tmp / "photo.png"
    Image.new("RGB", (64, 64), "teal").save(photo)
    before = photo.read_bytes()
    given = {"--init-image": ["--init-image", str(photo)],
             "--mask": ["--init-image", str(files.sketch), "--mask", str(photo)],
             "--control": ["--control", f"sketch={photo}"]}[option]
    assert run_cli(generate_args(files, *given, out=photo)) == 2
    message = one_error_line(capsys)
    assert "is also the" in message
    assert "--overwrite" in message
    assert photo.read_bytes() == before


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_out_that_links_to_the_init_image_is_refused(files, capsys, no_engine):
    link = files.tmp / "link.png"
    link.symlink_to(files.sketch)
    assert run_cli(generate_args(files, "--init-image", str(files.sketch), out=link)) == 2
    assert "is also the --init-image" in one_error_line(capsys)


def test_out_that_is_the_settings_picture_is_refused(files, capsys, no_engine):
    from t2ia_desktop.core.files.imageio import save_png
    from tests.builders import request

    earlier = files.tmp / "earlier.png"
    save_png(Image.new("RGB", (64, 64)), earlier, request(prompt="a lighthouse"))
    before = earlier.read_bytes()
    assert run_cli(generate_args(files, "--settings", str(earlier), out=earlier)) == 2
    assert "is also the --settings file" in one_error_line(capsys)
    assert earlier.read_bytes() == before


def test_detect_refuses_to_write_over_its_input_unless_told(files, capsys):
    photo = files.tmp / "photo.png"
    image = Image.new("RGB", (64, 64), "white")
    image.paste((0, 0, 0), (16, 16, 48, 48))
    image.save(photo)
    before = photo.read_bytes()
    assert run_cli(["detect", "canny", str(photo), str(photo)]) == 2
    assert "is also the input picture" in one_error_line(capsys)
    assert photo.read_bytes() == before
    assert run_cli(["detect", "canny", str(photo), str(photo), "--overwrite"]) == 0
    with Image.open(photo) as edges:
        assert edges.mode == "L"  # the edges replaced the picture, as asked


@pytest.mark.slow  # paints with the tiny demo model (seconds)
def test_generate_overwrite_replaces_the_init_image(files, capsys, demo_model):
    photo = files.tmp / "photo.png"
    Image.new("RGB", (64, 64), "teal").save(photo)
    before = photo.read_bytes()
    args = generate_args(files, "--init-image", str(photo), "--overwrite", "--strength", "0.5",
                         model=str(demo_model), out=photo)
    assert run_cli(args) == 0, capsys.readouterr().err
    assert photo.read_bytes() != before
    with Image.open(photo) as image:
        assert "t2ia" in image.text


# -- sizes and prompts ------------------------------------------------------------------------

@pytest.mark.parametrize(("option", "value"), [("--width", "0"), ("--height", "0"),
                                               ("--width", "-64")])
def test_a_size_of_zero_is_refused_not_taken_as_not_given(files, capsys, no_engine, option,
                                                          value):
    args = [a for a in generate_args(files) if a not in ("--width", "--height", "64")]
    assert run_cli([*args, option, value]) == 2
    assert f"{option[2:]} must be a multiple of 8 from 64 to 4096, not {value}" in (
        one_error_line(capsys))


NOT_UTF8 = b"caf\xe9 at night".decode("utf-8", "surrogateescape")  # Latin-1 bytes in argv


@pytest.mark.parametrize("option", ["--prompt", "--negative-prompt", "--prompt-2",
                                    "--negative-prompt-2"])
def test_a_prompt_that_is_not_utf8_is_refused(files, capsys, no_engine, option):
    assert run_cli(generate_args(files, option, NOT_UTF8)) == 2
    message = one_error_line(capsys)
    assert f"{option} is not valid UTF-8 text (it holds the byte E9)" in message
    assert "encoding" in message
    assert not files.out.exists()


def test_a_prompt_that_is_not_text_in_a_settings_file(files, capsys, no_engine):
    settings = files.tmp / "settings.json"
    settings.write_text('{"model": "demo", "prompt": "a lighthouse \\udcff"}')
    assert run_cli(["generate", "--settings", str(settings), "--out", str(files.out)]) == 2
    assert f"the prompt of --settings {settings} is not valid UTF-8" in one_error_line(capsys)


def test_invalid_utf8_from_a_real_command_line_is_one_line(files):
    done = subprocess.run(
        [sys.executable, "-m", "t2ia_desktop", "generate", "--model", str(files.model),
         "--prompt", b"caf\xe9", "--out", str(files.out)],
        capture_output=True, cwd=files.tmp, timeout=120, check=False)
    assert done.returncode == 2
    lines = done.stderr.decode("utf-8").splitlines()
    assert len(lines) == 1, lines
    assert "--prompt is not valid UTF-8 text" in lines[0]


# -- model folders of the wrong shape ---------------------------------------------------------

def _model(files, index: object, unet: dict | None = None) -> str:
    folder = files.tmp / "shaped"
    folder.mkdir()
    (folder / "model_index.json").write_text(json.dumps(index))
    if unet is not None:
        (folder / "unet").mkdir()
        (folder / "unet" / "config.json").write_text(json.dumps(unet))
    return str(folder)


SDXL_UNET = {"_class_name": "UNet2DConditionModel", "addition_embed_type": "text_time"}
SD15_UNET = {"_class_name": "UNet2DConditionModel", "cross_attention_dim": 768}
BAD_FOLDERS = {
    "index is a list": (([],), "model_index.json is a JSON list, not an object"),
    "index is a string": (("x",), "model_index.json is a JSON string, not an object"),
    "index is a number": ((5,), "model_index.json is a JSON number, not an object"),
    "class name is a number": (({"_class_name": 5},), "names no pipeline class"),
    "no class name": (({},), "names no pipeline class"),
    "another pipeline": (({"_class_name": "FluxPipeline"},), "holds a FluxPipeline, not"),
    "SD1.5 name over SDXL weights": (
        ({"_class_name": "StableDiffusionPipeline", "unet": ["diffusers", "x"]}, SDXL_UNET),
        "names a StableDiffusionPipeline (SD1.5) but its weights are SDXL's"),
    "SDXL name over SD1.5 weights": (
        ({"_class_name": "StableDiffusionXLPipeline"}, SD15_UNET),
        "names a StableDiffusionXLPipeline (SDXL) but its weights are SD1.5's"),
    "SDXL name without a second text encoder": (
        ({"_class_name": "StableDiffusionXLPipeline", "unet": ["diffusers", "x"],
          "text_encoder_2": [None, None]},),
        "but its weights are SD1.5's"),
    "unet config is a list": (
        ({"_class_name": "StableDiffusionXLPipeline"}, []), "unet/config.json is a JSON list"),
}


@pytest.mark.parametrize("case", list(BAD_FOLDERS))
def test_a_model_folder_of_the_wrong_shape_is_named_as_such(files, capsys, no_engine, case):
    shape, expected = BAD_FOLDERS[case]
    assert run_cli(generate_args(files, model=_model(files, *shape))) == 2
    assert expected in one_error_line(capsys)
    assert not files.out.exists()


def test_a_model_that_is_a_file(files, capsys, no_engine):
    assert run_cli(generate_args(files, model=str(files.sketch))) == 2
    assert "is a file, not a diffusers pipeline folder" in one_error_line(capsys)


@pytest.mark.slow  # loads the demo model's scheduler (seconds)
def test_a_damaged_model_config_is_not_told_as_a_queue_running_out_of_memory(
        files, capsys, demo_model):
    broken = files.tmp / "broken-model"
    shutil.copytree(demo_model, broken)
    config = broken / "scheduler" / "scheduler_config.json"
    data = json.loads(config.read_text())
    data["num_train_timesteps"] = 10**12  # asks for terabytes as the scheduler is built
    config.write_text(json.dumps(data))
    assert run_cli(generate_args(files, model=str(broken))) == 2
    message = one_error_line(capsys)
    assert message.startswith("Out of RAM while loading the model")
    assert "config.json" in message
    assert "queue" not in message


@pytest.mark.slow
def test_out_of_memory_while_painting_gives_the_advice_without_a_queue(files, capsys,
                                                                       demo_model, monkeypatch):
    from diffusers import UNet2DConditionModel

    def forward(self, *args, **kwargs):
        raise RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate "
                           "68719476736 bytes")

    monkeypatch.setattr(UNet2DConditionModel, "forward", forward)
    assert run_cli(generate_args(files, model=str(demo_model))) == 2
    message = one_error_line(capsys)
    assert message.startswith("Out of RAM at 64×64")
    assert "smaller size" in message
    assert "queue" not in message


# -- a full disk: the old file stays, the new picture is kept elsewhere -----------------------

class _FullDisk(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def full_disk(monkeypatch, tmp_path):
    """Saves into the output's folder fail with ENOSPC; the temporary folder has room."""
    real = atomic_file.atomic_write

    @contextmanager
    def no_space(path, *args, **kwargs):
        with real(path, *args, **kwargs):
            yield _FullDisk()

    monkeypatch.setattr(imageio, "atomic_write", no_space)
    spare = tmp_path / "spare"
    spare.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(spare))
    return spare


def _kept(message: str, spare: Path) -> Path:
    assert "The picture is kept as " in message
    kept = Path(message.split("The picture is kept as ", 1)[1].split(": move it")[0])
    assert kept.parent == spare
    return kept


@pytest.mark.slow  # paints with the tiny demo model (seconds)
def test_generate_on_a_full_disk_keeps_the_picture_and_the_old_file(files, capsys, demo_model,
                                                                    full_disk):
    files.out.write_bytes(b"the previous render")
    assert run_cli(generate_args(files, model=str(demo_model))) == 2
    message = one_error_line(capsys)
    assert message.startswith(f"Could not save {files.out}: no space left on the disk; "
                              "free some space or choose another folder")
    assert files.out.read_bytes() == b"the previous render"
    assert sorted(p.name for p in files.out.parent.iterdir() if p.name.startswith(".")) == []
    with Image.open(_kept(message, full_disk)) as image:
        assert image.size == (64, 64)
        assert json.loads(image.text["t2ia"])["prompt"] == "a lighthouse"


def test_detect_on_a_full_disk_keeps_the_control_image(files, capsys, full_disk):
    assert run_cli(["detect", "canny", str(files.sketch), str(files.out)]) == 2
    message = one_error_line(capsys)
    assert "no space left on the disk" in message
    assert not files.out.exists()
    with Image.open(_kept(message, full_disk)) as image:
        assert image.size == (64, 64)


def test_export_on_a_full_disk(files, capsys, full_disk, tmp_path):
    from t2ia_desktop.core.document.document import Document
    from t2ia_desktop.core.files.project import save_project

    project = tmp_path / "art.t2ia"
    save_project(Document.with_sketch_layer(16, 16), project)
    assert run_cli(["export", str(project), str(files.out)]) == 2
    message = one_error_line(capsys)
    assert "Could not save" in message
    assert "no space left on the disk" in message
    assert not files.out.exists()


# -- demo-model -------------------------------------------------------------------------------

def test_demo_model_into_a_file(tmp_path, capsys):
    file = tmp_path / "notes.txt"
    file.write_text("keep me")
    assert run_cli(["demo-model", str(file)]) == 2
    assert "is a file; choose a new folder for the demo model" in one_error_line(capsys)
    assert file.read_text() == "keep me"
    assert run_cli(["demo-model", str(file / "demo")]) == 2
    assert "is a file, not a folder" in one_error_line(capsys)


def test_demo_model_into_a_read_only_folder(tmp_path, capsys, monkeypatch):
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, *a, **k: (
        False if Path(path) == tmp_path else real_access(path, mode, *a, **k)))
    assert run_cli(["demo-model", str(tmp_path / "demo")]) == 2
    assert "is not writable; choose another folder" in one_error_line(capsys)
    assert list(tmp_path.iterdir()) == []


def test_demo_model_where_new_folders_are_refused(tmp_path, capsys, monkeypatch):
    import tempfile

    def refused(*args, **kwargs):  # what a read-only folder answers (root ignores chmod)
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / ".demo-x"))

    monkeypatch.setattr(tempfile, "mkdtemp", refused)
    assert run_cli(["demo-model", str(tmp_path / "demo")]) == 2
    assert "permission denied; choose a folder you can write to" in one_error_line(capsys)


@pytest.mark.slow  # builds the demo model (seconds)
def test_demo_model_on_a_full_disk(tmp_path, capsys, monkeypatch):
    import safetensors.torch
    from safetensors import SafetensorError

    def no_space(*args, **kwargs):  # what safetensors raises when the disk is full
        raise SafetensorError("Error while serializing: I/O error: No space left on device "
                              "(os error 28)")

    monkeypatch.setattr(safetensors.torch, "save_file", no_space)
    target = tmp_path / "demo"
    assert run_cli(["demo-model", str(target)]) == 2
    assert one_error_line(capsys) == (f"{target}: no space left on the disk; free some space "
                                      "or choose another folder")
    assert list(tmp_path.iterdir()) == []  # no half-written model


# -- detectors --------------------------------------------------------------------------------

FLOAT_DEPTH = '''
from t2ia_desktop.plugin_api import ConditionType, sdxl_adapter


def detect(image, params):
    return image.convert("F")  # a depth map as floats


def register():
    return ConditionType("float-depth", "Float depth", "Depth as floats",
                         {"sdxl": sdxl_adapter("depth-midas")}, detector=detect)
'''


def test_a_detector_that_returns_a_float_picture_is_an_error_on_that_condition(files, capsys):
    write_plugin(files.tmp / "plugins", "floaty", FLOAT_DEPTH, manifest("floaty"))
    plugins = ["--plugins", str(files.tmp / "plugins")]
    assert run_cli(["detect", "float-depth", str(files.sketch), str(files.out), *plugins]) == 2
    message = one_error_line(capsys)
    assert "Float depth detector returned a picture in mode 'F'" in message
    assert "floaty" in message.lower()
    assert not files.out.exists()
    assert run_cli(generate_args(files, "--control", f"float-depth={files.sketch}",
                                 *plugins)) == 2
    assert "Float depth detector returned a picture in mode 'F'" in one_error_line(capsys)


# -- the funnel itself ------------------------------------------------------------------------

OS_ERRORS = {
    errno.ENOSPC: "no space left on the disk; free some space",
    errno.EROFS: "the disk is read-only; choose another folder",
    errno.EACCES: "permission denied; choose a folder you can write to",
    errno.EISDIR: "is a folder; name a file",
    errno.ENOTDIR: "is a file, not a folder; check the path",
    errno.ENOENT: "no such file or folder; check the path",
    errno.EPERM: "not permitted",
    errno.ENXIO: "no such device or address",  # any other: its own words
}


@pytest.mark.parametrize("number", list(OS_ERRORS))
def test_every_os_error_is_one_line_naming_the_file(number, capsys, monkeypatch):
    def failing(args):
        raise OSError(number, os.strerror(number), "/some/where.png")

    monkeypatch.setitem(cli_main.COMMANDS, "conditions", failing)
    assert run_cli(["conditions"]) == 2
    message = one_error_line(capsys)
    assert message.startswith("/some/where.png: ")
    assert OS_ERRORS[number] in message


def test_an_unforeseen_error_is_one_line_and_its_traceback_goes_to_the_log(capsys, monkeypatch):
    def buggy(args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setitem(cli_main.COMMANDS, "conditions", buggy)
    assert run_cli(["conditions"]) == 2
    message = one_error_line(capsys)
    assert message.startswith("conditions failed unexpectedly (ZeroDivisionError: division by "
                              "zero); the details are in ")
    log = Path(message.split("the details are in ", 1)[1].split(". Please report")[0])
    assert "Traceback" in log.read_text()
    assert "buggy" in log.read_text()


def test_a_reader_that_goes_away_ends_quietly(tmp_path):
    # `t2ia-desktop conditions | head -1`, with head gone before the list is written
    process = subprocess.Popen([sys.executable, "-m", "t2ia_desktop", "conditions"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    process.stdout.close()
    _, err = process.communicate(timeout=120)
    assert err.decode() == ""
    assert process.returncode == 141


def test_a_folder_given_as_a_picture_or_settings_is_named_as_such(files, capsys, no_engine):
    assert run_cli(generate_args(files, "--init-image", str(files.tmp))) == 2
    assert f"{files.tmp} is a folder, not a picture" in one_error_line(capsys)
    assert run_cli(generate_args(files, "--settings", str(files.tmp))) == 2
    assert f"--settings {files.tmp} is a folder" in one_error_line(capsys)


@pytest.mark.parametrize("option", ["--repeats", "--steps", "--size", "--layers", "--jobs"])
def test_bench_counts_below_one_are_refused(capsys, option):
    assert run_cli(["bench", option, "0"]) == 2
    assert f"argument {option}: must be at least 1, not 0" in one_error_line(capsys)


def test_torch_running_out_of_memory_outside_a_job_is_told_as_such(files, capsys, monkeypatch):
    import torch  # noqa: F401  (the detectors' torch is loaded)

    def detector_out_of_memory(*args, **kwargs):
        raise RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate "
                           "68719476736 bytes")

    monkeypatch.setattr("t2ia_desktop.engine.detectors.detect", detector_out_of_memory)
    assert run_cli(["detect", "canny", str(files.sketch), str(files.out)]) == 2
    message = one_error_line(capsys)
    assert message.startswith("detect ran out of memory (DefaultCPUAllocator: can't allocate")
    assert "close other programs" in message
