"""HED soft edges: the holistically-nested edge network, a classic sketch source for photos.

Its weights, ``ControlNetHED.pth`` from ``lllyasviel/Annotators`` (≈ 29 MB), are found and
checked by the app like the built-in detectors' (read as tensors only, never as pickled code).
torch and controlnet_aux are imported on the detector thread, on first use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PIL import Image

from t2ia_desktop.plugin_api import (
    ConditionType,
    ParamSpec,
    run_annotator,
    sd15_adapter,
    sdxl_adapter,
)

WEIGHTS = ("ControlNetHED.pth",)


def soft_edges(image: Image.Image, params: Mapping[str, Any]) -> Image.Image:
    return run_annotator("hed", "HEDdetector", WEIGHTS, image, params, "L",
                         safe=bool(params["safe"]), scribble=bool(params["scribble"]))


def register() -> ConditionType:
    return ConditionType(
        "hed-soft-edges", "Soft edges (HED)",
        "Soft, painterly edges of a photo found by the HED network",
        {"sdxl": sdxl_adapter("sketch"), "sd15": sd15_adapter("sketch_sd15v2")},
        detector=soft_edges,
        params=(
            ParamSpec("detect_resolution", "int", 512, "Detect resolution", 64, 2048),
            ParamSpec("safe", "bool", True, "Clean (fewer faint edges)"),
            ParamSpec("scribble", "bool", False, "Scribble (thick, simplified lines)"),
        ),
        weight_files=WEIGHTS,
    )
