"""The engine: one :class:`GenerationRequest` in, one image out, with progress and cancellation.

It runs the standard diffusers pipelines (text-to-image, img2img, inpainting) and adds each
control layer's adapter features to their UNet calls within that layer's step range
(engine/injection.py); the features are cached across jobs (engine/adapter_features.py). With
every range ``[0, f]`` the image equals the diffusers adapter pipeline with
``adapter_conditioning_factor=f``, pixel for pixel, for a CPU generator seeded with the seed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

import diffusers
import numpy as np
import torch
from PIL import Image

from t2ia_desktop.core.conditions.registry import ConditionRegistry, default_registry
from t2ia_desktop.core.errors import Cancelled
from t2ia_desktop.core.generation.phases import (
    COMPUTING_FEATURES,
    DECODING,
    DENOISING,
    LOADING_REFINER,
    REFINING,
    PhaseReporter,
    PhaseSink,
)
from t2ia_desktop.core.generation.request import ControlSpec, GenerationRequest
from t2ia_desktop.core.paths import demo_model_root
from t2ia_desktop.engine import quiet_libraries
from t2ia_desktop.engine.guides.adapter_features import (
    FeatureCache,
    FeatureKey,
    adapter_input,
    image_key,
)
from t2ia_desktop.engine.guides.injection import AdapterInjection, LayerFeatures, guides_at_all
from t2ia_desktop.engine.img2img import (
    PIPELINE_CLASSES,
    init_at_size,
    mask_at_size,
    pad_edge,
    pad_mask,
    paste_back,
    steps_run,
)
from t2ia_desktop.engine.loras import LoraCache, wanted_loras
from t2ia_desktop.engine.memory import tile_vae_for
from t2ia_desktop.engine.model_store.load_progress import component_progress
from t2ia_desktop.engine.oom import recovers_from_out_of_memory
from t2ia_desktop.engine.pipelines import PipelineStore, pick_device
from t2ia_desktop.engine.prompt_embeds import with_prompt_weights
from t2ia_desktop.engine.refiner import (
    RefinerStore,
    base_arguments,
    base_paints_nothing,
    micro_conditioning,
    refine,
)
from t2ia_desktop.engine.schedulers import make_scheduler
from t2ia_desktop.engine.step_previews import PreviewSink, StepPreviews

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
        self.features = FeatureCache()
        self.loras = LoraCache()  # speed and style LoRAs stay loaded across jobs
        self.refiners = RefinerStore(demo_root or demo_model_root(), self.device, self.dtype)
        self.last_injection: AdapterInjection | None = None  # what the last job added, per step
        self.step_preview_decoder: Callable[[torch.Tensor, str], Image.Image] | None = None
        """Draws step previews instead of the approximation (engine/taesd.py, set by app.py)."""

    @recovers_from_out_of_memory  # ends the job with advice, frees memory (engine/oom.py)
    def generate(
        self,
        request: GenerationRequest,
        on_step: StepCallback | None = None,
        should_stop: Callable[[], bool] = _never,
        on_preview: PreviewSink | None = None,
        on_phase: PhaseSink | None = None,
    ) -> Image.Image:
        """``on_preview`` gets each step's preview (see engine/step_previews.py); ``on_phase``
        each phase as it begins (core/phases.py): loading only when something loads."""
        request.validate()
        phases = PhaseReporter(on_phase)
        step_sink = on_step or (lambda step, total: None)

        def report(step: int, total: int) -> None:
            step_sink(step, total)
            if step >= total > 0:  # the last step: the VAE turns latents into pixels next
                phases.enter(DECODING)
        if should_stop():
            raise Cancelled()
        total = steps_run(request)
        if total == 0:  # img2img at (nearly) no strength: nothing is repainted
            step_sink(0, 1)
            step_sink(1, 1)
            return init_at_size(request)
        pipe, kwargs, injection = self.prepare(request, phases)
        self.last_injection = injection
        if should_stop():  # a Cancel during loading takes effect here, before step 1
            raise Cancelled()
        phases(DENOISING, 0.0)
        report(0, total)
        previews = StepPreviews(pipe, request.family, on_preview,
                                (request.width, request.height), self.step_preview_decoder)

        steps_done = 0

        def on_step_end(step: int) -> None:
            nonlocal steps_done
            steps_done = step + 1
            report(step + 1, total)
            previews.deliver()
            if should_stop():
                raise Cancelled()

        def step_end(pipeline, step, timestep, tensors):
            on_step_end(step)
            return tensors

        kwargs["callback_on_step_end"] = step_end
        guided = injection.attached(pipe.unet) if injection.layers else nullcontext()
        if base_paints_nothing(request, pipe.scheduler):  # img2img strength below the switch
            image = None  # the refiner alone repaints the init image
        else:
            with guided, previews:
                image = pipe(**kwargs).images[0]
        if request.refiner is not None:  # the base's latents, finished by the refiner
            phases(REFINING)

            def refiner_step(step: int, steps: int) -> None:
                if step < steps:  # back from "loading refiner", when it had to load
                    phases.enter(REFINING)
                report(step, steps)

            with component_progress(phases if on_phase else None, LOADING_REFINER):
                image = refine(self.refiners, request, pipe,
                               None if image is None else image[None], kwargs["generator"],
                               steps_done, refiner_step, should_stop, on_preview, total, kwargs)
        elif kwargs.get("output_type") == "latent":
            image = _decode_like_sd15_adapter_pipeline(pipe, image[None])
        if image.size != (request.width, request.height):
            image = image.crop((0, 0, request.width, request.height))
        if request.mode == "inpaint":
            image = paste_back(image, init_at_size(request), mask_at_size(request))
        return image

    def prepare(
        self, request: GenerationRequest, phases: PhaseSink | None = None
    ) -> tuple[diffusers.DiffusionPipeline, dict, AdapterInjection]:
        """Load what the request needs; return the pipeline, its call arguments and the
        adapter features to add to its UNet calls."""
        family = request.family
        base = self.store.base(request.model, family, phases)
        self.loras.apply(base, wanted_loras(request))  # none wanted: all switched off
        padded = working_size(request.width, request.height, family)
        steps = steps_run(request)
        layers = []
        for control in request.controls:
            self.registry.get(control.condition).adapter_for(family)
            location = self.store.adapter_location(
                request.model, family, control.condition, control.adapter
            )
            scale_and_range = (control.conditioning_scale, control.start, control.end)
            if not guides_at_all(scale_and_range, steps, request.adapter_conditioning_factor):
                continue  # a muted layer or an empty range: skip its adapter altogether
            layers.append(LayerFeatures(
                self.adapter_features(location, control, (request.width, request.height),
                                      padded, phases),
                control.conditioning_scale, control.start, control.end,
            ))
        injection = AdapterInjection(layers, steps, request.adapter_conditioning_factor)

        if request.mode == "txt2img":
            pipe = base
        else:
            pipe = PIPELINE_CLASSES[(family, request.mode)].from_pipe(base)
            pipe.set_progress_bar_config(disable=True)
        pipe.scheduler = make_scheduler(request.scheduler, self.store.scheduler_config)
        tile_vae_for(base, self.store.memory_plan, *padded)  # large sizes decode in tiles

        kwargs: dict = {
            "prompt": request.prompt,
            "negative_prompt": request.negative_prompt or None,
            "num_inference_steps": request.steps,
            "guidance_scale": request.guidance_scale,
            "generator": torch.Generator("cpu").manual_seed(request.seed),
        }
        if family == "sdxl":
            kwargs["prompt_2"] = request.prompt_2
            kwargs["negative_prompt_2"] = request.negative_prompt_2
            kwargs.update(micro_conditioning(request))
            kwargs.update(base_arguments(request))  # a refiner finishes: hand over latents
        if request.mode != "img2img":  # img2img takes its size from the init image
            kwargs["width"], kwargs["height"] = padded
        if request.mode != "txt2img":
            kwargs["image"] = pad_edge(init_at_size(request), padded)
            kwargs["strength"] = request.strength
        if request.mode == "inpaint":
            kwargs["mask_image"] = pad_mask(mask_at_size(request), padded)
        if family == "sd15" and request.mode == "txt2img" and request.controls:
            # StableDiffusionAdapterPipeline decodes on its own path; so does the engine, to
            # give the same pixels.
            kwargs["output_type"] = "latent"
        kwargs = with_prompt_weights(pipe, kwargs, family)  # (word:1.2) emphasis
        return pipe, kwargs, injection

    def adapter_features(self, location: str, control: ControlSpec, size: tuple[int, int],
                         padded: tuple[int, int],
                         phases: PhaseSink | None = None) -> list[torch.Tensor]:
        """The unscaled features of the adapter at ``location`` for ``control``'s image,
        computed at most once while they stay in the cache."""
        key = FeatureKey(location, image_key(control.image), padded, str(self.dtype),
                         str(self.device))

        def compute() -> list[torch.Tensor]:
            adapter = self.store.adapter(location, control.condition, phases)
            if phases is not None:
                phases(COMPUTING_FEATURES, None)
            image = pad_control(control_image_for(adapter, control.image), size, padded)
            return adapter(adapter_input(image, padded, adapter.dtype, self.device))

        return self.features.get(key, compute)


def _decode_like_sd15_adapter_pipeline(pipe, latents: torch.Tensor) -> Image.Image:
    """Latents to a picture with the arithmetic of ``StableDiffusionAdapterPipeline``."""
    with torch.no_grad():
        decoded = pipe.vae.decode(1 / pipe.vae.config.scaling_factor * latents,
                                  return_dict=False)[0]
    decoded = (decoded / 2 + 0.5).clamp(0, 1)
    pixels = decoded.cpu().permute(0, 2, 3, 1).float().numpy()[0]
    return Image.fromarray((pixels * 255).round().astype(np.uint8))

