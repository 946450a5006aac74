"""Adding adapter features to the UNet's encoder, each control layer within its own step range.

Diffusers' adapter pipelines add the (weighted) sum of all adapters' features while
``i < int(steps * adapter_conditioning_factor)``. Here each layer has its own range
``[start, end]`` (fractions of the steps that run): at step ``i`` of ``n`` a layer guides when
``int(n * start) <= i < int(n * end)``, and never past the global factor. With every range
``[0, f]`` this is exactly the pipelines' rule with factor ``f``.

The features reach the UNet through a forward pre-hook that sets
``down_intrablock_additional_residuals``, so any SD/SDXL pipeline (text-to-image, img2img,
inpainting) can be guided. The same hook runs the ControlNets of the job
(engine/guides/controlnet.py) and sets their ``down_block_additional_residuals``. The schedulers
offered are first-order: one UNet call per step (classifier-free guidance is batched into it).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import torch

from t2ia_desktop.engine.guides.controlnet import ControlNetGuide


@dataclass(frozen=True)
class LayerFeatures:
    """One control layer's unscaled adapter features with its scale and step range."""

    features: list[torch.Tensor]
    scale: float
    start: float = 0.0
    end: float = 1.0


def active_steps(start: float, end: float, steps: int, factor: float = 1.0) -> range:
    """The step indices (of ``steps`` that run) during which a layer guides."""
    return range(int(steps * start), min(int(steps * end), int(steps * factor)))


def guides_at_all(layer: LayerFeatures | tuple[float, float, float], steps: int,
                  factor: float) -> bool:
    """Whether a layer with this (scale, start, end) adds anything to the image."""
    scale, start, end = ((layer.scale, layer.start, layer.end)
                         if isinstance(layer, LayerFeatures) else layer)
    return scale != 0 and len(active_steps(start, end, steps, factor)) > 0


class AdapterInjection:
    """Per step, the sum of the active layers' features, each times its scale, and the
    residuals of the job's ControlNets (``controlnets``)."""

    def __init__(self, layers: list[LayerFeatures], steps: int, factor: float = 1.0,
                 controlnets: ControlNetGuide | None = None) -> None:
        self.layers = layers
        self.controlnets = controlnets
        self.steps = steps
        self.windows = [active_steps(layer.start, layer.end, steps, factor) for layer in layers]
        self.calls = 0
        self.log: list[tuple[int, ...]] = []  # per UNet call, the indices of the layers added
        self._sums: dict[tuple[int, ...], list[torch.Tensor]] = {}

    @property
    def guides(self) -> bool:
        """Whether anything is added to the UNet's calls at all."""
        return bool(self.layers) or self.controlnets is not None

    def active(self, step: int) -> tuple[int, ...]:
        return tuple(k for k, window in enumerate(self.windows) if step in window)

    def residuals(self, step: int, batch: int) -> list[torch.Tensor] | None:
        """The features to add at ``step`` for a UNet batch of ``batch``, or None."""
        active = self.active(step)
        if not active:
            return None
        if active not in self._sums:
            total: list[torch.Tensor] | None = None
            for k in active:
                layer = self.layers[k]
                scaled = [f * layer.scale for f in layer.features]
                total = (scaled if total is None
                         else [a + b for a, b in zip(total, scaled, strict=True)])
            assert total is not None
            self._sums[active] = total
        total = self._sums[active]
        if total[0].shape[0] != batch:  # classifier-free guidance doubles the batch
            repeats = batch // total[0].shape[0]
            total = [torch.cat([t] * repeats, dim=0) for t in total]
        return list(total)  # the UNet pops from this list: give it its own

    def _pre_hook(self, module, args, kwargs):
        sample = args[0] if args else kwargs["sample"]
        step = self.calls
        self.calls += 1
        self.log.append(self.active(step))
        kwargs["down_intrablock_additional_residuals"] = self.residuals(step, sample.shape[0])
        if self.controlnets is not None:
            kwargs.update(self.controlnets.hook_arguments(step, args, kwargs))
        return args, kwargs

    @contextmanager
    def attached(self, unet: torch.nn.Module):
        """Guide every call of ``unet`` inside the block."""
        handle = unet.register_forward_pre_hook(self._pre_hook, with_kwargs=True)
        try:
            yield self
        finally:
            handle.remove()
