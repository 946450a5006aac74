"""ControlNets at every denoising step, inside the UNet's pre-hook (engine/guides/injection.py).

At each UNet call the active ControlNets run on that call's own inputs (the latents as the UNet
gets them, the timestep, the prompt embeddings and, for SDXL, ``added_cond_kwargs``) with their
control images, prepared as diffusers' ControlNet pipelines prepare them (their image processor;
the batch doubled for classifier-free guidance). Their residuals are summed in layer order, as
``MultiControlNetModel`` sums them, and reach the UNet as ``down_block_additional_residuals`` /
``mid_block_additional_residual``, beside the adapters' ``down_intrablock_additional_residuals``.

A layer's step range follows diffusers' ``control_guidance_start/end``: at step ``i`` of ``n`` it
keeps ``1 - float(i / n < start or (i + 1) / n > end)``. A ControlNet whose keep is 0 is not run
at all: the pipelines run it at scale 0 and add zeros, which leaves every sum as it is.

Layers guided by the same ControlNet Union model run in one call of that model (its multi-image
mode: one ``control_mode`` per image, each image's scale times its keep), as
``StableDiffusionXLControlNetUnionPipeline`` runs one union model with several images. Where no
image of the union is kept at a step, the engine skips the union model (the pipeline would still
add its unscaled output in multi-image mode: a step range means "no guidance" here).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from PIL import Image


def keep(step: int, steps: int, start: float, end: float) -> float:
    """diffusers' ``controlnet_keep`` of one ControlNet at ``step`` of ``steps``."""
    return 1.0 - float(step / steps < start or (step + 1) / steps > end)


def guides_at_all(scale: float, start: float, end: float, steps: int) -> bool:
    """Whether a ControlNet layer with this scale and range adds anything to the image."""
    return scale != 0 and any(keep(i, steps, start, end) for i in range(steps))


def control_tensor(image: Image.Image, size: tuple[int, int], vae_scale_factor: int,
                   dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """A control image as diffusers' ControlNet pipelines give it to the ControlNet:
    (1, 3, H, W) in 0..1 through their ``control_image_processor``, at ``size``."""
    from diffusers.image_processor import VaeImageProcessor

    processor = VaeImageProcessor(vae_scale_factor=vae_scale_factor, do_convert_rgb=True,
                                  do_normalize=False)
    width, height = size
    tensor = processor.preprocess(image, height=height, width=width).to(dtype=torch.float32)
    # The pipelines repeat it per prompt: that also makes the (channels-last) tensor from
    # the PIL image contiguous, and the convolutions add up in that layout's order.
    tensor = tensor.repeat_interleave(1, dim=0)
    return tensor.to(device=device, dtype=dtype)


@dataclass
class ControlNetLayer:
    """One control layer guided by a ControlNet (``mode`` set: a union model's layer)."""

    model: torch.nn.Module
    location: str
    image: torch.Tensor
    scale: float
    start: float = 0.0
    end: float = 1.0
    mode: int | None = None


def _batch(tensor: torch.Tensor, batch: int) -> torch.Tensor:
    if tensor.shape[0] == batch:
        return tensor
    return torch.cat([tensor] * (batch // tensor.shape[0]), dim=0)


@dataclass
class _Unit:
    """What runs as one ControlNet call: a plain ControlNet's layer, or a union model's."""

    layers: list[int]
    union: bool = False


@dataclass
class ControlNetGuide:
    """Per UNet call, the summed residuals of the kept ControlNets."""

    layers: list[ControlNetLayer]
    steps: int
    log: list[tuple[int, ...]] = field(default_factory=list)
    """Per UNet call, the indices of the layers whose ControlNet ran."""
    units: list[_Unit] = field(init=False)

    def __post_init__(self) -> None:
        self.units = []
        unions: dict[str, _Unit] = {}
        for index, layer in enumerate(self.layers):
            if layer.mode is None:
                self.units.append(_Unit([index]))
            elif layer.location in unions:
                unions[layer.location].layers.append(index)
            else:
                unions[layer.location] = _Unit([index], union=True)
                self.units.append(unions[layer.location])

    def keeps(self, step: int) -> list[float]:
        return [keep(step, self.steps, layer.start, layer.end) for layer in self.layers]

    def residuals(self, step: int, sample: torch.Tensor, timestep, encoder_hidden_states,
                  added_cond_kwargs) -> tuple[list[torch.Tensor], torch.Tensor] | None:
        """The summed (down, mid) residuals at ``step`` for this UNet call, or None."""
        keeps = self.keeps(step)
        down: list[torch.Tensor] | None = None
        mid: torch.Tensor | None = None
        ran: list[int] = []
        for unit in self.units:
            if not any(keeps[k] for k in unit.layers):
                continue
            ran += unit.layers if unit.union else unit.layers[:1]
            unit_down, unit_mid = self._run(unit, keeps, sample, timestep,
                                            encoder_hidden_states, added_cond_kwargs)
            if down is None or mid is None:
                down, mid = list(unit_down), unit_mid
            else:
                down = [before + new for before, new in zip(down, unit_down, strict=True)]
                mid = mid + unit_mid
        self.log.append(tuple(sorted(ran)))
        return None if down is None or mid is None else (down, mid)

    def _run(self, unit: _Unit, keeps: list[float], sample, timestep, encoder_hidden_states,
             added_cond_kwargs):
        batch = sample.shape[0]
        first = self.layers[unit.layers[0]]
        common = {"encoder_hidden_states": encoder_hidden_states,
                  "added_cond_kwargs": added_cond_kwargs, "return_dict": False}
        if not unit.union:
            return first.model(sample, timestep, controlnet_cond=_batch(first.image, batch),
                               conditioning_scale=first.scale * keeps[unit.layers[0]], **common)
        layers = [self.layers[k] for k in unit.layers]
        modes = [layer.mode for layer in layers]
        control_type = torch.zeros(first.model.config.num_control_type).scatter_(
            0, torch.tensor(modes), 1)
        control_type = control_type.reshape(1, -1).to(
            sample.device, dtype=encoder_hidden_states.dtype).repeat(batch, 1)
        return first.model(
            sample, timestep, controlnet_cond=[_batch(layer.image, batch) for layer in layers],
            control_type=control_type, control_type_idx=modes,
            conditioning_scale=[layer.scale * keeps[k]
                                for k, layer in zip(unit.layers, layers, strict=True)],
            **common)

    def hook_arguments(self, step: int, args: tuple, kwargs: dict) -> dict:
        """The UNet keyword arguments that carry the residuals of this call."""
        sample = args[0] if args else kwargs["sample"]
        timestep = args[1] if len(args) > 1 else kwargs["timestep"]
        hidden = args[2] if len(args) > 2 else kwargs["encoder_hidden_states"]
        found = self.residuals(step, sample, timestep, hidden, kwargs.get("added_cond_kwargs"))
        if found is None:
            return {}
        down, mid = found
        return {"down_block_additional_residuals": down, "mid_block_additional_residual": mid}
