"""The application for Ray's own tools: ``serve run t2ia_desktop.server.entry:build`` or a
KubeRay ``RayService`` (packaging/server/rayservice.yaml) import it with these ``args``:

    replicas (1), min_replicas / max_replicas (autoscaling), num_gpus (per replica, 1),
    num_cpus (1), models (folders requests may name), max_upload_mb (64)

The token comes from ``T2IA_SERVER_TOKEN`` (a Kubernetes Secret) or ``args.token_file``.
"""

from __future__ import annotations

import os
from typing import Any

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.remote.tokens import read_token
from t2ia_desktop.server.ingress import build_app
from t2ia_desktop.server.options import ServerOptions


def _optional_int(args: dict[str, Any], name: str) -> int | None:
    return None if args.get(name) is None else int(args[name])


def build(args: dict[str, Any]):
    token = os.environ.get("T2IA_SERVER_TOKEN", "").strip()
    if not token:
        if not args.get("token_file"):
            raise BadInput("set T2IA_SERVER_TOKEN or args.token_file: the server never runs "
                           "without a token")
        token = read_token(args["token_file"])
    models = args.get("models") or []
    options = ServerOptions(
        token=token, replicas=int(args.get("replicas", 1)),
        min_replicas=_optional_int(args, "min_replicas"),
        max_replicas=_optional_int(args, "max_replicas"),
        num_gpus=float(args.get("num_gpus", 1)), num_cpus=float(args.get("num_cpus", 1)),
        model_folders=tuple(models if isinstance(models, list) else [models]),
        max_upload=int(args.get("max_upload_mb", 64)) * 2**20)
    return build_app(options)
