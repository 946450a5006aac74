"""Start the application on Ray Serve: join or start Ray, deploy, wait until every replica
answers. Used by ``t2ia-desktop serve``, the tests and ``bench --server``."""

from __future__ import annotations

import contextlib
import time
from dataclasses import replace

import ray
from ray import serve

from t2ia_desktop.server.board import BOARD_NAME, NAMESPACE
from t2ia_desktop.server.ingress import build_app
from t2ia_desktop.server.options import APP_NAME, ServerOptions


def fit_to_cluster(options: ServerOptions) -> ServerOptions:
    """One GPU per replica where the cluster has GPUs (as many replicas as GPUs unless told),
    else CPU replicas."""
    gpus = int(ray.cluster_resources().get("GPU", 0))
    if gpus and options.num_gpus == 0:
        return replace(options, num_gpus=1.0)
    return options


def deploy(options: ServerOptions, host: str = "127.0.0.1", port: int = 8000) -> str:
    """Deploy on the Ray instance this process is connected to (``ray.init`` first); returns
    the URL clients use once every replica is up."""
    serve.start(http_options={"host": host, "port": port})
    serve.run(build_app(options), name=APP_NAME, route_prefix="/", blocking=False)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return f"http://{shown}:{port}"


def wait_ready(url: str, token: str, replicas: int, timeout: float = 600.0) -> float:
    """Seconds until the server lists ``replicas`` live replicas; TimeoutError after
    ``timeout``."""
    from t2ia_desktop.remote.client import RemoteEngine
    from t2ia_desktop.remote.errors import ServerError, ServerUnreachable

    client = RemoteEngine(url, token, timeout=5.0)
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            if len(client.server_info().replicas) >= replicas:
                return time.perf_counter() - start
        except (ServerUnreachable, ServerError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"the server at {url} did not list {replicas} replicas in "
                       f"{timeout:.0f} s")


def shutdown() -> None:
    """Remove the application and its board (Ray itself keeps running when joined)."""
    serve.shutdown()
    with contextlib.suppress(ValueError):  # no board: nothing to remove
        ray.kill(ray.get_actor(BOARD_NAME, namespace=NAMESPACE))
