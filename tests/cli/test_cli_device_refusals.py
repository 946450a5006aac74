"""`generate --device/--dtype/--offload`: a device this machine lacks, or an offload with
nothing to offload to, is refused in one line before any detector or model runs."""

from __future__ import annotations

import pytest
import torch

from tests.cli.helpers import generate_args, one_error_line, run_cli

NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
NO_MPS = pytest.mark.skipif(torch.backends.mps.is_available(), reason="this machine has MPS")

REFUSED = {
    "cuda without a GPU": pytest.param(["--device", "cuda"], "torch sees no CUDA GPU",
                                       marks=NO_CUDA),
    "mps without Apple's GPU": pytest.param(["--device", "mps"], "Metal GPU is not available",
                                            marks=NO_MPS),
    "model offload on the CPU": (["--device", "cpu", "--offload", "model"],
                                 "nothing to offload"),
    "sequential offload without a GPU": pytest.param(["--offload", "sequential"],
                                                     "nothing to offload", marks=NO_CUDA),
    "unknown device": (["--device", "tpu"], "--device"),
    "unknown dtype": (["--dtype", "fp8"], "--dtype"),
    "unknown offload": (["--offload", "disk"], "--offload"),
}


@pytest.mark.parametrize(("extra", "expected"), list(REFUSED.values()), ids=list(REFUSED))
def test_a_device_this_machine_lacks_is_refused_before_any_work(extra, expected, files, capsys,
                                                                no_engine):
    status = run_cli(generate_args(files, "--control", f"sketch={files.sketch}", *extra))
    assert status == 2
    message = one_error_line(capsys)
    assert expected in message
    if "use --device" in message or "nothing to offload" in message:
        assert "use --" in message  # says what to do instead
    assert not files.out.exists()
