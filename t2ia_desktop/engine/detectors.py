"""Detectors: turn a picture into the control image a condition's adapter reads.

Each detector is wrapped once here, because controlnet_aux's call signatures and output sizes
differ. Every wrapper accepts any Pillow picture (16-bit, transparent, tiny) and returns the
control image at the picture's size: "L" for line and edge maps, "RGB" for depth maps, pose
skeletons and colour palettes (the channel counts of the adapters that read them).

The ones without weights (sketch, canny, colour) run on numpy/OpenCV. The others load their
weights from the annotators folder that :func:`detect` is given (the settings' folder), the app's
own or the Hugging Face cache (``lllyasviel/Annotators``) through controlnet_aux's own
``from_pretrained``; each file is first
read with ``torch.load(weights_only=True)``, so a file that holds anything but tensors is refused
before controlnet_aux sees it, and a damaged or mismatched file gives an error naming it.
"""

from __future__ import annotations

import linecache
import os
import re
import threading
import zipfile
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from t2ia_desktop.core.conditions.keypose import coco_from_openpose, draw_keypose
from t2ia_desktop.core.conditions.registry import ConditionType
from t2ia_desktop.core.errors import BadInput, ModelUnavailable, T2IAError
from t2ia_desktop.engine import quiet_libraries
from t2ia_desktop.engine.model_store.weights import (
    ANNOTATORS_REPO,
    WEIGHT_FILES,
    annotator_files_present,
    require_weights,
)
from t2ia_desktop.engine.plugin_detector import run_plugin_detector

quiet_libraries()

ANNOTATORS_URL = f"https://huggingface.co/{ANNOTATORS_REPO}"
Params = Mapping[str, Any]

#: The annotators folder of the detector run in progress (None: the app's own), set by
#: :func:`detect` for the detectors it calls, a plugin's :func:`run_annotator` included.
_ANNOTATORS: ContextVar[Path | None] = ContextVar("annotators", default=None)

#: The longest side a network detector works at. controlnet_aux scales the *short* side to
#: ``detect_resolution``, so a long thin strip would otherwise grow without bound.
MAX_DETECT_SIDE = 2048


# -- pictures in ----------------------------------------------------------------------------

def _eight_bit(image: Image.Image) -> Image.Image:
    """``image`` as 8-bit L, LA, RGB or RGBA; 16-bit and float greys are scaled, not clipped."""
    if image.width == 0 or image.height == 0:
        raise BadInput(f"the picture is empty ({image.width}×{image.height} pixels)")
    mode = image.mode
    if mode in ("L", "LA", "RGB", "RGBA"):
        return image
    if mode.startswith("I") or mode == "F":
        values = np.nan_to_num(np.asarray(image, dtype=np.float64))
        if mode.startswith("I;16") or (mode == "I" and values.max() > 255):
            values = values / 257.0  # 0..65535 → 0..255
        elif mode == "F" and values.max() <= 1.0:
            values = values * 255.0  # floats in 0..1
        return Image.fromarray(np.clip(values + 0.5, 0, 255).astype(np.uint8), "L")
    if mode == "1":
        return image.convert("L")
    if mode == "La":  # premultiplied: Pillow converts it to LA only
        return image.convert("LA")
    target = "RGBA" if mode in ("PA", "RGBa") or "transparency" in image.info else "RGB"
    try:
        return image.convert(target)  # P, CMYK, YCbCr, LAB, RGBX…
    except ValueError:
        raise BadInput(f"pictures in Pillow's {mode} mode cannot be read; save the picture as "
                       "RGB and try again") from None


