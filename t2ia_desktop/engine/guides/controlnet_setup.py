"""A job's ControlNet layers: which model guides each layer, loaded, checked, its image ready."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from PIL import Image

from t2ia_desktop.core.conditions.guides import ADAPTER, UNION
from t2ia_desktop.core.conditions.registry import ConditionRegistry
from t2ia_desktop.core.generation.checkpoints import downloaded
from t2ia_desktop.core.generation.phases import PhaseSink
from t2ia_desktop.core.generation.request import ControlSpec, GenerationRequest
from t2ia_desktop.engine.demo.controlnets import CONTROLNETS, UNION_FOLDER
from t2ia_desktop.engine.guides.controlnet import (
    ControlNetGuide,
    ControlNetLayer,
    control_tensor,
    guides_at_all,
)
from t2ia_desktop.engine.guides.controlnet_models import (
    ControlNetStore,
    check_controlnet,
    check_union_mode,
)
from t2ia_desktop.engine.model_store import hub


def controlnet_controls(request: GenerationRequest) -> list[ControlSpec]:
    return [control for control in request.controls if control.guide != ADAPTER]


def controlnets_guide(request: GenerationRequest, steps: int) -> bool:
    """Whether any ControlNet layer of ``request`` adds anything to the image."""
    return any(guides_at_all(c.conditioning_scale, c.start, c.end, steps)
               for c in controlnet_controls(request))


def controlnet_location(registry: ConditionRegistry, model_folder: str | None, family: str,
                        control: ControlSpec) -> str:
    """The ControlNet a layer uses: given, else the model's own (``MODEL/controlnets/
    <condition>``, ``MODEL/controlnets/union``), else the registry's (the model manager's
    download where there is one). A guide the condition lacks for the family is refused."""
    condition = registry.get(control.condition)
    if control.guide == UNION and condition.union_mode is None:
        condition.guide_model(family, UNION)  # raises, naming the guides that work
    if control.controlnet:
        return control.controlnet
    if model_folder is not None:
        own = Path(model_folder) / CONTROLNETS / (
            UNION_FOLDER if control.guide == UNION else control.condition)
        if own.is_dir():
            return str(own)
    wanted = condition.guide_model(family, control.guide)
    fetched = downloaded(wanted) if hub.is_hub_id(wanted) and not hub.is_local(wanted) else None
    return str(fetched) if fetched is not None else wanted


def build_controlnet_guide(
    registry: ConditionRegistry,
    store: ControlNetStore,
    request: GenerationRequest,
    model_folder: str | None,
    padded: tuple[int, int],
    prepare_image: Callable[[Image.Image], Image.Image],
    vae_scale_factor: int,
    unet_config: Mapping,
    steps: int,
    phases: PhaseSink | None = None,
) -> ControlNetGuide | None:
    """The ControlNets of ``request`` that guide at all, or None when none does.

    ``prepare_image`` scales and pads a control image to the working size (as for adapters).
    Everything is checked here, before the UNet runs."""
    family = request.family
    layers: list[ControlNetLayer] = []
    for control in controlnet_controls(request):
        location = controlnet_location(registry, model_folder, family, control)
        if not guides_at_all(control.conditioning_scale, control.start, control.end, steps):
            continue  # a muted layer or an empty range: skip its ControlNet altogether
        union = control.guide == UNION
        model = store.get(location, union, control.condition, phases)
        check_controlnet(model, location, control.condition, family, unet_config)
        mode = registry.get(control.condition).union_mode if union else None
        if mode is not None:
            check_union_mode(model, location, control.condition, mode)
        image = control_tensor(prepare_image(control.image), padded, vae_scale_factor,
                               model.dtype, store.device)
        layers.append(ControlNetLayer(model, location, image, control.conditioning_scale,
                                      control.start, control.end, mode))
    if not layers:
        return None
    return ControlNetGuide(layers, steps)

