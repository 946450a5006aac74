"""Detectors: turn a picture into the control image a condition's adapter reads.

Each detector is wrapped once here, because controlnet_aux's call signatures differ. The ones
without weights (sketch, canny, colour) run on numpy/OpenCV; the others load their weights from
an annotators folder or the Hugging Face cache (``lllyasviel/Annotators``) and say which file is
missing when they cannot.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from t2ia_desktop.core.conditions import ConditionType
from t2ia_desktop.core.errors import BadInput, ModelUnavailable
from t2ia_desktop.engine import hub

ANNOTATORS_REPO = "lllyasviel/Annotators"
Params = Mapping[str, Any]


def sketch(image: Image.Image, params: Params) -> Image.Image:
    """White strokes on black, as the sketch adapters were trained on.

    A picture with varying alpha (a drawn layer) gives its stroke coverage; an opaque picture
    gives its lines, inverted when it is dark lines on light paper.
    """
    if image.mode in ("RGBA", "LA") and image.getchannel("A").getextrema() != (255, 255):
        lines = np.asarray(image.getchannel("A"), dtype=np.uint8)
    else:
        lines = np.asarray(image.convert("L"), dtype=np.uint8)
        if lines.mean() > 127:
            lines = 255 - lines
    threshold = int(params.get("threshold", 0))
    if threshold:
        lines = np.where(lines >= threshold, 255, 0).astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(lines), "L")


def canny(image: Image.Image, params: Params) -> Image.Image:
    from controlnet_aux import CannyDetector

    rgb = image.convert("RGB")
    return CannyDetector()(
        rgb,
        low_threshold=int(params.get("low_threshold", 100)),
        high_threshold=int(params.get("high_threshold", 200)),
        detect_resolution=int(params.get("detect_resolution", 512)),
        image_resolution=min(rgb.size),
        output_type="pil",
    ).resize(rgb.size)


def color(image: Image.Image, params: Params) -> Image.Image:
    """The colour adapter's palette: blocks of average colour (downsample, upsample nearest)."""
    rgb = image.convert("RGB")
    block = max(1, int(params.get("block", 64)))
    small = rgb.resize(
        (max(1, rgb.width // block), max(1, rgb.height // block)), Image.Resampling.BICUBIC
    )
    return small.resize(rgb.size, Image.Resampling.NEAREST)


_LOADED: dict[str, Any] = {}


def _annotator(name: str, loader_name: str, files: tuple[str, ...]) -> Any:
    """Load a controlnet_aux detector from the annotators folder or the HF cache, once."""
    if name in _LOADED:
        return _LOADED[name]
    import controlnet_aux

    cls = getattr(controlnet_aux, loader_name)
    folder = os.environ.get("T2IA_ANNOTATORS")
    if folder and all((Path(folder) / f).is_file() for f in files):
        detector = cls.from_pretrained(folder)
    else:
        def load(reference: str, local_files_only: bool):
            return cls.from_pretrained(reference, local_files_only=local_files_only)

        try:
            detector = hub.load(ANNOTATORS_REPO, f"{name} detector weights", load)
        except ModelUnavailable:
            where = folder or "an annotators folder (set T2IA_ANNOTATORS)"
            raise ModelUnavailable(
                f"The {name} detector needs {', '.join(files)} from {ANNOTATORS_REPO}; they are "
                f"not on this machine and cannot be downloaded now. Put them in {where}."
            ) from None
    _LOADED[name] = detector
    return detector


def lineart(image: Image.Image, params: Params) -> Image.Image:
    detector = _annotator("lineart", "LineartDetector", ("sk_model.pth", "sk_model2.pth"))
    rgb = image.convert("RGB")
    return detector(
        rgb, coarse=bool(params.get("coarse", False)),
        detect_resolution=int(params.get("detect_resolution", 512)),
        image_resolution=min(rgb.size), output_type="pil",
    ).resize(rgb.size)


def _depth(name: str, loader_name: str, weights: str):
    def run(image: Image.Image, params: Params) -> Image.Image:
        detector = _annotator(name, loader_name, (weights,))
        rgb = image.convert("RGB")
        return detector(
            rgb, detect_resolution=int(params.get("detect_resolution", 512)),
            image_resolution=min(rgb.size), output_type="pil",
        ).resize(rgb.size)

    return run


midas = _depth("midas", "MidasDetector", "dpt_hybrid-midas-501f0c75.pt")
zoe = _depth("zoe", "ZoeDetector", "ZoeD_M12_N.pt")


def openpose(image: Image.Image, params: Params) -> Image.Image:
    detector = _annotator(
        "openpose", "OpenposeDetector",
        ("body_pose_model.pth", "hand_pose_model.pth", "facenet.pth"),
    )
    rgb = image.convert("RGB")
    return detector(
        rgb, detect_resolution=int(params.get("detect_resolution", 512)),
        image_resolution=min(rgb.size), include_body=True,
        include_hand=bool(params.get("include_hand", False)),
        include_face=bool(params.get("include_face", False)), output_type="pil",
    ).resize(rgb.size)


DETECTORS: dict[str, Callable[[Image.Image, Params], Image.Image]] = {
    "sketch": sketch, "canny": canny, "color": color,
    "lineart": lineart, "midas": midas, "zoe": zoe, "openpose": openpose,
}


def detect(condition: ConditionType, image: Image.Image, params: Params | None = None) -> Image.Image:
    """Run ``condition``'s detector on ``image`` with checked parameters."""
    checked = condition.default_params()
    for name, value in (params or {}).items():
        spec = condition.param(name)
        spec.check(value)
        checked[name] = value
    try:
        run = DETECTORS[condition.detector]
    except KeyError:
        raise BadInput(f"no detector named {condition.detector!r} for {condition.id}") from None
    return run(image, checked)
