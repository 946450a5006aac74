"""``t2ia-desktop serve``: the engine as a Ray Serve application (the ``server`` extra).

It starts a local Ray instance or joins a cluster (``--address``), deploys the ingress and the
engine replicas (one GPU each on GPU nodes, CPU replicas elsewhere), prints the address once
every replica answers, and runs until Ctrl+C. The bearer token is made at the first ``serve``
(kept 0600 in the data folder, printed once) unless ``--token-file`` names one.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from t2ia_desktop.core.errors import BadInput

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def add_serve_parser(commands) -> None:
    serve = commands.add_parser(
        "serve", help="run the engine as a server for the app and `generate --server` "
                      "(needs the server extra: pip install 't2ia-desktop[server]')")
    serve.add_argument("--address", help="join this Ray cluster ('auto': the one `ray start` "
                                         "made here); default: start Ray on this machine")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=_port, default=8000)
    serve.add_argument("--replicas", type=_positive, default=None,
                       help="engine replicas (default: one per GPU, else 1)")
    serve.add_argument("--min-replicas", type=_positive, default=None,
                       help="with --max-replicas: autoscale between the two")
    serve.add_argument("--max-replicas", type=_positive, default=None)
    serve.add_argument("--cpus-per-replica", type=_positive, default=1)
    serve.add_argument("--models", action="append", default=[], metavar="DIR",
                       help="a folder of models, adapters and LoRAs that requests may name "
                            "(repeatable); hub ids and the demo model always work")
    serve.add_argument("--token-file", metavar="FILE",
                       help="the bearer token's file (made, 0600, if missing); default: the "
                            "data folder's server-token")
    serve.add_argument("--max-upload-mb", type=_positive, default=64,
                       help="PNG bytes one job may upload (default 64)")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _port(text: str) -> int:
    value = _positive(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"must be a port from 1 to 65535, not {value}")
    return value


def server_options(args: argparse.Namespace, token: str):
    """The :class:`ServerOptions` the arguments ask for; :class:`BadInput` when they clash."""
    from t2ia_desktop.server.options import ServerOptions

    if (args.min_replicas is None) != (args.max_replicas is None):
        raise BadInput("--min-replicas and --max-replicas go together")
    if args.min_replicas is not None and args.min_replicas > args.max_replicas:
        raise BadInput(f"--min-replicas {args.min_replicas} is more than --max-replicas "
                       f"{args.max_replicas}")
    if args.replicas is not None and args.min_replicas is not None:
        raise BadInput("give --replicas or --min-replicas/--max-replicas, not both")
    for folder in args.models:
        if not Path(folder).expanduser().is_dir():
            raise BadInput(f"--models {folder}: no such folder")
    return ServerOptions(
        token=token, replicas=args.replicas or 1, min_replicas=args.min_replicas,
        max_replicas=args.max_replicas, num_cpus=float(args.cpus_per_replica),
        model_folders=tuple(str(Path(f).expanduser().resolve()) for f in args.models),
        max_upload=args.max_upload_mb * 2**20)


def serve_command(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from t2ia_desktop.remote.tokens import default_token_path, ensure_token

    # 1. Everything checked before Ray starts
    token_path = Path(args.token_file).expanduser() if args.token_file else default_token_path()
    options = server_options(args, "")
    try:
        import ray

        from t2ia_desktop.server import launch
    except ImportError:
        raise BadInput("the server needs Ray Serve: pip install 't2ia-desktop[server]' (or "
                       "pip install 'ray[serve]')") from None
    token, created = ensure_token(token_path)
    options = replace(options, token=token)
    if created:
        print(f"token (shown once; kept in {token_path}, readable only by you): {token}")
    if args.host not in LOOPBACK:
        print(f"warning: listening on {args.host}: anyone who reaches port {args.port} and "
              "has the token can run jobs; put TLS in front (see README, 'Serving')",
              file=sys.stderr)
    # 2. Ray: a cluster joined, or one started here; then the application
    start = time.perf_counter()
    ray.init(address=args.address, configure_logging=False, log_to_driver=False)
    options = launch.fit_to_cluster(options)
    if args.replicas is None and options.num_gpus:
        options = replace(options, replicas=max(1, int(ray.cluster_resources()["GPU"])))
    try:
        url = launch.deploy(options, args.host, args.port)
        wanted = options.min_replicas or options.replicas
        launch.wait_ready(url, token, wanted)
        from t2ia_desktop.remote.client import RemoteEngine

        info = RemoteEngine(url, token).server_info()
        print(f"t2ia server ready at {url} in {time.perf_counter() - start:.0f} s: "
              f"{info.summary()}. Ctrl+C stops it", flush=True)
        # 3. Serve until Ctrl+C
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("stopping the server", file=sys.stderr)
        return 0
    finally:
        launch.shutdown()
        ray.shutdown()
