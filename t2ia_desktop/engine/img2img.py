"""img2img and inpainting: the standard diffusers pipelines, with the images they need.

Diffusers has no adapter img2img/inpaint pipeline; the engine runs
``StableDiffusion(XL)Img2ImgPipeline`` / ``StableDiffusion(XL)InpaintPipeline`` (views over the
loaded base model through ``from_pipe``) and adds the adapter features to their UNet calls.
"""

from __future__ import annotations

import numpy as np
from diffusers import (
    StableDiffusionImg2ImgPipeline,
    StableDiffusionInpaintPipeline,
    StableDiffusionXLImg2ImgPipeline,
    StableDiffusionXLInpaintPipeline,
)
from PIL import Image

from t2ia_desktop.core.generation.request import GenerationRequest

PIPELINE_CLASSES = {
    ("sdxl", "img2img"): StableDiffusionXLImg2ImgPipeline,
    ("sdxl", "inpaint"): StableDiffusionXLInpaintPipeline,
    ("sd15", "img2img"): StableDiffusionImg2ImgPipeline,
    ("sd15", "inpaint"): StableDiffusionInpaintPipeline,
}


def steps_run(request: GenerationRequest) -> int:
    """How many denoising steps the pipeline runs: img2img skips the first ``1 - strength``."""
    if request.mode == "txt2img":
        return request.steps
    return min(int(request.steps * request.strength), request.steps)


def init_at_size(request: GenerationRequest) -> Image.Image:
    """The init image in RGB at the requested size."""
    assert request.init_image is not None
    image = request.init_image
    if image.mode in ("RGBA", "LA", "P"):
        # transparent canvas areas become white paper, not black
        paper = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(paper, image.convert("RGBA"))
    image = image.convert("RGB")
    size = (request.width, request.height)
    return image if image.size == size else image.resize(size, Image.Resampling.LANCZOS)


def mask_at_size(request: GenerationRequest) -> Image.Image:
    """The mask in L (255: repaint) at the requested size."""
    assert request.mask_image is not None
    mask = request.mask_image
    mask = mask.getchannel("A") if mask.mode in ("RGBA", "LA") else mask.convert("L")
    size = (request.width, request.height)
    return mask if mask.size == size else mask.resize(size, Image.Resampling.BILINEAR)


def pad_edge(image: Image.Image, padded: tuple[int, int]) -> Image.Image:
    """Extend ``image`` to ``padded`` by repeating its last row and column."""
    if image.size == padded:
        return image
    pixels = np.array(image)
    extra = ((0, padded[1] - image.height), (0, padded[0] - image.width))
    extra += ((0, 0),) * (pixels.ndim - 2)
    return Image.fromarray(np.pad(pixels, extra, mode="edge"), image.mode)


def pad_mask(mask: Image.Image, padded: tuple[int, int]) -> Image.Image:
    """Extend a mask with "keep" (black): the padding is cropped off afterwards anyway."""
    if mask.size == padded:
        return mask
    canvas = Image.new("L", padded, 0)
    canvas.paste(mask, (0, 0))
    return canvas


def paste_back(result: Image.Image, init: Image.Image, mask: Image.Image) -> Image.Image:
    """The result where the mask is white, the init image where it is black, blended between.

    The pipelines blend in latent space, so the VAE's round trip would otherwise alter the
    pixels the artist did not mask.
    """
    weight = np.asarray(mask, np.float32)[..., None] / 255.0
    blended = (np.asarray(result.convert("RGB"), np.float32) * weight
               + np.asarray(init, np.float32) * (1.0 - weight))
    return Image.fromarray(np.clip(np.rint(blended), 0, 255).astype(np.uint8), "RGB")
