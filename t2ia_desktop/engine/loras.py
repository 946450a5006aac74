"""LoRAs on the base pipeline: a few-step speed LoRA and the artist's style LoRAs.

Loaded LoRAs stay in the pipeline's UNet and text encoders as named peft adapters across jobs
(loading one costs a file read and a module walk); each job activates exactly the ones it
asks for with their weights (``set_adapters``) and a job without LoRAs switches them all off
(``disable_lora``), which leaves every layer computing its base weights alone: the image is
the one the model gives without any LoRA, pixel for pixel.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from t2ia_desktop.core.errors import BadInput, ModelUnavailable
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.core.generation.sampling import NORMAL_SPEED, SPEED_BY_ID, check_lora_file
from t2ia_desktop.engine.model_store import hub

log = logging.getLogger(__name__)

MAX_LOADED = 6
"""LoRAs kept loaded in a pipeline; the least recently used one beyond this is deleted."""


@dataclass(frozen=True)
class WantedLora:
    """A LoRA file a job uses, with its weight and the name artists know it by."""

    path: str
    weight: float
    label: str


def speed_lora_file(speed: str, family: str) -> WantedLora | None:
    """The speed preset's LoRA for ``family`` from the hub cache (downloaded when the hub can
    be reached), or None for "normal"; a clear message naming the file when it is missing."""
    if speed == NORMAL_SPEED:
        return None
    preset = SPEED_BY_ID.get(speed)
    if preset is None or preset.file_for(family) is None:
        raise BadInput(f"speed {speed!r} has no LoRA for {family.upper()} models")
    repo, filename = preset.file_for(family)
    from huggingface_hub import hf_hub_download

    try:
        path = hf_hub_download(repo, filename, local_files_only=True)
    except Exception:
        if not hub.hub_reachable():
            raise ModelUnavailable(
                f"The {preset.label} LoRA, {filename} from {repo}, is not on this machine and "
                f"cannot be downloaded now ({'offline mode' if hub.offline() else 'no hub'}). "
                "Download it once while online, or add the .safetensors file to the LoRA list "
                "and set Speed to Normal."
            ) from None
        try:
            path = hf_hub_download(repo, filename)
        except Exception as error:
            raise ModelUnavailable(
                f"Could not download {filename} from {repo}: {str(error).splitlines()[0]}"
            ) from None
    return WantedLora(str(path), 1.0, preset.label)


def wanted_loras(request: GenerationRequest) -> list[WantedLora]:
    """The LoRAs a request uses: its speed LoRA first, then its style LoRAs."""
    wanted = []
    speed = speed_lora_file(request.speed, request.family)
    if speed is not None:
        wanted.append(speed)
    for path, weight in request.loras:
        check_lora_file(path)
        wanted.append(WantedLora(str(Path(path).expanduser()), float(weight), Path(path).name))
    return wanted


class LoraCache:
    """Which LoRA files are loaded into the current base pipeline, under which adapter name."""

    def __init__(self, max_loaded: int = MAX_LOADED) -> None:
        self.max_loaded = max_loaded
        self._pipe_id: int | None = None
        self._names: OrderedDict[tuple[str, float], str] = OrderedDict()  # (path, mtime) -> name
        self._counter = 0
        self.loads = 0  # files read so far (tests count them)

    @property
    def loaded(self) -> list[str]:
        return list(self._names.values())

    def apply(self, pipe, wanted: list[WantedLora]) -> list[str]:
        """Activate exactly ``wanted`` on ``pipe`` (a base pipeline); returns adapter names."""
        if id(pipe) != self._pipe_id or (self._names and
                                         not set(self._names.values()) <= _adapter_names(pipe)):
            # another model (even one at the old one's address): its adapters went with it
            self._pipe_id, self._names = id(pipe), OrderedDict()
        names, weights = [], []
        for lora in wanted:
            names.append(self._load(pipe, lora))
            weights.append(lora.weight)
        if names:
            pipe.enable_lora()
            pipe.set_adapters(names, adapter_weights=weights)
        elif self._names:
            pipe.disable_lora()
        self._evict(pipe, keep=set(names))
        return names

    def _load(self, pipe, lora: WantedLora) -> str:
        key = (lora.path, Path(lora.path).stat().st_mtime)
        if key in self._names:
            self._names.move_to_end(key)
            return self._names[key]
        self._counter += 1
        name = f"lora{self._counter}"
        try:
            pipe.load_lora_weights(lora.path, adapter_name=name)
        except Exception as error:
            _forget(pipe, name)
            first = (str(error).strip() or type(error).__name__).splitlines()[0][:200]
            raise BadInput(
                f"LoRA {lora.label} cannot be used with this model ({first}); check that it "
                "is a LoRA for this model family and that the file is complete"
            ) from None
        if name not in _adapter_names(pipe):
            raise BadInput(
                f"LoRA {lora.label} has no weights this model can take; is it a LoRA for "
                "another model family?"
            )
        self.loads += 1
        self._names[key] = name
        return name

    def _evict(self, pipe, keep: set[str]) -> None:
        for key, name in list(self._names.items()):
            if len(self._names) <= self.max_loaded:
                break
            if name not in keep:
                del self._names[key]
                _forget(pipe, name)


def _adapter_names(pipe) -> set[str]:
    return {name for names in pipe.get_list_adapters().values() for name in names}


def _forget(pipe, name: str) -> None:
    try:
        if name in _adapter_names(pipe):
            pipe.delete_adapters(name)
    except Exception:  # a half-loaded adapter: nothing more to undo
        log.debug("could not delete LoRA adapter %s", name, exc_info=True)
