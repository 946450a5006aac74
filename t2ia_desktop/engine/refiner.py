"""SDXL's refiner as an ensemble of experts, and the micro-conditioning arguments.

The base denoises the first ``refiner_switch`` of the steps (``denoising_end``) and hands its
latents over (``output_type="latent"``); the refiner, a ``StableDiffusionXLImg2ImgPipeline``
sharing the base's ``text_encoder_2`` and VAE, denoises the rest (``denoising_start``), with
the same generator. Adapters guide the base part only: the refiner's UNet has none.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
from diffusers import StableDiffusionXLImg2ImgPipeline, StableDiffusionXLInpaintPipeline
from PIL import Image

from t2ia_desktop.core.errors import Cancelled
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.core.generation.sdxl_extras import DEMO_REFINER, PAIR_FIELDS
from t2ia_desktop.engine.model_store import hub
from t2ia_desktop.engine.schedulers import make_scheduler
from t2ia_desktop.engine.step_previews import PreviewSink, StepPreviews


def micro_conditioning(request: GenerationRequest) -> dict:
    """The SDXL micro-conditioning arguments the request sets (unset ones are left to the
    pipeline, so its defaults, and today's pixels, hold)."""
    return {name: getattr(request, name) for name in PAIR_FIELDS
            if getattr(request, name) is not None}


def base_arguments(request: GenerationRequest) -> dict:
    """What the base pipeline call gains when a refiner follows it."""
    if request.refiner is None:
        return {}
    return {"denoising_end": request.refiner_switch, "output_type": "latent"}


def base_paints_nothing(request: GenerationRequest, scheduler) -> bool:
    """Whether every step the strength lets run falls after the refiner switch (img2img at a
    low strength), so that the refiner alone repaints the init image.

    Counted on a copy of the base's ``scheduler`` as the pipelines count: the steps that run
    are the last ``int(steps * strength)`` timesteps, and the base takes those at or above
    the cutoff ``round(T * (1 - switch))``.
    """
    if request.refiner is None or request.mode == "txt2img":
        return False
    counter = type(scheduler).from_config(scheduler.config)
    counter.set_timesteps(request.steps, device="cpu")
    run = min(int(request.steps * request.strength), request.steps)
    window = counter.timesteps[(request.steps - run) * counter.order:]
    trained = counter.config.num_train_timesteps
    cutoff = round(trained - request.refiner_switch * trained)
    return not bool((window >= cutoff).any())


def refiner_images(request: GenerationRequest, base_kwargs: dict,
                   latents: torch.Tensor | None) -> dict:
    """The refiner's image arguments: the base's ``latents`` from the switch on (and the same
    mask, at the base's size, for inpainting), or the init image at the request's strength
    when the base painted nothing (``latents`` is None)."""
    if latents is None:
        images = {"image": base_kwargs["image"], "strength": request.strength}
    else:
        images = {"image": latents, "denoising_start": request.refiner_switch}
    if request.mode == "inpaint":
        images.update(mask_image=base_kwargs["mask_image"], width=base_kwargs["width"],
                      height=base_kwargs["height"])
    return images


class RefinerStore:
    """Keeps the last refiner, built around the current base's text encoder 2 and VAE."""

    def __init__(self, demo_root: str | Path, device: torch.device, dtype: torch.dtype) -> None:
        self.demo_root = Path(demo_root)
        self.device = device
        self.dtype = dtype
        self._key: tuple[str, int, int] | None = None
        self._refiner: StableDiffusionXLImg2ImgPipeline | None = None
        self._inpainter: StableDiffusionXLInpaintPipeline | None = None
        self._scheduler_config: dict = {}

    def location(self, reference: str) -> str:
        if reference == DEMO_REFINER:
            from t2ia_desktop.engine.demo.refiner import ensure_demo_refiner

            return str(ensure_demo_refiner(self.demo_root))
        return reference

    def refiner(self, reference: str, base) -> StableDiffusionXLImg2ImgPipeline:
        location = self.location(reference)
        # img2img and inpainting hand over views of the base (from_pipe): the parts shared
        # with the refiner say whether it is the same base
        key = (location, id(base.text_encoder_2), id(base.vae))
        if self._key != key:
            self._refiner, self._inpainter, self._key = None, None, None

            def load(ref: str, local_files_only: bool) -> StableDiffusionXLImg2ImgPipeline:
                pipe = StableDiffusionXLImg2ImgPipeline.from_pretrained(
                    ref, text_encoder_2=base.text_encoder_2, vae=base.vae,
                    torch_dtype=self.dtype, local_files_only=local_files_only,
                )
                return pipe if self.device.type == "cpu" else pipe.to(self.device)

            refiner = hub.load(location, "refiner", load)
            refiner.set_progress_bar_config(disable=True)
            self._refiner, self._key = refiner, key
            self._scheduler_config = refiner.scheduler.config
        assert self._refiner is not None
        return self._refiner

    def inpainter(self, reference: str, base) -> StableDiffusionXLInpaintPipeline:
        """The refiner as an inpaint pipeline: a view over the same loaded parts."""
        refiner = self.refiner(reference, base)
        if self._inpainter is None:
            self._inpainter = StableDiffusionXLInpaintPipeline.from_pipe(refiner)
            self._inpainter.set_progress_bar_config(disable=True)
        return self._inpainter

    def pipeline_for(self, request: GenerationRequest, base):
        """The refiner pipeline the request's mode needs (img2img also finishes txt2img)."""
        assert request.refiner is not None
        if request.mode == "inpaint":
            return self.inpainter(request.refiner, base)
        return self.refiner(request.refiner, base)

    def scheduler(self, name: str):
        """A fresh scheduler of the request's kind for the refiner (from its own config, with
        the choice's options, as the base's)."""
        return make_scheduler(name, self._scheduler_config)


def refine(
    store: RefinerStore,
    request: GenerationRequest,
    base,
    latents: torch.Tensor | None,
    generator: torch.Generator,
    steps_done: int,
    report: Callable[[int, int], None],
    should_stop: Callable[[], bool],
    on_preview: PreviewSink | None,
    total: int,
    base_kwargs: dict | None = None,
) -> Image.Image:
    """Denoise the base's ``latents`` from ``refiner_switch`` to the end with the refiner;
    ``base_kwargs`` (the base's call arguments) give img2img and inpainting their init image
    and mask (see :func:`refiner_images`)."""
    assert request.refiner is not None
    refiner = store.pipeline_for(request, base)
    refiner.scheduler = store.scheduler(request.scheduler)
    previews = StepPreviews(refiner, "sdxl", on_preview, (request.width, request.height))

    def step_end(pipeline, step, timestep, tensors):
        report(min(steps_done + step + 1, total), total)
        previews.deliver()
        if should_stop():
            raise Cancelled()
        return tensors

    kwargs = {
        "prompt": request.prompt,
        "prompt_2": request.prompt_2,
        "negative_prompt": request.negative_prompt or None,
        "negative_prompt_2": request.negative_prompt_2,
        "num_inference_steps": request.steps,
        "guidance_scale": request.guidance_scale,
        "generator": generator,
        "aesthetic_score": request.aesthetic_score,
        "negative_aesthetic_score": request.negative_aesthetic_score,
        "callback_on_step_end": step_end,
        **micro_conditioning(request),
        **refiner_images(request, base_kwargs or {}, latents),
    }
    with previews:
        image = refiner(**kwargs).images[0]
    report(total, total)
    return image
