"""The engine: one :class:`GenerationRequest` in, one image out, with progress and cancellation.

It runs the standard diffusers pipelines (text-to-image, img2img, inpainting) and adds each
control layer's adapter features to their UNet calls within that layer's step range
(engine/guides/injection.py); the features are cached across jobs (engine/adapter_features.py).
Layers guided by a ControlNet run it at each step in the same hook (engine/guides/controlnet.py).
With every range ``[0, f]`` the image equals the diffusers adapter pipeline with
``adapter_conditioning_factor=f``, and a ControlNet-only run the diffusers ControlNet pipeline,
pixel for pixel, for a CPU generator seeded with the seed.
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

from t2ia_desktop.core.conditions.guides import ADAPTER
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
from t2ia_desktop.engine.guides.controlnet_setup import build_controlnet_guide, controlnets_guide
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


class JobProgress:
    """One job's reporting: steps (and the decoding phase after the last), phases, step
    previews, and the Cancel check."""

    def __init__(self, on_step: StepCallback | None, should_stop: Callable[[], bool],
                 on_preview: PreviewSink | None, on_phase: PhaseSink | None) -> None:
        self.phases = PhaseReporter(on_phase)
        self.reports_phases = on_phase is not None
        self.on_step: StepCallback = on_step or (lambda step, total: None)
        self.should_stop = should_stop
        self.on_preview = on_preview
        self.steps_done = 0  # base steps finished: the refiner takes over from there

    def report(self, step: int, total: int) -> None:
        self.on_step(step, total)
        if step >= total > 0:  # the last step: the VAE turns latents into pixels next
            self.phases.enter(DECODING)

    def stop_if_asked(self) -> None:
        if self.should_stop():
            raise Cancelled()


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
        # 1. Check inputs
        request.validate()
        job = JobProgress(on_step, should_stop, on_preview, on_phase)
        job.stop_if_asked()
        total = steps_run(request)

        # 2. Nothing to repaint (img2img at nearly no strength): the init image as it is
        if total == 0:
            job.on_step(0, 1)
            job.on_step(1, 1)
            return init_at_size(request)

        # 3. Load the models, compute the adapter features, gather the pipeline's arguments
        pipe, kwargs, injection = self.prepare(request, job.phases)
        self.last_injection = injection
        job.stop_if_asked()  # a Cancel during loading takes effect here, before step 1

        # 4. Denoising loop of the base model, guided by the adapters
        image = self._denoise(request, pipe, kwargs, injection, job, total)

        # 5. The refiner finishes the base's latents, or the latents are decoded
        if request.refiner is not None:
            image = self._refine(request, pipe, kwargs, image, job, total)
        elif kwargs.get("output_type") == "latent":
            image = _decode_like_sd15_adapter_pipeline(pipe, image[None])

        # 6. Back to the requested size; inpainting keeps the pixels outside the mask
        return _fit_to_request(image, request)

    def _denoise(self, request: GenerationRequest, pipe: diffusers.DiffusionPipeline,
                 kwargs: dict, injection: AdapterInjection, job: JobProgress,
                 total: int) -> Image.Image | torch.Tensor | None:
        """Run the base pipeline with the step callback: a picture, or latents for the refiner
        or the SD1.5 adapter decode, or None when the refiner alone repaints the init image."""
        job.phases(DENOISING, 0.0)
        job.report(0, total)
        previews = StepPreviews(pipe, request.family, job.on_preview,
                                (request.width, request.height), self.step_preview_decoder)

        def step_end(pipeline, step, timestep, tensors):
            job.steps_done = step + 1
            job.report(step + 1, total)
            previews.deliver()
            job.stop_if_asked()
            return tensors

        kwargs["callback_on_step_end"] = step_end
        if base_paints_nothing(request, pipe.scheduler):  # img2img strength below the switch
            return None
        guided = injection.attached(pipe.unet) if injection.guides else nullcontext()
        with guided, previews:
            return pipe(**kwargs).images[0]

    def _refine(self, request: GenerationRequest, pipe: diffusers.DiffusionPipeline,
                kwargs: dict, latents: torch.Tensor | None, job: JobProgress,
                total: int) -> Image.Image:
        """The refiner's picture from the base's latents (or from the init image alone)."""
        job.phases(REFINING)

        def refiner_step(step: int, steps: int) -> None:
            if step < steps:  # back from "loading refiner", when it had to load
                job.phases.enter(REFINING)
            job.report(step, steps)

        with component_progress(job.phases if job.reports_phases else None, LOADING_REFINER):
            return refine(self.refiners, request, pipe,
                          None if latents is None else latents[None], kwargs["generator"],
                          job.steps_done, refiner_step, job.should_stop, job.on_preview, total,
                          kwargs)

    def prepare(
        self, request: GenerationRequest, phases: PhaseSink | None = None
    ) -> tuple[diffusers.DiffusionPipeline, dict, AdapterInjection]:
        """Load what the request needs; return the pipeline, its call arguments and the
        adapter features to add to its UNet calls."""
        family = request.family
        padded = working_size(request.width, request.height, family)
        # 1. The base pipeline with the request's LoRAs (none wanted: all switched off)
        base = self.store.base(request.model, family, phases)
        self.loras.apply(base, wanted_loras(request))
        # 2. Each guiding control layer's adapter features
        injection = self._injection(request, padded, phases)
        # 3. The pipeline of the request's mode, with its scheduler
        if request.mode == "txt2img":
            pipe = base
        else:
            pipe = PIPELINE_CLASSES[(family, request.mode)].from_pipe(base)
            pipe.set_progress_bar_config(disable=True)
        pipe.scheduler = make_scheduler(request.scheduler, self.store.scheduler_config)
        tile_vae_for(base, self.store.memory_plan, *padded)  # large sizes decode in tiles
        # 3b. The ControlNets, loaded and checked before the UNet runs
        injection.controlnets = build_controlnet_guide(
            self.registry, self.store.controlnets, request,
            self.store.model_folder(request.model, family), padded,
            lambda image: pad_control(image, (request.width, request.height), padded),
            base.vae_scale_factor, base.unet.config, steps_run(request), phases)
        # 4. The pipeline's call arguments, (word:1.2) emphasis included
        kwargs = with_prompt_weights(pipe, pipeline_arguments(request, padded), family)
        return pipe, kwargs, injection

    def _injection(self, request: GenerationRequest, padded: tuple[int, int],
                   phases: PhaseSink | None) -> AdapterInjection:
        """The features of every control layer that guides at all, with scale and range."""
        family, steps = request.family, steps_run(request)
        layers = []
        for control in request.controls:
            if control.guide != ADAPTER:
                continue  # a ControlNet layer (engine/guides/controlnet_setup.py)
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
        return AdapterInjection(layers, steps, request.adapter_conditioning_factor)

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


def pipeline_arguments(request: GenerationRequest, padded: tuple[int, int]) -> dict:
    """The diffusers pipeline's call arguments for ``request`` at the working size."""
    kwargs: dict = {
        "prompt": request.prompt,
        "negative_prompt": request.negative_prompt or None,
        "num_inference_steps": request.steps,
        "guidance_scale": request.guidance_scale,
        "generator": torch.Generator("cpu").manual_seed(request.seed),
    }
    if request.family == "sdxl":
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
    if (request.family == "sd15" and request.mode == "txt2img"
            and any(c.guide == ADAPTER for c in request.controls)
            and not controlnets_guide(request, steps_run(request))):
        # StableDiffusionAdapterPipeline decodes on its own path; so does the engine where
        # adapters are the only guides, to give the same pixels (a guiding ControlNet: the
        # ControlNet pipeline's path, the standard one).
        kwargs["output_type"] = "latent"
    return kwargs


def _fit_to_request(image: Image.Image, request: GenerationRequest) -> Image.Image:
    """Crop the working size's picture to the requested size; paste an inpainted picture
    back into the init image outside the mask."""
    if image.size != (request.width, request.height):
        image = image.crop((0, 0, request.width, request.height))
    if request.mode == "inpaint":
        image = paste_back(image, init_at_size(request), mask_at_size(request))
    return image


def _decode_like_sd15_adapter_pipeline(pipe, latents: torch.Tensor) -> Image.Image:
    """Latents to a picture with the arithmetic of ``StableDiffusionAdapterPipeline``."""
    with torch.no_grad():
        decoded = pipe.vae.decode(1 / pipe.vae.config.scaling_factor * latents,
                                  return_dict=False)[0]
    decoded = (decoded / 2 + 0.5).clamp(0, 1)
    pixels = decoded.cpu().permute(0, 2, 3, 1).float().numpy()[0]
    return Image.fromarray((pixels * 255).round().astype(np.uint8))