def _rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB; transparent parts over white, as controlnet_aux does with 4-channel arrays."""
    image = _eight_bit(image)
    if image.mode in ("RGBA", "LA"):
        white = Image.new("RGBA", image.size, "white")
        return Image.alpha_composite(white, image.convert("RGBA")).convert("RGB")
    return image.convert("RGB")


def _detect_resolution(name: str, size: tuple[int, int], requested: int) -> int:
    """The short side to detect at: ``requested``, less if the long side would pass the cap."""
    short, long = min(size), max(size)
    resolution = min(requested, MAX_DETECT_SIDE * short // long)
    if resolution < 64:  # controlnet_aux rounds sides to multiples of 64
        raise BadInput(
            f"the picture is {size[0]}×{size[1]} pixels, too long and thin for the {name} "
            f"detector; crop it to a ratio of at most {MAX_DETECT_SIDE // 64}:1"
        )
    return resolution


def _control_map(
    name: str, image: Image.Image, params: Params, mode: str,
    run: Callable[[np.ndarray, int], np.ndarray],
) -> Image.Image:
    """Run ``run(rgb_pixels, detect_resolution)`` and return its map at the picture's size.

    The picture is checked and converted first, so a bad one is reported before any weights
    load. controlnet_aux returns maps at sizes rounded to multiples of 64; the wrappers ask for
    the map at the detect resolution and resize it here once, to exactly the input's size.
    """
    rgb = _rgb(image)
    resolution = _detect_resolution(name, rgb.size, int(params.get("detect_resolution", 512)))
    detected = np.asarray(run(np.asarray(rgb), resolution))
    if mode == "L" and detected.ndim == 3:
        detected = detected[..., 0]  # controlnet_aux repeats one map over three channels
    control = Image.fromarray(np.ascontiguousarray(detected)).convert(mode)
    if control.size == rgb.size:
        return control
    return control.resize(rgb.size, Image.Resampling.BILINEAR)


# -- detectors without weights --------------------------------------------------------------

#: Said (as the control image's ``info["note"]``) when "auto" read a picture's lines because its
#: stroke coverage would have been a solid white shape.
SKETCH_LINES_NOTE = ("This layer is a picture, not strokes on a transparent layer: its dark "
                     "lines are used (a solid shape would have given an all-white control).")
#: A layer whose painted pixels fill more than this share of their bounding box is a picture
#: (a photo fitted or pasted at its size), not strokes: its coverage would be a solid block.
BLOCK_FILL = 0.9


def sketch(image: Image.Image, params: Params) -> Image.Image:
    """White strokes on black, as the sketch adapters were trained on.

    ``method`` "auto": a picture with varying alpha (a drawn layer) gives its stroke coverage;
    an opaque one (a photo) goes through PiDiNet soft edges, the detector the SDXL sketch adapter
    was trained with, when its weights are on this machine, else through "lines". A layer that
    is mostly opaque with transparent parts (a photo fitted or pasted at its size) is a photo
    too: its coverage would be a solid white shape. "auto" never gives an empty or all-white
    control for a picture with anything in it: it falls back to "lines" and says so in the
    image's ``info["note"]``. "lines": the picture's own dark lines on light paper, inverted,
    with no weights. "pidinet": always PiDiNet (fetched if it can be).
    """
    image = _eight_bit(image)
    method = str(params.get("method", "auto"))
    drawn = image.mode in ("RGBA", "LA") and image.getchannel("A").getextrema() != (255, 255)
    solid = drawn and _is_block(np.asarray(image.getchannel("A")))
    note = ""
    if method == "pidinet" or (
        method == "auto" and (not drawn or solid)
        and annotator_files_present(WEIGHT_FILES["pidinet"], _ANNOTATORS.get())
    ):
        lines = np.asarray(_pidinet(image, params), dtype=np.uint8)
    elif drawn and method == "auto" and not solid:
        lines = np.asarray(image.getchannel("A"), dtype=np.uint8)
    else:
        lines = _dark_lines(image)
        note = SKETCH_LINES_NOTE if solid and method == "auto" else ""
    if method == "auto" and lines.size and (lines.min() >= 250 or lines.max() == 0):
        fallback = _dark_lines(image)  # nothing to guide with: the picture's own lines
        if fallback.max() > 0 and fallback.min() < 250:
            lines, note = fallback, SKETCH_LINES_NOTE
    threshold = int(params.get("threshold", 0))
    if threshold:
        lines = np.where(lines >= threshold, 255, 0).astype(np.uint8)
    control = Image.fromarray(lines, "L")
    if note:
        control.info["note"] = note
    return control


def _is_block(alpha: np.ndarray) -> bool:
    """Whether the painted pixels form one filled block (a picture), not strokes: a box at
    least 16 pixels on each side and 5 % of the layer, nearly all painted."""
    rows, columns = np.nonzero(alpha.max(axis=1))[0], np.nonzero(alpha.max(axis=0))[0]
    if rows.size == 0:
        return False
    height, width = rows[-1] - rows[0] + 1, columns[-1] - columns[0] + 1
    box = height * width
    return (min(height, width) >= 16 and box >= 0.05 * alpha.size
            and float((alpha > 0).sum()) / box > BLOCK_FILL)


def _dark_lines(image: Image.Image) -> np.ndarray:
    """The picture's dark lines as white on black: light paper (transparent parts count as
    white paper) inverted."""
    lines = np.asarray(_rgb(image).convert("L"), dtype=np.uint8)
    if lines[::4, ::4].mean() > 127:  # light paper; a sparse sample decides as well
        lines = 255 - lines
    return lines


def canny(image: Image.Image, params: Params) -> Image.Image:
    from controlnet_aux import CannyDetector

    def run(pixels: np.ndarray, resolution: int) -> np.ndarray:
        return CannyDetector()(
            pixels, low_threshold=int(params.get("low_threshold", 100)),
            high_threshold=int(params.get("high_threshold", 200)),
            detect_resolution=resolution, image_resolution=resolution, output_type="np",
        )

    # Edges are one pixel wide: detecting above the picture's size and scaling back would fade
    # them, so canny never works at more than the picture's own short side.
    side = max(64, min(image.size))
    capped = dict(params, detect_resolution=min(int(params.get("detect_resolution", 512)), side))
    return _control_map("canny", image, capped, "L", run)


def color(image: Image.Image, params: Params) -> Image.Image:
    """The colour adapter's palette: blocks of average colour (downsample, upsample nearest)."""
    rgb = _rgb(image)
    block = max(1, int(params.get("block", 64)))
    small = rgb.resize(
        (max(1, rgb.width // block), max(1, rgb.height // block)), Image.Resampling.BICUBIC
    )
    return small.resize(rgb.size, Image.Resampling.NEAREST)


# -- loading weighted detectors -------------------------------------------------------------

_LOCK = threading.Lock()
# detector name → ((folder, file stamps), detector): one loaded detector per name, reused while
# the folder and its files stay the same, replaced (not added to) when they change.
_LOADED: dict[str, tuple[tuple[Any, ...], Any]] = {}


def _annotator(name: str, loader_name: str, files: tuple[str, ...] | None = None) -> Any:
    """The controlnet_aux detector ``loader_name`` with its weights, loaded once per folder;
    ``files`` default to the built-in detector's (plugins name their own)."""
    files = files or WEIGHT_FILES[name]
    folder = _weights_folder(name, files)
    key = (str(folder), tuple(_stamp(folder / f) for f in files))
    with _LOCK:
        cached = _LOADED.get(name)
        if cached is not None and cached[0] == key:
            return cached[1]
        _LOADED.pop(name, None)  # let the old one go before loading another
        detector = _load(name, loader_name, folder, files)
        _LOADED[name] = (key, detector)
        return detector


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _weights_folder(name: str, files: tuple[str, ...]) -> Path:
    """The folder holding all of ``files``; never downloads (:class:`WeightsMissing` says how
    to get them: the Condition dock's Download button or ``t2ia-desktop download-weights``)."""
    return require_weights(name, files, _ANNOTATORS.get())


def _load(name: str, loader_name: str, folder: Path, files: tuple[str, ...]) -> Any:
    import controlnet_aux

    paths = {f: folder / f for f in files}
    checkpoints = {f: _read_weights(path) for f, path in paths.items()}
    cls = getattr(controlnet_aux, loader_name)
    problem: T2IAError | None = None
    try:
        detector = cls.from_pretrained(str(folder))
    except Exception as error:
        # Built here, raised below: outside the except block the error (whose frames hold the
        # half-built networks) is not kept alive as the new error's context.
        problem = _load_problem(name, error, paths)
    if problem is not None:
        raise problem
    if name == "zoe":
        _check_zoe_complete(detector, checkpoints["ZoeD_M12_N.pt"], paths["ZoeD_M12_N.pt"])
    return detector


def _read_weights(path: Path) -> Any:
    """Read ``path`` as torch weights only (no pickled code runs), lazily where it can."""
    import pickle

    import torch

    problem = ""
    try:
        # torch ≥ 2.6 defaults to weights_only=True, and controlnet_aux relies on that default;
        # asking for it here also holds where TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD is set.
        weights = torch.load(path, map_location="cpu", weights_only=True,
                             mmap=zipfile.is_zipfile(path))
    except pickle.UnpicklingError:
        problem = ("it is not a PyTorch weights file, or it holds Python objects besides "
                   "tensors, which are refused for safety")
    except Exception as error:
        problem = f"it is damaged or incomplete ({_summary(error)})"
    else:
        if isinstance(weights, Mapping):
            return weights
        problem = f"it holds a {type(weights).__name__}, not a dictionary of weights"
    raise BadInput(f"{path} is not a valid weights file: {problem}. "
                   f"Download {path.name} again from {ANNOTATORS_URL}.")


def _load_problem(name: str, error: Exception, paths: Mapping[str, Path]) -> T2IAError:
    """The artist's error for controlnet_aux failing to load weights that read fine."""
    if isinstance(error, MemoryError) or "can't allocate memory" in str(error):
        return ModelUnavailable(f"There is not enough memory to load the {name} detector; "
                                "close other programs or use a smaller detector, and try again.")
    culprit = _culprit(error, paths)
    where = str(paths[culprit]) if culprit else " or ".join(str(p) for p in paths.values())
    detail = (f"it lacks the weight {error.args[0]!r}" if isinstance(error, KeyError)
              else _summary(error))
    return BadInput(
        f"{where} does not fit the {name} detector's network ({detail}); it may be another "
        "model's file, or one this version of controlnet_aux cannot read. "
        f"Download {culprit or 'the files'} again from {ANNOTATORS_URL}."
    )


def _culprit(error: BaseException, paths: Mapping[str, Path]) -> str | None:
    """Which of ``paths`` the failure came from, read off the failing frames' variables.

    controlnet_aux loads several files in one ``from_pretrained`` and its errors do not name
    them; the innermost frame holding exactly one of the paths (or, holding several, naming
    one variable on the failing line) tells which.
    """
    def canonical(path: str | os.PathLike[str]) -> str:
        return os.path.normcase(os.path.normpath(os.fspath(path)))

    by_path = {canonical(p): f for f, p in paths.items()}
    trace = []
    tb = error.__traceback__
    while tb is not None:
        trace.append((tb.tb_frame, tb.tb_lineno))
        tb = tb.tb_next
    for frame, line_number in reversed(trace):
        named = {}
        for variable, value in frame.f_locals.items():
            if isinstance(value, (str, os.PathLike)):
                file = by_path.get(canonical(value))
                if file is not None:
                    named[variable] = file
        if len(set(named.values())) == 1:
            return next(iter(named.values()))
        line = linecache.getline(frame.f_code.co_filename, line_number)
        on_line = {f for v, f in named.items() if re.search(rf"\b{re.escape(v)}\b", line)}
        if len(on_line) == 1:
            return on_line.pop()
    return None


def _check_zoe_complete(detector: Any, checkpoint: Mapping[str, Any], path: Path) -> None:
    """ZoeDetector loads non-strictly (timm ≥ 1.0 renamed buffers), so a file lacking weights
    would silently give an untrained network; refuse it here instead."""
    weights = checkpoint.get("model")
    have = set(weights) if isinstance(weights, Mapping) else set()
    missing = [k for k in detector.model.state_dict()
               if k not in have and not k.endswith("relative_position_index")]
    if missing:
        raise BadInput(
            f"{path} does not fit the zoe detector's network: it lacks {len(missing)} of its "
            f"weights (such as {missing[0]!r}); it may be another model's file. Download "
            f"{path.name} again from {ANNOTATORS_URL}."
        )


def _summary(error: BaseException, limit: int = 200) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = " ".join(lines[:2]) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- detectors with weights -----------------------------------------------------------------

def _pidinet(image: Image.Image, params: Params) -> Image.Image:
    def run(pixels: np.ndarray, resolution: int) -> np.ndarray:
        return _annotator("pidinet", "PidiNetDetector")(
            pixels, detect_resolution=resolution, image_resolution=resolution, safe=True,
            output_type="np",
        )

    return _control_map("pidinet", image, params, "L", run)


def lineart(image: Image.Image, params: Params) -> Image.Image:
    """Dark lines on white (controlnet_aux's own inversion of the network's output)."""

    def run(pixels: np.ndarray, resolution: int) -> np.ndarray:
        return _annotator("lineart", "LineartDetector")(
            pixels, coarse=bool(params.get("coarse", False)), detect_resolution=resolution,
            image_resolution=resolution, output_type="np",
        )

    return _control_map("lineart", image, params, "L", run)


def _depth(name: str, loader_name: str) -> Callable[[Image.Image, Params], Image.Image]:
    def depth(image: Image.Image, params: Params) -> Image.Image:
        def run(pixels: np.ndarray, resolution: int) -> np.ndarray:
            return _annotator(name, loader_name)(
                pixels, detect_resolution=resolution, image_resolution=resolution,
                output_type="np",
            )

        return _control_map(name, image, params, "RGB", run)

    depth.__name__ = depth.__qualname__ = name
    depth.__doc__ = f"Depth map by {loader_name}: near is light, far is dark (RGB greys)."
    return depth


midas = _depth("midas", "MidasDetector")
zoe = _depth("zoe", "ZoeDetector")


def openpose(image: Image.Image, params: Params) -> Image.Image:
    """Coloured body skeletons on black; hands and face when asked for."""

    def run(pixels: np.ndarray, resolution: int) -> np.ndarray:
        return _annotator("openpose", "OpenposeDetector")(
            pixels, detect_resolution=resolution, image_resolution=resolution,
            include_body=True, include_hand=bool(params.get("include_hand", False)),
            include_face=bool(params.get("include_face", False)), output_type="np",
        )

    return _control_map("openpose", image, params, "RGB", run)


def keypose(image: Image.Image, params: Params) -> Image.Image:
    """Bodies found by OpenPose (the same weights), drawn as the keypose adapter reads them:
    COCO-17 skeletons on black at the picture's own size (core/conditions/keypose.py)."""

    def run(pixels: np.ndarray, resolution: int) -> np.ndarray:
        from controlnet_aux.util import HWC3, resize_image

        poses = _annotator("openpose", "OpenposeDetector").detect_poses(
            resize_image(HWC3(pixels), resolution))
        bodies = [coco_from_openpose([None if k is None else (k.x, k.y)
                                      for k in pose.body.keypoints]) for pose in poses]
        height, width = pixels.shape[:2]
        return np.asarray(draw_keypose((width, height), bodies))

    return _control_map("keypose", image, params, "RGB", run)


DETECTORS: dict[str, Callable[[Image.Image, Params], Image.Image]] = {
    "sketch": sketch, "canny": canny, "color": color,
    "lineart": lineart, "midas": midas, "zoe": zoe, "openpose": openpose, "keypose": keypose,
}


def detect(condition: ConditionType, image: Image.Image, params: Params | None = None,
           annotators: Path | None = None) -> Image.Image:
    """Run ``condition``'s detector on ``image`` with checked parameters; a detector with
    weights reads them from the ``annotators`` folder (None: the app's own) or the cache."""
    checked = condition.default_params()
    for name, value in (params or {}).items():
        spec = condition.param(name)
        spec.check(value)
        checked[name] = value
    if callable(condition.detector):
        run: Callable[[Image.Image, Params], Image.Image] = partial(run_plugin_detector,
                                                                    condition)
    elif condition.detector in DETECTORS:
        run = DETECTORS[condition.detector]
    else:
        raise BadInput(f"no detector named {condition.detector!r} for {condition.id}")
    token = _ANNOTATORS.set(annotators)
    try:
        return run(image, checked)
    finally:
        _ANNOTATORS.reset(token)


def run_annotator(name: str, loader_name: str, files: tuple[str, ...], image: Image.Image,
                  params: Params, mode: str = "L", **options: Any) -> Image.Image:
    """Run controlnet_aux's ``loader_name`` detector with weights ``files`` (for plugins).

    The weights are found and checked like the built-in detectors' (the annotators folder
    :func:`detect` was given, the app's own or the Hugging Face cache;
    ``torch.load(weights_only=True)`` first), the picture is detected at
    ``params["detect_resolution"]`` and the map returned at the picture's size in ``mode``.
    """
    def run(pixels: np.ndarray, resolution: int) -> np.ndarray:
        return _annotator(name, loader_name, tuple(files))(
            pixels, detect_resolution=resolution, image_resolution=resolution,
            output_type="np", **options,
        )

    return _control_map(name, image, params, mode, run)
