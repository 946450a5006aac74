"""SDXL's refiner as an ensemble of experts, and the micro-conditioning arguments.

The base denoises the first ``refiner_switch`` of the steps (``denoising_end``) and hands its
latents over (``output_type="latent"``); the refiner, a ``StableDiffusionXLImg2ImgPipeline``
sharing the base's ``text_encoder_2`` and VAE, denoises the rest (``denoising_start``), with
the same generator. Adapters guide the base part only: the refiner's UNet has none.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import diffusers
import torch
from diffusers import StableDiffusionXLImg2ImgPipeline
from PIL import Image

from t2ia_desktop.core.errors import BadInput, Cancelled
from t2ia_desktop.core.request import SCHEDULERS, GenerationRequest
from t2ia_desktop.core.sdxl_extras import DEMO_REFINER, PAIR_FIELDS
from t2ia_desktop.engine import hub
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


class RefinerStore:
    """Keeps the last refiner, built around the current base's text encoder 2 and VAE."""

    def __init__(self, demo_root: str | Path, device: torch.device, dtype: torch.dtype) -> None:
        self.demo_root = Path(demo_root)
        self.device = device
        self.dtype = dtype
        self._key: tuple[str, int] | None = None
        self._refiner: StableDiffusionXLImg2ImgPipeline | None = None
        self._scheduler_config: dict = {}

    def location(self, reference: str) -> str:
        if reference == DEMO_REFINER:
            from t2ia_desktop.engine.demo_refiner import ensure_demo_refiner

            return str(ensure_demo_refiner(self.demo_root))
        return reference

    def refiner(self, reference: str, base) -> StableDiffusionXLImg2ImgPipeline:
        location = self.location(reference)
        key = (location, id(base))
        if self._key != key:
            self._refiner, self._key = None, None

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

    def scheduler(self, name: str):
        """A fresh scheduler of the request's kind for the refiner (from its own config)."""
        if name not in SCHEDULERS:
            raise BadInput(f"unknown scheduler {name!r} (choose from {', '.join(SCHEDULERS)})")
        return getattr(diffusers, SCHEDULERS[name]).from_config(self._scheduler_config)


def refine(
    store: RefinerStore,
    request: GenerationRequest,
    base,
    latents: torch.Tensor,
    generator: torch.Generator,
    steps_done: int,
    report: Callable[[int, int], None],
    should_stop: Callable[[], bool],
    on_preview: PreviewSink | None,
    total: int,
) -> Image.Image:
    """Denoise the base's ``latents`` from ``refiner_switch`` to the end with the refiner."""
    assert request.refiner is not None
    refiner = store.refiner(request.refiner, base)
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
        "image": latents,
        "num_inference_steps": request.steps,
        "denoising_start": request.refiner_switch,
        "guidance_scale": request.guidance_scale,
        "generator": generator,
        "aesthetic_score": request.aesthetic_score,
        "negative_aesthetic_score": request.negative_aesthetic_score,
        "callback_on_step_end": step_end,
        **micro_conditioning(request),
    }
    with previews:
        image = refiner(**kwargs).images[0]
    report(total, total)
    return image
