"""How a server runs (replicas, limits, the folders it reads models from), and what it refuses
before any replica sees a job. No Ray here: the checks are plain functions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from t2ia_desktop.core.conditions.registry import ConditionRegistry
from t2ia_desktop.core.generation.request import DEMO_MODEL, GenerationRequest, is_hub_id
from t2ia_desktop.core.generation.sdxl_extras import DEMO_REFINER
from t2ia_desktop.remote.wire import DEFAULT_MAX_UPLOAD

APP_NAME = "t2ia"


@dataclass(frozen=True)
class ServerOptions:
    token: str
    replicas: int = 1
    min_replicas: int | None = None
    max_replicas: int | None = None
    """Both given: Serve's autoscaling between them (one job per replica at a time)."""
    num_gpus: float = 0.0
    """Per replica: 1 on GPU nodes, 0 where replicas run on the CPU."""
    num_cpus: float = 1.0
    demo_root: str | None = None
    """Where replicas write the demo model (``None``: each node's data folder)."""
    model_folders: tuple[str, ...] = ()
    """Folders on the server a request may name models, adapters and LoRAs in."""
    max_upload: int = DEFAULT_MAX_UPLOAD


class Refused(Exception):
    """A job the server will not run: ``status`` (4xx) and one line."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def check_request(request: GenerationRequest, options: ServerOptions,
                  registry: ConditionRegistry) -> None:
    """Refuse unknown conditions and any file of the server outside its model folders (a
    client names hub ids, the demo model, or models the server's owner put there)."""
    for control in request.controls:
        registry.get(control.condition)  # BadInput naming the known ones
    names = [("model", request.model), ("refiner", request.refiner)]
    for control in request.controls:
        names += [(f"adapter of {control.condition}", control.adapter),
                  (f"ControlNet of {control.condition}", control.controlnet)]
    for name, reference in names:
        if reference is None or reference in (DEMO_MODEL, DEMO_REFINER):
            continue
        if (is_hub_id(reference) and not Path(reference).is_absolute()
                and not Path(reference).exists()):
            continue
        _check_inside(name, reference, options.model_folders)
    for path, _ in request.loras:
        _check_inside("LoRA", path, options.model_folders)


def _check_inside(name: str, reference: str, folders: tuple[str, ...]) -> None:
    path = Path(reference).expanduser().resolve()
    for folder in folders:
        if path.is_relative_to(Path(folder).expanduser().resolve()):
            return
    where = (f"its model folders ({', '.join(folders)})" if folders
             else "no folder (start it with --models DIR to allow one)")
    raise Refused(403, f"the {name} {reference[:200]!r} is not on this server: it reads "
                       f"files from {where}; name a hub id or a model there")
