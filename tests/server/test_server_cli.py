"""The command line as a client: ``generate --server`` writes what local ``generate`` writes,
and ``batch --server`` spreads a file of jobs, resuming after an interruption."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from t2ia_desktop.cli.main import main

pytestmark = [pytest.mark.slow, pytest.mark.server]


def test_generate_on_the_server_writes_what_local_generate_writes(server, sdxl_demo, tmp_path,
                                                                 one_thread):
    sketch = tmp_path / "sketch.png"
    Image.new("L", (64, 64), 0).save(sketch)
    common = ["generate", "--model", str(sdxl_demo), "--prompt", "a kite", "--steps", "3",
              "--width", "64", "--height", "64", "--seed", "4", "--raw-control",
              "--control", f"sketch={sketch}"]
    remote_out, local_out = tmp_path / "remote.png", tmp_path / "local.png"
    assert main([*common, "--out", str(remote_out), "--server", server.url,
                 "--token-file", str(server.token_file)]) == 0
    assert main([*common, "--out", str(local_out)]) == 0
    with Image.open(remote_out) as remote, Image.open(local_out) as local:
        assert np.array_equal(np.array(remote), np.array(local))
        assert remote.text["t2ia"] == local.text["t2ia"]
        assert remote.text["parameters"] == local.text["parameters"]


def test_generate_with_a_wrong_token_file_says_so(server, tmp_path, capsys):
    wrong = tmp_path / "token"
    wrong.write_text("not-the-token-0123456789\n")
    status = main(["generate", "--model", "demo", "--prompt", "x", "--out",
                   str(tmp_path / "o.png"), "--server", server.url, "--token-file", str(wrong)])
    assert status == 2
    assert "refused the token" in capsys.readouterr().err
    assert not (tmp_path / "o.png").exists()


def _jobs_file(tmp_path, count: int):
    lines = [{"model": "demo", "prompt": f"job {n}", "seed": n, "steps": 25, "width": 64,
              "height": 64} for n in range(count)]
    lines[1]["out"] = "second.png"
    path = tmp_path / "jobs.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return path


def test_batch_resumes_where_an_interrupted_run_stopped(server, tmp_path, capsys):
    from t2ia_desktop.cli.batch import read_jobs
    from t2ia_desktop.core.files.imageio import png_metadata

    jobs_path, out = _jobs_file(tmp_path, 5), tmp_path / "out"
    command = ["batch", str(jobs_path), "--out", str(out), "--server", server.url,
               "--token-file", str(server.token_file)]
    # 1. A run stopped with Ctrl+C once its first picture is written
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")]))}
    run = subprocess.Popen([sys.executable, "-m", "t2ia_desktop", *command, "--parallel", "1"],
                           env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(out.glob("*.png")) and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    run.send_signal(signal.SIGINT)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 130, stderr
    first = {path.name: path.read_bytes() for path in out.glob("*.png")}
    assert 1 <= len(first) < 5, stderr
    # 2. The same command again: only the missing jobs run
    assert main(command) == 0
    err = capsys.readouterr().err
    assert f"({len(first)} already there, 0 failed)" in err
    names = sorted(path.name for path in out.glob("*.png"))
    assert names == ["job-00001.png", "job-00003.png", "job-00004.png", "job-00005.png",
                     "second.png"]
    assert all((out / name).read_bytes() == data for name, data in first.items())
    # 3. Each PNG carries its request's metadata, as local generate writes it
    for job in read_jobs(jobs_path, out):
        with Image.open(job.out) as picture:
            assert picture.size == (64, 64)
            assert picture.text["t2ia"] == png_metadata(job.request).chunks[0][1].decode()[5:]


def test_batch_refuses_a_bad_line_before_any_job_runs(server, tmp_path, capsys):
    path = tmp_path / "jobs.jsonl"
    path.write_text('{"model": "demo", "prompt": "ok"}\n{"model": "demo", "prompt": "x", '
                    '"steps": 0}\n')
    status = main(["batch", str(path), "--out", str(tmp_path / "out"), "--server", server.url,
                   "--token-file", str(server.token_file)])
    assert status == 2
    assert "jobs.jsonl line 2: steps must be between 1 and 500, not 0" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
