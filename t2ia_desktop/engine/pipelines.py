"""Loading and caching of base pipelines, T2I-Adapters and ControlNets.

Base pipelines are loaded once per model and shared: adapter pipelines are views over the same
components (``from_pipe``), so switching adapters never reloads the UNet or the text encoders.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import torch
from diffusers import (
    AutoencoderKL,
    DiffusionPipeline,
    StableDiffusionAdapterPipeline,
    StableDiffusionPipeline,
    StableDiffusionXLAdapterPipeline,
    StableDiffusionXLPipeline,
    T2IAdapter,
)

from t2ia_desktop.core.conditions.registry import ConditionRegistry
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.checkpoints import downloaded, memory_setting
from t2ia_desktop.core.generation.memory_policy import MemoryPlan, choose_memory_plan, with_offload
from t2ia_desktop.core.generation.phases import LOADING_ADAPTERS, LOADING_MODEL, PhaseSink
from t2ia_desktop.core.generation.request import DEFAULT_SDXL_MODEL, DEFAULT_SDXL_VAE, DEMO_MODEL
from t2ia_desktop.engine import single_file
from t2ia_desktop.engine.demo.model import ensure_demo_model
from t2ia_desktop.engine.guides.adapter_family import check_adapter_family
from t2ia_desktop.engine.guides.controlnet_models import ControlNetStore
from t2ia_desktop.engine.memory import device_facts, place_pipeline
from t2ia_desktop.engine.model_store import hub
from t2ia_desktop.engine.model_store.load_progress import component_progress

log = logging.getLogger(__name__)

BASE_CLASSES = {"sdxl": StableDiffusionXLPipeline, "sd15": StableDiffusionPipeline}
ADAPTER_CLASSES = {"sdxl": StableDiffusionXLAdapterPipeline, "sd15": StableDiffusionAdapterPipeline}
FAMILY_NAMES = {"sdxl": "SDXL", "sd15": "SD1.5"}


def pick_device() -> tuple[torch.device, torch.dtype]:
    """CUDA in fp16 where there is a GPU, else the CPU in fp32."""
    if torch.cuda.is_available():
        return torch.device("cuda"), torch.float16
    return torch.device("cpu"), torch.float32


class PipelineStore:
    """Keeps loaded models: the last base pipeline and a few adapters (LRU)."""

    def __init__(
        self,
        registry: ConditionRegistry,
        demo_root: str | Path,
        device: torch.device,
        dtype: torch.dtype,
        max_adapters: int = 8,
        memory: Callable[[], str] = memory_setting,
    ) -> None:
        """``memory`` gives the artist's memory setting (auto / speed / low-vram), asked
        before each model load; the plan follows from it and the device's free memory."""
        self.registry = registry
        self.demo_root = Path(demo_root)
        self.device = device
        self.dtype = dtype
        self.max_adapters = max_adapters
        self._base_key: tuple[str, str, MemoryPlan] | None = None
        self._base: DiffusionPipeline | None = None
        self.scheduler_config: dict = {}
        self._adapters: OrderedDict[str, T2IAdapter] = OrderedDict()
        self.controlnets = ControlNetStore(device, dtype)
        """Loaded ControlNets and ControlNet Union models (engine/guides/controlnet_models.py)."""
        self._memory_setting = memory
        self.offload: str | None = None
        """Forced offload mode (the command line's --offload); ``None``: the plan's."""
        self.facts = device_facts(device)
        self.memory_plan: MemoryPlan = choose_memory_plan(self.facts, "sdxl", memory())
        """The plan of the loaded model (before the first load: SDXL's)."""

    def model_location(self, model: str, family: str) -> str:
        """A folder for the demo model and local folders; the hub id otherwise."""
        if model == DEMO_MODEL:
            return str(ensure_demo_model(self.demo_root, family))
        if hub.is_hub_id(model) and not hub.is_local(model):
            fetched = downloaded(model)  # the model manager's download, if complete
            if fetched is not None:
                return str(fetched)
        return model

    def model_folder(self, model: str, family: str) -> str | None:
        """The model's folder on this machine (its own ControlNets may be in it), or None."""
        location = self.model_location(model, family)
        return location if Path(location).expanduser().is_dir() else None

    def base(self, model: str, family: str, on_phase: PhaseSink | None = None) -> DiffusionPipeline:
        """The model's pipeline, loaded unless it is the one loaded last; ``on_phase`` hears
        "loading model" with the share of components read, only when it loads."""
        location = self.model_location(model, family)
        plan = with_offload(choose_memory_plan(self.facts, family, self._memory_setting()),
                            self.offload)
        key = (location, family, plan)
        if self._base_key != key:
            self._base, self._base_key = None, None  # free the old model before loading
            self.memory_plan = plan
            if on_phase is not None:
                on_phase(LOADING_MODEL, None)
            with component_progress(on_phase, LOADING_MODEL):
                if single_file.is_checkpoint_file(location):
                    self._base = self._place(
                        single_file.load_single_file(location, family, self.dtype))
                else:
                    self._base = hub.load(location, "model", self._base_loader(location))
            self._base_key = key
            self._check_family(self._base, location, family)
            self._base.set_progress_bar_config(disable=True)
            self.scheduler_config = self._base.scheduler.config  # before any request swaps it
        assert self._base is not None
        return self._base

    def adapter_location(self, model: str, family: str, condition: str, given: str | None) -> str:
        """The adapter a control uses: given, else the model's own (for this condition or for
        another with the same hub id, as the demo model has), else the registry's. A given
        adapter of another family than ``family`` is refused with what to do."""
        if given:
            loaded = self._adapters.get(given)
            check_adapter_family(given, family, condition,
                                 None if loaded is None else loaded.config)
            return given
        adapters = Path(self.model_location(model, family)) / "adapters"
        if (adapters / condition).is_dir():
            return str(adapters / condition)
        wanted = self.registry.get(condition).adapter_for(family)
        for other in self.registry:  # e.g. a plugin reusing the sketch adapter's hub id
            if other.adapters.get(family) == wanted and (adapters / other.id).is_dir():
                return str(adapters / other.id)
        fetched = downloaded(wanted) if hub.is_hub_id(wanted) else None
        return str(fetched) if fetched is not None else wanted  # the model manager's download

    def adapter(self, location: str, condition: str,
                on_phase: PhaseSink | None = None) -> T2IAdapter:
        """The adapter at ``location``; ``on_phase`` hears "loading adapters" when it loads."""
        if location in self._adapters:
            self._adapters.move_to_end(location)
            return self._adapters[location]
        if on_phase is not None:
            on_phase(LOADING_ADAPTERS, None)

        def load(reference: str, local_files_only: bool) -> T2IAdapter:
            return T2IAdapter.from_pretrained(
                reference, torch_dtype=self.dtype, local_files_only=local_files_only
            )

        adapter = self._to_device(hub.load(location, f"{condition} adapter", load))
        self._adapters[location] = adapter
        while len(self._adapters) > self.max_adapters:
            self._adapters.popitem(last=False)
        return adapter

    def _base_loader(self, location: str):
        def load(reference: str, local_files_only: bool) -> DiffusionPipeline:
            extra = {}
            if location == DEFAULT_SDXL_MODEL and self.dtype == torch.float16:
                # The stock SDXL VAE overflows in fp16; the fp16-fix VAE does not.
                extra["vae"] = AutoencoderKL.from_pretrained(
                    DEFAULT_SDXL_VAE, torch_dtype=self.dtype, local_files_only=local_files_only
                )
                extra["variant"] = "fp16"
            pipe = DiffusionPipeline.from_pretrained(
                reference, torch_dtype=self.dtype, local_files_only=local_files_only, **extra
            )
            return self._place(pipe)

        return load

    def _place(self, pipe: DiffusionPipeline) -> DiffusionPipeline:
        return place_pipeline(pipe, self.memory_plan, self.device)

    def _to_device(self, module):
        return module if self.device.type == "cpu" else module.to(self.device)

    @staticmethod
    def _check_family(pipe: DiffusionPipeline, location: str, family: str) -> None:
        for name, cls in BASE_CLASSES.items():
            if isinstance(pipe, (cls, ADAPTER_CLASSES[name])):
                if name != family:
                    raise BadInput(
                        f"{location} is an {FAMILY_NAMES[name]} model, not {FAMILY_NAMES[family]}; "
                        f"choose family {name}"
                    )
                return
        raise BadInput(
            f"{location} is a {type(pipe).__name__}, not a Stable Diffusion XL or 1.5 pipeline"
        )
