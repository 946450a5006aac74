"""``bench --server``: what serving costs, on the demo model on this machine's CPUs.

- ``serve_to_ready_s``: Ray started here, the application deployed, until its one replica
  answers (what ``t2ia-desktop serve`` prints).
- ``remote_over_local``: per-job time through the server ÷ the local engine's, for the same
  request (median of ``repeats``); both with the same torch threads (the replica's CPUs).
- ``two_over_one_replica``: batch throughput (jobs a minute, as many in flight as replicas)
  with two replicas ÷ one.
Figures are printed, never asserted.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path


def _throughput(engine, requests) -> float:
    """Jobs a minute running ``requests`` with as many in flight as the server has
    replicas."""
    replicas = max(1, len(engine.server_info().replicas))
    start = time.perf_counter()
    with ThreadPoolExecutor(replicas) as pool:
        list(pool.map(engine.generate, requests))
    return 60.0 * len(requests) / (time.perf_counter() - start)


def server_figures(size: int = 256, steps: int = 10, repeats: int = 3, jobs: int = 6,
                   cpus: int = 2) -> dict:
    import ray
    import torch

    from t2ia_desktop.core.generation.request import GenerationRequest
    from t2ia_desktop.engine.generate import Engine
    from t2ia_desktop.remote.client import RemoteEngine
    from t2ia_desktop.server.launch import deploy, shutdown, wait_ready
    from t2ia_desktop.server.options import ServerOptions

    folder = Path(tempfile.mkdtemp(prefix="t2ia-bench-server-"))
    token = "bench-token-0123456789abcdef"
    request = GenerationRequest(model="demo", prompt="a lighthouse at dusk", seed=1,
                                steps=steps, width=size, height=size)
    options = ServerOptions(token=token, replicas=1, num_cpus=1.0,
                            demo_root=str(folder / "demo"))
    # 1. From nothing to a server that answers
    start = time.perf_counter()
    ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    ray_ready = time.perf_counter() - start
    try:
        url = deploy(options, port=_free_port())
        wait_ready(url, token, 1)
        serve_to_ready = time.perf_counter() - start
        remote = RemoteEngine(url, token)
        # 2. One job at a time: through the server, and here with the replica's threads
        torch.set_num_threads(int(options.num_cpus))
        local = Engine(demo_root=folder / "local-demo")
        remote.generate(request)  # models loaded on both sides before timing
        local.generate(request)
        remote_s, local_s = [], []
        for seed in range(repeats):
            job = replace(request, seed=seed)
            remote_s.append(_timed(remote.generate, job))
            local_s.append(_timed(local.generate, job))
        # 3. A batch on one replica, then on two (each with one CPU)
        batch = [replace(request, seed=100 + n) for n in range(jobs)]
        one = _throughput(remote, batch)
        deploy(replace(options, replicas=2), port=int(url.rsplit(":", 1)[1]))
        wait_ready(url, token, 2)
        _throughput(remote, batch[:2])  # each replica loads its model
        two = _throughput(remote, batch)
    finally:
        shutdown()
        ray.shutdown()
    return {
        "size": size, "steps": steps, "cpus": cpus, "torch_threads": int(options.num_cpus),
        "ray_start_s": round(ray_ready, 2),
        "serve_to_ready_s": round(serve_to_ready, 2),
        "remote_job_s": round(statistics.median(remote_s), 3),
        "local_job_s": round(statistics.median(local_s), 3),
        "remote_over_local": round(statistics.median(remote_s) / statistics.median(local_s),
                                   3),
        "jobs_per_minute_1_replica": round(one, 1),
        "jobs_per_minute_2_replicas": round(two, 1),
        "two_over_one_replica": round(two / one, 3),
    }


def _timed(run, job) -> float:
    start = time.perf_counter()
    run(job)
    return time.perf_counter() - start


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
