"""Step previews through TAESD / TAESDXL, the tiny VAEs (``madebyollin/taesd``,
``madebyollin/taesdxl``): sharper and truer colours than the linear approximation, for
≈ 18× fewer FLOPs than the real VAE.

Used only when the settings ask for it (Settings → Step previews → TAESD) and the weights are
on this machine: in the TAESD folder of the settings (``taesd/`` for SD1.5, ``taesdxl/`` for
SDXL, each a diffusers ``AutoencoderTiny`` folder) or in the Hugging Face cache. Nothing is
ever downloaded. Otherwise the preview is the approximation, and carries a note (in the PIL
image's ``info`` under :data:`NOTE_KEY`) saying why, which the window shows in its status bar.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from t2ia_desktop.core.settings import TAESD_REPOS, TAESD_SUBFOLDERS, Settings, taesd_folder_for
from t2ia_desktop.engine.step_previews import MAX_PREVIEW_SIZE, preview_image

log = logging.getLogger(__name__)

NOTE_KEY = "t2ia_preview_note"
"""Key in a step preview's ``Image.info``: why TAESD was not used although it was asked for."""


def find_taesd(settings: Settings, family: str) -> Path | None:
    """The local TAESD folder for ``family``: the settings' TAESD folder, then the cache."""
    folder = taesd_folder_for(settings, family)
    if folder is not None:
        return folder
    try:
        from huggingface_hub import try_to_load_from_cache

        config = try_to_load_from_cache(TAESD_REPOS[family], "config.json")
        if not isinstance(config, str):
            return None
        for name in ("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin"):
            if isinstance(try_to_load_from_cache(TAESD_REPOS[family], name), str):
                return Path(config).parent
    except Exception:  # a broken cache only means "not found"
        log.debug("no TAESD in the Hugging Face cache", exc_info=True)
    return None


def decode_preview(vae, latents: torch.Tensor, max_size: int = MAX_PREVIEW_SIZE) -> Image.Image:
    """The first image of ``latents`` (the UNet's latent space) decoded by ``vae``, at most
    ``max_size`` on its longest side.

    Latents larger than the preview are averaged down first: the decoder's cost grows with the
    pixels it makes (a 1024² decode takes seconds on a CPU), and the preview is small anyway.
    """
    if latents.ndim == 3:
        latents = latents[None]
    latents = latents[:1]
    height, width = latents.shape[-2:]
    if max(height, width) * 8 > max_size:
        scale = max_size / (8 * max(height, width))
        size = (max(1, round(height * scale)), max(1, round(width * scale)))
        latents = torch.nn.functional.interpolate(latents.float(), size=size, mode="area")
    with torch.no_grad():
        decoded = vae.decode(latents.to(vae.device, vae.dtype), return_dict=False)[0]
    pixels = ((decoded[0].float().clamp(-1.0, 1.0) + 1.0) * 127.5).round().to(torch.uint8)
    image = Image.fromarray(np.ascontiguousarray(pixels.permute(1, 2, 0).cpu().numpy()), "RGB")
    if max(image.size) > max_size:
        image.thumbnail((max_size, max_size), Image.Resampling.BILINEAR)
    return image


class TaesdPreviews:
    """A step preview decoder for :class:`~t2ia_desktop.engine.step_previews.StepPreviews`:
    reads the settings at every preview (they may change between jobs), loads each TAESD once
    and keeps it, falls back to the approximation with a note.

    Previews are drawn on the worker thread between denoising steps, so TAESD may take at most
    ``budget`` of the worker's time (on a CPU a decode takes seconds): a step that comes
    sooner after the last decode gets the approximation. ``budget=None`` decodes every one.
    """

    def __init__(self, settings: Callable[[], Settings], device: torch.device | str = "cpu",
                 dtype: torch.dtype = torch.float32, budget: float | None = 0.25) -> None:
        self.settings = settings
        self.device = torch.device(device)
        self.dtype = dtype
        self.budget = budget
        self._cost = 0.0  # seconds the last decode took
        self._last_end = 0.0
        self._models: dict[Path, torch.nn.Module] = {}
        self._broken: dict[Path, str] = {}

    def __call__(self, latents: torch.Tensor, family: str) -> Image.Image:
        settings = self.settings()
        if settings.step_preview_decoder != "taesd":
            return preview_image(latents, family)
        vae, why = self._decoder(settings, family)
        if vae is not None:
            if self._too_soon():
                return preview_image(latents, family)
            try:
                started = time.perf_counter()
                image = decode_preview(vae, latents)
                self._last_end = time.perf_counter()
                self._cost = self._last_end - started
                return image
            except Exception as error:  # a preview must never end a job
                log.exception("TAESD preview failed")
                why = f"TAESD could not decode ({type(error).__name__}: {error})"
        image = preview_image(latents, family)
        image.info[NOTE_KEY] = f"{why}: step previews use the approximate colours."
        return image

    def _too_soon(self) -> bool:
        if self.budget is None or self._cost == 0.0:
            return False
        return time.perf_counter() - self._last_end < self._cost * (1.0 / self.budget - 1.0)

    def _decoder(self, settings: Settings, family: str):
        name = TAESD_SUBFOLDERS.get(family)
        if name is None:
            return None, f"no TAESD for {family} models"
        folder = find_taesd(settings, family)
        if folder is None:
            where = settings.taesd_root() / name
            return None, (f"{TAESD_REPOS[family]} is not in {where} nor in the Hugging Face "
                          "cache (put its config.json and diffusion_pytorch_model.safetensors "
                          "there)")
        if folder in self._broken:
            return None, self._broken[folder]
        if folder not in self._models:
            try:
                from diffusers import AutoencoderTiny

                vae = AutoencoderTiny.from_pretrained(folder, torch_dtype=self.dtype,
                                                      local_files_only=True)
                self._models[folder] = vae.to(self.device).eval()
            except Exception as error:
                log.warning("cannot load TAESD from %s: %s", folder, error)
                self._broken[folder] = (f"TAESD in {folder} cannot be loaded "
                                        f"({type(error).__name__}: {error})")
                return None, self._broken[folder]
        return self._models[folder], ""
