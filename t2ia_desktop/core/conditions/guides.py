"""Guides: what reads a condition layer's control image during generation.

A **T2I-Adapter** (the default) runs once per generation and adds its features to the UNet's
encoder; a **ControlNet** (a trainable copy of the UNet's encoder joined by zero convolutions)
runs at every denoising step beside the UNet; a **ControlNet Union** model is one ControlNet
trained on several condition types, told which one each image is by a ``control_mode`` number.
Which guides a condition offers for a model family is declared on its
:class:`~t2ia_desktop.core.conditions.registry.ConditionType` (built-ins and plugins alike).
"""

from __future__ import annotations

from typing import Literal

Guide = Literal["adapter", "controlnet", "union"]
ADAPTER: Guide = "adapter"
CONTROLNET: Guide = "controlnet"
UNION: Guide = "union"
GUIDES: tuple[Guide, ...] = (ADAPTER, CONTROLNET, UNION)

GUIDE_LABELS: dict[str, str] = {
    ADAPTER: "T2I-Adapter",
    CONTROLNET: "ControlNet",
    UNION: "ControlNet Union",
}

UNION_CONTROLNETS: dict[str, str] = {"sdxl": "xinsir/controlnet-union-sdxl-1.0"}
"""The ControlNet Union model of each family that has one (hub id)."""

UNION_MODES: dict[str, int] = {
    "openpose": 0,
    "depth": 1,
    "scribble": 2,  # also hed, pidinet, ted: thick soft lines
    "lineart": 3,  # also canny, mlsd, anime lineart: thin hard lines
    "normal": 4,
    "segment": 5,
    "tile": 6,
    "repaint": 7,
}
"""``control_mode`` numbers of the xinsir union model, by the kind of image they read."""


def guide_label(guide: str) -> str:
    return GUIDE_LABELS.get(guide, guide)


def guide_that_runs(guide: str, offered: tuple[str, ...]) -> str | None:
    """The guide a layer set to ``guide`` gets when its family offers ``offered``: the same one,
    else the T2I-Adapter (a layer set to a ControlNet the family lacks), else ``None`` (the
    layer is left out)."""
    if guide in offered:
        return guide
    return ADAPTER if ADAPTER in offered else None
