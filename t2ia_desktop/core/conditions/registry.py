"""Condition types: what a control image means and which T2I-Adapter reads it.

Conditions are registered descriptors, not an enum: built-ins and plugins go through the same
:class:`ConditionRegistry`, and the UI builds its controls from each type's parameter specs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from t2ia_desktop.core.conditions.guides import (
    ADAPTER,
    CONTROLNET,
    GUIDES,
    UNION,
    UNION_CONTROLNETS,
    UNION_MODES,
    guide_label,
)
from t2ia_desktop.core.errors import BadInput

Family = Literal["sdxl", "sd15"]
FAMILIES: tuple[Family, ...] = ("sdxl", "sd15")

#: A detector function: picture and checked parameters in, control image out (PIL images).
DetectorFunction = Callable[[Any, Mapping[str, Any]], Any]
#: A custom preview: control image and parameters in, what the Preview dock shows out (PIL).
PreviewFunction = Callable[[Any, Mapping[str, Any]], Any]

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class ParamSpec:
    """One detector parameter, named as the detector names it (controlnet_aux's own words)."""

    name: str
    kind: Literal["int", "float", "bool", "choice", "colour"]
    default: int | float | bool | str
    label: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()

    def parse(self, text: str) -> int | float | bool | str:
        """Turn a command-line or settings string into a checked value."""
        try:
            if self.kind == "int":
                value: int | float | bool | str = int(text)
            elif self.kind == "float":
                value = float(text)
            elif self.kind == "bool":
                lowered = text.strip().lower()
                if lowered not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                    raise ValueError(text)
                value = lowered in {"1", "true", "yes", "on"}
            elif self.kind == "colour":
                value = text.strip().lower()
            else:
                value = text
        except ValueError:
            raise BadInput(f"{self.name} must be a{'n' if self.kind == 'int' else ''} "
                           f"{self.kind}, not {text!r}") from None
        self.check(value)
        return value

    def check(self, value: object) -> None:
        if self.kind == "colour" and not (isinstance(value, str) and _COLOUR.fullmatch(value)):
            raise BadInput(f"{self.name} must be a colour written #rrggbb (such as #ff8800), "
                           f"not {value!r}")
        if self.kind == "choice" and value not in self.choices:
            raise BadInput(f"{self.name} must be one of {', '.join(self.choices)}, not {value!r}")
        if self.kind in ("int", "float"):
            if isinstance(value, float) and not math.isfinite(value):
                raise BadInput(f"{self.name} must be a finite number, not {value}")
            if self.minimum is not None and value < self.minimum:  # type: ignore[operator]
                raise BadInput(f"{self.name} must be at least {self.minimum:g}, not {value}")
            if self.maximum is not None and value > self.maximum:  # type: ignore[operator]
                raise BadInput(f"{self.name} must be at most {self.maximum:g}, not {value}")


@dataclass(frozen=True)
class ConditionType:
    """A kind of control image and the adapters trained on it.

    ``adapters`` maps a model family to the hub id of its T2I-Adapter; a family missing from it
    cannot use this condition (a plugin may give a local adapter folder instead of a hub id).
    ``detector`` turns a picture into the control image: the name of a built-in detector, or
    (plugins) a function ``(PIL.Image, params) -> PIL.Image``. ``weight_files`` are the
    detector's files in ``lllyasviel/Annotators``; ``source`` says where the type comes from.
    ``preview`` (optional, plugin API 1.1) draws the control image for the Preview dock, e.g.
    as a coloured overlay; the adapter still gets the control image itself.
    ``controlnets`` maps a family to the hub id (or local folder) of its ControlNet for this
    condition; ``union_mode`` is the ``control_mode`` a ControlNet Union model reads this
    condition's image as (core/conditions/guides.py ``UNION_MODES``), ``None``: no union guide.
    """

    id: str
    label: str
    description: str
    adapters: dict[str, str]
    detector: str | DetectorFunction
    params: tuple[ParamSpec, ...] = ()
    weight_files: tuple[str, ...] = ()
    source: str = "built-in"
    preview: PreviewFunction | None = None
    controlnets: dict[str, str] = field(default_factory=dict)
    union_mode: int | None = None

    def guides_for(self, family: str) -> tuple[str, ...]:
        """The guides this condition offers for ``family``, the adapter first."""
        offered = {
            ADAPTER: family in self.adapters,
            CONTROLNET: family in self.controlnets,
            UNION: self.union_mode is not None and family in UNION_CONTROLNETS,
        }
        return tuple(guide for guide in GUIDES if offered[guide])

    def guide_model(self, family: str, guide: str) -> str:
        """The hub id (or folder) of the model that guides this condition for ``family``;
        a clear refusal naming what does work when there is none."""
        if guide == ADAPTER:
            return self.adapter_for(family)
        if guide not in GUIDES:
            raise BadInput(f"guide must be one of {', '.join(GUIDES)}, not {guide!r}")
        offered = self.guides_for(family)
        if guide not in offered:
            others = [f.upper() for f in ("sdxl", "sd15")
                      if f != family and guide in self.guides_for(f)]
            elsewhere = f"; it works with {', '.join(others)} models" if others else ""
            instead = (f"; use {' or '.join(guide_label(g) for g in offered)} instead"
                       if offered else "")
            raise BadInput(
                f"the {self.label} condition has no {guide_label(guide)} for "
                f"{family.upper()} models{elsewhere}{instead}"
            )
        return self.controlnets[family] if guide == CONTROLNET else UNION_CONTROLNETS[family]

    def adapter_for(self, family: str) -> str:
        try:
            return self.adapters[family]
        except KeyError:
            raise BadInput(
                f"the {self.label} condition has no adapter for {family.upper()} models; "
                f"it works with {', '.join(f.upper() for f in self.adapters)}"
            ) from None

    def param(self, name: str) -> ParamSpec:
        for spec in self.params:
            if spec.name == name:
                return spec
        known = ", ".join(p.name for p in self.params) or "none"
        raise BadInput(f"{self.id} has no parameter {name!r} (its parameters: {known})")

    def default_params(self) -> dict[str, int | float | bool | str]:
        return {p.name: p.default for p in self.params}


@dataclass
class ConditionRegistry:
    """All condition types known to the app, built-in first, in registration order."""

    _types: dict[str, ConditionType] = field(default_factory=dict)

    def register(self, condition: ConditionType) -> None:
        if condition.id in self._types:
            raise BadInput(f"a condition with id {condition.id!r} is already registered")
        self._types[condition.id] = condition

    def get(self, condition_id: str) -> ConditionType:
        try:
            return self._types[condition_id]
        except KeyError:
            known = ", ".join(self._types)
            raise BadInput(f"unknown condition {condition_id!r} (known: {known})") from None

    def __contains__(self, condition_id: object) -> bool:
        return condition_id in self._types

    def replace_with(self, other: ConditionRegistry) -> None:
        """Take ``other``'s types in one step (plugins reloaded): everyone holding this
        registry, on any thread, sees either the old set or the new one, never a mix."""
        self._types = dict(other._types)

    def __iter__(self) -> Iterator[ConditionType]:
        return iter(self._types.values())

    def ids(self) -> list[str]:
        return list(self._types)


_SDXL = "TencentARC/t2i-adapter-{}-sdxl-1.0"
_SD15 = "TencentARC/t2iadapter_{}"

_CN15 = "lllyasviel/control_v11p_sd15_{}"
_DEPTH_CONTROLNETS = {"sdxl": "diffusers/controlnet-depth-sdxl-1.0",
                      "sd15": "lllyasviel/control_v11f1p_sd15_depth"}

#: OpenPose's files; controlnet_aux loads all three even for bodies alone.
_OPENPOSE_FILES = ("body_pose_model.pth", "hand_pose_model.pth", "facenet.pth")

_RESOLUTION = ParamSpec("detect_resolution", "int", 512, "Detect resolution", 64, 2048)


def builtin_conditions() -> list[ConditionType]:
    """The conditions that TencentARC published adapters for."""
    return [
        ConditionType(
            "sketch", "Sketch", "White strokes on black, as drawn on the sketch layer",
            {"sdxl": _SDXL.format("sketch"), "sd15": _SD15.format("sketch_sd15v2")},
            detector="sketch",
            controlnets={"sd15": _CN15.format("scribble")},
            union_mode=UNION_MODES["scribble"],
            params=(
                ParamSpec("method", "choice", "auto", "From (auto: strokes, else PiDiNet or lines)",
                          choices=("auto", "lines", "pidinet")),
                ParamSpec("threshold", "int", 0, "Threshold (0 keeps grey levels)", 0, 255),
                _RESOLUTION,
            ),
        ),
        ConditionType(
            "lineart", "Lineart", "Clean line drawing extracted from a picture",
            {"sdxl": _SDXL.format("lineart")},
            detector="lineart",
            controlnets={"sd15": _CN15.format("lineart")},
            union_mode=UNION_MODES["lineart"],
            params=(_RESOLUTION, ParamSpec("coarse", "bool", False, "Coarse lines")),
            weight_files=("sk_model.pth", "sk_model2.pth"),
        ),
        ConditionType(
            "canny", "Canny edges", "Hard edges found by the Canny detector",
            {"sdxl": _SDXL.format("canny"), "sd15": _SD15.format("canny_sd15v2")},
            detector="canny",
            controlnets={"sdxl": "diffusers/controlnet-canny-sdxl-1.0",
                         "sd15": _CN15.format("canny")},
            union_mode=UNION_MODES["lineart"],
            params=(
                ParamSpec("low_threshold", "int", 100, "Low threshold", 0, 255),
                ParamSpec("high_threshold", "int", 200, "High threshold", 0, 255),
                _RESOLUTION,
            ),
        ),
        ConditionType(
            "depth-midas", "Depth (MiDaS)", "Depth map estimated by MiDaS",
            {"sdxl": _SDXL.format("depth-midas"), "sd15": _SD15.format("depth_sd15v2")},
            detector="midas",
            controlnets=_DEPTH_CONTROLNETS,
            union_mode=UNION_MODES["depth"],
            params=(_RESOLUTION,),
            weight_files=("dpt_hybrid-midas-501f0c75.pt",),
        ),
        ConditionType(
            "depth-zoe", "Depth (Zoe)", "Depth map estimated by ZoeDepth",
            {"sdxl": _SDXL.format("depth-zoe"), "sd15": _SD15.format("zoedepth_sd15v1")},
            detector="zoe",
            controlnets=_DEPTH_CONTROLNETS,
            union_mode=UNION_MODES["depth"],
            params=(_RESOLUTION,),
            weight_files=("ZoeD_M12_N.pt",),
        ),
        ConditionType(
            "openpose", "Pose (OpenPose)", "Body pose skeleton found by OpenPose",
            {"sdxl": "TencentARC/t2i-adapter-openpose-sdxl-1.0",
             "sd15": _SD15.format("openpose_sd14v1")},
            detector="openpose",
            controlnets={"sdxl": "thibaud/controlnet-openpose-sdxl-1.0",
                         "sd15": _CN15.format("openpose")},
            union_mode=UNION_MODES["openpose"],
            params=(_RESOLUTION, ParamSpec("include_hand", "bool", False, "Hands"),
                    ParamSpec("include_face", "bool", False, "Face")),
            weight_files=_OPENPOSE_FILES,
        ),
        ConditionType(
            "keypose", "Pose (keypose)",
            "Body keypoints found by OpenPose, drawn as COCO skeletons (the SD1.4 keypose "
            "adapter's style)",
            {"sd15": _SD15.format("keypose_sd14v1")},
            detector="keypose",
            params=(_RESOLUTION,),
            weight_files=_OPENPOSE_FILES,
        ),
        ConditionType(
            "color", "Colour palette", "Coarse colour blocks (downsampled and upsampled)",
            {"sd15": _SD15.format("color_sd14v1")},
            detector="color",
            params=(ParamSpec("block", "int", 64, "Block size (pixels)", 4, 256),),
        ),
    ]


def default_registry(extra: Iterable[ConditionType] = ()) -> ConditionRegistry:
    registry = ConditionRegistry()
    for condition in [*builtin_conditions(), *extra]:
        registry.register(condition)
    return registry
