"""One real Ray Serve instance for tests/server: ``ray.init`` with 2 CPUs, two CPU replicas
of the engine on the demo model, the ingress on a free port of 127.0.0.1. Nothing is mocked
between the client and the replica."""

from __future__ import annotations

import os
import socket
import types

import pytest

TOKEN = "test-token-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def sdxl_demo(tmp_path_factory):
    from t2ia_desktop.engine.demo.model import write_demo_model

    return write_demo_model(tmp_path_factory.mktemp("models") / "sdxl", "sdxl")


@pytest.fixture(scope="package")
def server(tmp_path_factory, sdxl_demo):
    """A running server: ``url``, ``token``, ``options``, ``token_file``; one for every test
    in tests/server (shut down after them); test_remote_engine.py kills parts of it last,
    and waits until it is back."""
    ray = pytest.importorskip("ray")
    from t2ia_desktop.server.launch import deploy, shutdown, wait_ready
    from t2ia_desktop.server.options import ServerOptions

    home = tmp_path_factory.mktemp("server-home")
    with pytest.MonkeyPatch.context() as patch:  # the replicas' processes inherit these
        patch.setenv("T2IA_HOME", str(home / "t2ia"))
        patch.setenv("XDG_CONFIG_HOME", str(home / "config"))
        patch.setenv("XDG_DATA_HOME", str(home / "data"))
        patch.setenv("RAY_USAGE_STATS_ENABLED", "0")
        patch.setenv("PYTHONPATH", os.pathsep.join(
            filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")])))
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
        options = ServerOptions(token=TOKEN, replicas=2, demo_root=str(home / "demo"),
                                model_folders=(str(sdxl_demo.parent),))
        try:
            url = deploy(options, port=free_port())
            wait_ready(url, TOKEN, 2, timeout=300)
            token_file = home / "token"
            token_file.write_text(TOKEN + "\n")
            yield types.SimpleNamespace(url=url, token=TOKEN, options=options, ray=ray,
                                        token_file=token_file)
        finally:
            shutdown()
            ray.shutdown()


@pytest.fixture
def one_thread():
    """The local reference with the replicas' torch threads (one CPU each): CPU convolutions
    may differ by one level between thread counts."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
