"""Step previews: what the picture will look like, at every denoising step, without the VAE.

The UNet's noise prediction gives a prediction of the finished latents (``x0``) at every step;
a linear map from the 4 latent channels to RGB (published per model family, see
FIELD_NOTES.md) turns it into a small image at 1/8 of the picture's size. :class:`X0Tap` wraps
the pipeline's ``scheduler.step`` for one call to catch that prediction, for any scheduler, with
or without adapters; :func:`preview_image` converts it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Self

import numpy as np
import torch
from PIL import Image

# Rows are latent channels 0–3, columns R, G, B (values of the UNet's latent space).
LATENT_RGB_FACTORS: dict[str, tuple[tuple[float, float, float], ...]] = {
    "sdxl": (
        (0.3651, 0.4232, 0.4341),
        (-0.2533, -0.0042, 0.1068),
        (0.1076, 0.1111, -0.0362),
        (-0.3165, -0.2492, -0.2188),
    ),
    "sd15": (
        (0.3512, 0.2297, 0.3227),
        (0.3250, 0.4974, 0.2350),
        (-0.2829, 0.1762, 0.2721),
        (-0.2120, -0.2616, -0.7177),
    ),
}
LATENT_RGB_BIAS: dict[str, tuple[float, float, float]] = {
    "sdxl": (0.1084, -0.0175, -0.0011),
    "sd15": (0.0, 0.0, 0.0),
}
MAX_PREVIEW_SIZE = 256
"""Longest side of a step preview, in pixels: enough for a queue row or a status thumbnail."""

_factor_cache: dict[tuple[str, str, torch.dtype], tuple[torch.Tensor, torch.Tensor]] = {}


def _factors(family: str, device: torch.device, dtype: torch.dtype):
    key = (family, str(device), dtype)
    if key not in _factor_cache:
        if family not in LATENT_RGB_FACTORS:
            raise ValueError(f"no latent colours for family {family!r} (use sdxl or sd15)")
        matrix = torch.tensor(LATENT_RGB_FACTORS[family], device=device, dtype=dtype)
        bias = torch.tensor(LATENT_RGB_BIAS[family], device=device, dtype=dtype)
        _factor_cache[key] = (matrix, bias)
    return _factor_cache[key]


def latents_to_rgb(latents: torch.Tensor | np.ndarray, family: str) -> np.ndarray:
    """(4, h, w) or (batch, 4, h, w) latents → (h, w, 3) uint8 RGB of the first image.

    The linear map gives values around [-1, 1]; they are clamped there and scaled to 0–255.
    """
    tensor = torch.as_tensor(latents)
    if tensor.ndim == 4:
        tensor = tensor[0]
    if tensor.ndim != 3 or tensor.shape[0] != 4:
        raise ValueError(f"expected 4-channel latents, got shape {tuple(tensor.shape)}")
    if tensor.device.type == "cpu":
        return _latents_to_rgb_numpy(tensor.detach().float().numpy(), family)
    dtype = tensor.dtype if tensor.dtype in (torch.float32, torch.float64) else torch.float32
    tensor = tensor.to(dtype)
    matrix, bias = _factors(family, tensor.device, dtype)
    rgb = torch.einsum("chw,cr->hwr", tensor, matrix) + bias
    rgb = ((rgb.clamp(-1.0, 1.0) + 1.0) * 127.5).round().to(torch.uint8)
    return rgb.cpu().numpy()


def _latents_to_rgb_numpy(latents: np.ndarray, family: str) -> np.ndarray:
    # Plain element-wise numpy: on a busy CPU torch's thread pool can stall a call for tens of
    # milliseconds, these few multiply-adds never wait for other threads.
    if family not in LATENT_RGB_FACTORS:
        raise ValueError(f"no latent colours for family {family!r} (use sdxl or sd15)")
    factors = np.asarray(LATENT_RGB_FACTORS[family], dtype=np.float32)
    bias = np.asarray(LATENT_RGB_BIAS[family], dtype=np.float32)
    planes = np.empty((3, *latents.shape[1:]), dtype=np.float32)
    for colour in range(3):
        plane = planes[colour]
        plane.fill(bias[colour] + 1.0)  # + 1: from [-1, 1] to [0, 2] on the way
        for channel in range(4):
            plane += factors[channel, colour] * latents[channel]
    np.clip(planes, 0.0, 2.0, out=planes)
    planes *= 127.5
    return np.rint(planes, out=planes).astype(np.uint8).transpose(1, 2, 0).copy()


def preview_image(
    latents: torch.Tensor | np.ndarray, family: str, max_size: int = MAX_PREVIEW_SIZE
) -> Image.Image:
    """A step preview as a PIL image, shrunk to ``max_size`` on its longest side."""
    image = Image.fromarray(latents_to_rgb(latents, family), "RGB")
    if max(image.size) > max_size:
        image.thumbnail((max_size, max_size), Image.Resampling.BILINEAR)
    return image


def predicted_x0(scheduler, model_output: torch.Tensor, timestep, sample: torch.Tensor,
                 sigma: float | None) -> torch.Tensor:
    """The finished latents the scheduler's model output points at, for schedulers that do not
    return them (DPM++, UniPC…).

    ``sigma`` is the step's sigma (k-diffusion convention: noise over signal) when the scheduler
    keeps sigmas, else it is taken from ``alphas_cumprod`` at ``timestep``. Samples of schedulers
    whose ``init_noise_sigma`` exceeds 1 (Euler-like) are x0 + sigma·noise; the others are
    alpha·x0 + sigma_t·noise.
    """
    if sigma is None:
        alphas = scheduler.alphas_cumprod
        index = int(timestep.item() if torch.is_tensor(timestep) else timestep)
        alpha_prod = float(alphas[min(max(index, 0), len(alphas) - 1)])
        sigma = math.sqrt((1.0 - alpha_prod) / alpha_prod)
    alpha_t = 1.0 / math.sqrt(sigma * sigma + 1.0)
    sigma_t = sigma * alpha_t
    prediction = getattr(scheduler.config, "prediction_type", "epsilon")
    if prediction == "sample":
        return model_output
    if float(getattr(scheduler, "init_noise_sigma", 1.0)) > 1.0:
        sample = sample * alpha_t  # from x0 + sigma·noise to alpha·x0 + sigma_t·noise
    if prediction == "v_prediction":
        return alpha_t * sample - sigma_t * model_output
    return (sample - sigma_t * model_output) / alpha_t


def _current_sigma(scheduler) -> float | None:
    """The sigma of the step that just ran (``step_index`` has moved past it)."""
    sigmas = getattr(scheduler, "sigmas", None)
    index = getattr(scheduler, "step_index", None)
    if sigmas is None or index is None or not 1 <= index <= len(sigmas):
        return None
    return float(sigmas[index - 1])


class X0Tap:
    """Catches the predicted x0 of every ``scheduler.step`` call of one pipeline run.

    Use as a context manager around the pipeline call; read :attr:`latest` in the step
    callback (the pipelines call it right after ``scheduler.step``). The wrapper keeps the
    step's signature, so the pipelines still pass ``generator`` and ``eta`` to it.
    """

    def __init__(self, scheduler) -> None:
        self.scheduler = scheduler
        self.latest: torch.Tensor | None = None
        self._original: Callable | None = None

    def __enter__(self) -> Self:
        original = self.scheduler.step
        self._original = original

        @functools.wraps(original)
        def step(model_output, timestep, sample, *args, return_dict: bool = True, **kwargs):
            output = original(model_output, timestep, sample, *args, return_dict=True, **kwargs)
            x0 = getattr(output, "pred_original_sample", None)
            if x0 is None:
                x0 = predicted_x0(self.scheduler, model_output, timestep, sample,
                                  _current_sigma(self.scheduler))
            self.latest = x0.detach()
            return output if return_dict else output.to_tuple()

        self.scheduler.step = step
        return self

    def __exit__(self, *exc) -> None:
        if self._original is not None:
            del self.scheduler.step  # the instance attribute: the class's method shows again
            self._original = None


PreviewSink = Callable[[Callable[[], Image.Image]], None]
"""Takes a step's preview as a function that renders it: a sink that is still busy with the
last preview skips the rendering altogether."""


class StepPreviews:
    """The engine's side of step previews for one run: tap the scheduler, hand each step's
    preview to ``sink`` (nothing happens when ``sink`` is None)."""

    def __init__(self, pipe, family: str, sink: PreviewSink | None,
                 size: tuple[int, int] | None = None,
                 decode: Callable[[torch.Tensor, str], Image.Image] | None = None) -> None:
        """``size`` is the picture's (width, height): the preview leaves out the padding the
        pipeline ran with. ``decode`` (latents, family) → image replaces the approximation
        (engine/taesd.py)."""
        self.family = family
        self.sink = sink
        self.decode = decode or preview_image
        self.latent_size = None if size is None else (-(-size[0] // 8), -(-size[1] // 8))
        self.tap = X0Tap(pipe.scheduler) if sink is not None else None

    def __enter__(self) -> Self:
        if self.tap is not None:
            self.tap.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self.tap is not None:
            self.tap.__exit__(*exc)

    def deliver(self) -> None:
        """Call from the step callback, after the step's ``scheduler.step``."""
        if self.sink is None or self.tap is None or self.tap.latest is None:
            return
        latents = self.tap.latest
        if self.latent_size is not None:
            latents = latents[..., : self.latent_size[1], : self.latent_size[0]]
        self.sink(lambda: self.decode(latents, self.family))
