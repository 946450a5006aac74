"""The command line as a client of a t2ia server: ``generate --server URL`` runs its one job
there; the request is checked, and detectors run, here first, exactly as without a server."""

from __future__ import annotations

import argparse
from typing import Any

from t2ia_desktop.core.errors import BadInput


def add_server_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("server")
    group.add_argument("--server", metavar="URL",
                       help="run on a t2ia server (`t2ia-desktop serve`), e.g. "
                            "http://gpu-box:8000")
    group.add_argument("--token-file", metavar="FILE",
                       help="the server's bearer token (default: this machine's server-token "
                            "in the data folder, or $T2IA_SERVER_TOKEN)")


def remote_engine(args: argparse.Namespace):
    """The :class:`RemoteEngine` for ``--server`` and ``--token-file``; local-engine options
    given with it are refused (the server picks its own device)."""
    import os

    from t2ia_desktop.remote.client import RemoteEngine
    from t2ia_desktop.remote.tokens import default_token_path, read_token

    for option in ("device", "dtype", "offload"):
        if getattr(args, option, "auto") != "auto":
            raise BadInput(f"--{option} is for this machine's engine; the server at "
                           f"{args.server} uses its own devices")
    if args.token_file:
        token = read_token(args.token_file)
    elif os.environ.get("T2IA_SERVER_TOKEN"):
        token = os.environ["T2IA_SERVER_TOKEN"].strip()
    else:
        token = read_token(default_token_path())
    return RemoteEngine(args.server, token)


def painted_remotely(engine: Any, request: Any, on_step=None) -> Any:
    """The server's picture; its out-of-memory advice is told without the app's queue."""
    from t2ia_desktop.remote.errors import RemoteOutOfMemory

    try:
        return engine.generate(request, on_step=on_step)
    except RemoteOutOfMemory as error:
        raise BadInput(f"The server ran out of {error.memory}: {error.advice}") from None
