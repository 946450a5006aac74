"""The engine: one :class:`GenerationRequest` in, one image out, with progress and cancellation.

It calls the diffusers adapter pipelines themselves, so an image from the app equals what a
plain pipeline call returns for the same arguments and a CPU generator seeded with the seed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import diffusers
import torch
from diffusers import MultiAdapter
from PIL import Image

from t2ia_desktop.core.conditions import ConditionRegistry, default_registry
from t2ia_desktop.core.errors import BadInput, Cancelled
from t2ia_desktop.core.paths import demo_model_root
from t2ia_desktop.core.request import SCHEDULERS, GenerationRequest
from t2ia_desktop.engine import quiet_libraries
from t2ia_desktop.engine.pipelines import ADAPTER_CLASSES, PipelineStore, pick_device

quiet_libraries()

log = logging.getLogger(__name__)

StepCallback = Callable[[int, int], None]


def _never() -> bool:
    return False


# The UNet and the adapters halve the latent 2 (SDXL) or 3 (SD1.5) times after the VAE's 8x,
# and the XL adapters unshuffle by 16 then halve once: sizes must be multiples of these.
SIZE_MULTIPLES = {"sdxl": 32, "sd15": 64}


def working_size(width: int, height: int, family: str) -> tuple[int, int]:
    """The size the pipeline runs at: the request's, rounded up to what the models take."""
    multiple = SIZE_MULTIPLES[family]
    return -(-width // multiple) * multiple, -(-height // multiple) * multiple


def pad_control(image: Image.Image, size: tuple[int, int], padded: tuple[int, int]) -> Image.Image:
    """Scale a control image to the requested size, then extend it with black (no guidance)."""
    if padded == size:
        return image
    canvas = Image.new(image.mode, padded)
    canvas.paste(image.resize(size, Image.Resampling.LANCZOS), (0, 0))
    return canvas


def control_image_for(adapter, image: Image.Image) -> Image.Image:
    """Convert a control image to the channel count the adapter takes (L or RGB)."""
    mode = "L" if adapter.config.in_channels == 1 else "RGB"
    if image.mode == mode:
        return image
    if image.mode in ("RGBA", "LA") and mode == "L":
        image = image.convert("RGB")
    return image.convert(mode)


class Engine:
    """Owns the models; call only from the one thread that owns torch (the worker)."""

    def __init__(
        self,
        demo_root: str | Path | None = None,
        registry: ConditionRegistry | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        picked_device, picked_dtype = pick_device()
        self.device = torch.device(device) if device is not None else picked_device
        self.dtype = dtype or (picked_dtype if device is None else torch.float32)
        self.registry = registry or default_registry()
        self.store = PipelineStore(
            self.registry, demo_root or demo_model_root(), self.device, self.dtype
        )

    def generate(
        self,
        request: GenerationRequest,
        on_step: StepCallback | None = None,
        should_stop: Callable[[], bool] = _never,
    ) -> Image.Image:
        request.validate()
        report = on_step or (lambda step, total: None)
        if should_stop():
            raise Cancelled()
        pipe, kwargs = self.prepare(request)
        if should_stop():
            raise Cancelled()
        report(0, request.steps)

        def on_step_end(step: int) -> None:
            report(step + 1, request.steps)
            if should_stop():
                raise Cancelled()

        if request.controls:
            kwargs["callback"] = lambda step, timestep, latents: on_step_end(step)
            kwargs["callback_steps"] = 1
        else:
            def step_end(pipeline, step, timestep, tensors):
                on_step_end(step)
                return tensors

            kwargs["callback_on_step_end"] = step_end
        with self._step_fraction_for_sd15(pipe, request):
            image = pipe(**kwargs).images[0]
        if image.size != (request.width, request.height):
            image = image.crop((0, 0, request.width, request.height))
        return image

    def prepare(self, request: GenerationRequest) -> tuple[diffusers.DiffusionPipeline, dict]:
        """Load what the request needs and return the pipeline and its call arguments."""
        family = request.family
        base = self.store.base(request.model, family)
        size = (request.width, request.height)
        padded = working_size(request.width, request.height, family)
        adapters, images = [], []
        for control in request.controls:
            self.registry.get(control.condition).adapter_for(family)
            location = self.store.adapter_location(
                request.model, family, control.condition, control.adapter
            )
            adapter = self.store.adapter(location, control.condition)
            adapters.append(adapter)
            images.append(pad_control(control_image_for(adapter, control.image), size, padded))

        if adapters:
            adapter = adapters[0] if len(adapters) == 1 else MultiAdapter(adapters)
            pipe = ADAPTER_CLASSES[family].from_pipe(base, adapter=adapter)
            pipe.set_progress_bar_config(disable=True)
        else:
            pipe = base
        pipe.scheduler = _scheduler(request.scheduler, self.store.scheduler_config)

        kwargs: dict = dict(
            prompt=request.prompt,
            negative_prompt=request.negative_prompt or None,
            num_inference_steps=request.steps,
            guidance_scale=request.guidance_scale,
            width=padded[0],
            height=padded[1],
            generator=torch.Generator("cpu").manual_seed(request.seed),
        )
        if family == "sdxl":
            kwargs["prompt_2"] = request.prompt_2
            kwargs["negative_prompt_2"] = request.negative_prompt_2
        if adapters:
            scales = [c.conditioning_scale for c in request.controls]
            kwargs["image"] = images[0] if len(images) == 1 else images
            kwargs["adapter_conditioning_scale"] = scales[0] if len(scales) == 1 else scales
            if family == "sdxl":
                kwargs["adapter_conditioning_factor"] = request.adapter_conditioning_factor
        return pipe, kwargs

    @contextmanager
    def _step_fraction_for_sd15(self, pipe, request: GenerationRequest):
        """SD1.5's adapter pipeline has no step fraction: drop the adapter residuals after it.

        The SDXL pipeline adds adapter features while ``i < int(steps * factor)``; the same
        rule is applied here by counting UNet calls (one per step, CFG is batched).
        """
        if request.family != "sd15" or not request.controls or request.adapter_conditioning_factor >= 1:
            yield
            return
        cutoff = int(request.steps * request.adapter_conditioning_factor)
        calls = 0

        def drop_late_residuals(module, args, kwargs):
            nonlocal calls
            if calls >= cutoff:
                kwargs["down_intrablock_additional_residuals"] = None
            calls += 1
            return args, kwargs

        handle = pipe.unet.register_forward_pre_hook(drop_late_residuals, with_kwargs=True)
        try:
            yield
        finally:
            handle.remove()


def _scheduler(name: str, config):
    if name not in SCHEDULERS:
        raise BadInput(f"unknown scheduler {name!r} (choose from {', '.join(SCHEDULERS)})")
    return getattr(diffusers, SCHEDULERS[name]).from_config(config)
