"""The one place tests build what they need: requests and control images, documents (with a way
to compare them exactly), and points on a canvas.

A test file names its own variant of a builder with ``functools.partial`` (``fox = partial(
request, prompt="a fox", steps=5)``): keywords given at the call still win."""

from __future__ import annotations

from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from PySide6.QtCore import QPoint, QPointF

from t2ia_desktop.core.document.document import ConditionSettings, Document, Layer
from t2ia_desktop.core.generation.request import ControlSpec, GenerationRequest

W, H = 48, 40  # not square, so a swapped axis shows


def noise(seed: int, width: int = W, height: int = H, opaque: bool = False) -> np.ndarray:
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 4), dtype=np.uint8)
    if opaque:
        pixels[..., 3] = 255
    return pixels


def four_layers() -> Document:
    """A sketch, a condition layer with params, a hidden half-opaque paint layer, a result whose
    request carries two controls (an L sketch and an RGB depth map)."""
    doc = Document.with_sketch_layer(W, H)
    sketch = doc.layers[0]
    sketch.pixels[5:20, 3:30] = (20, 20, 20, 255)
    sketch.pixels[22:25, 10:12] = (0, 0, 0, 90)
    depth = doc.add_layer(Layer(
        "Depth", "condition", noise(1, opaque=True),
        condition=ConditionSettings("depth", source_id=sketch.id,
                                    params={"detect_resolution": 512, "bg_th": 0.1,
                                            "mode": "midas", "invert": False},
                                    conditioning_scale=0.85, enabled=False, detached=True,
                                    error="weights missing"),
    ))
    doc.add_layer(Layer("Glaze ✎", "paint", noise(2), visible=False, opacity=0.37))
    request = GenerationRequest(
        model="stabilityai/stable-diffusion-xl-base-1.0", prompt="a lighthouse, ünïcode",
        negative_prompt="blur", prompt_2="oil", seed=2**62 + 3, steps=23, guidance_scale=6.25,
        width=1024, height=768, scheduler="dpmpp-2m", adapter_conditioning_factor=0.7,
        controls=(
            ControlSpec("sketch", Image.fromarray(sketch.pixels[..., 3].copy(), "L"), None, 0.9),
            ControlSpec("depth", Image.fromarray(depth.pixels[..., :3].copy(), "RGB"),
                        "TencentARC/t2i-adapter-depth-midas-sdxl-1.0", 1.1),
        ),
    )
    doc.add_result(Image.fromarray(noise(3, opaque=True)), request)
    doc.active = depth
    for number, layer in enumerate(doc.layers):  # fixed ids: two calls give equal documents
        layer.id = f"{layer.kind}{number:02d}"
    depth.condition.source_id = sketch.id
    return doc


def request(model: str | Path = "demo", **fields: Any) -> GenerationRequest:
    """A small request (64 × 64, 3 steps, seed 0, prompt "a kite") on ``model`` (a name, a
    hub id or a model folder); ``fields`` set anything else."""
    values: dict[str, Any] = {"prompt": "a kite", "seed": 0, "steps": 3, "width": 64,
                              "height": 64}
    values.update(fields)
    return GenerationRequest(model=str(model), **values)


def control(condition: str = "sketch", size: tuple[int, int] = (64, 64), shade: int = 255,
            conditioning_scale: float = 1.0, mode: str = "L", **fields: Any) -> ControlSpec:
    """A control of ``condition`` whose image is one flat ``shade``."""
    image = Image.new(mode, size, shade if mode == "L" else (shade,) * len(mode))
    return ControlSpec(condition, image, conditioning_scale=conditioning_scale, **fields)


def job_request(seed: int = 0) -> GenerationRequest:
    """A small request for queue tests, told apart by its seed (and its prompt, "job <seed>")."""
    return GenerationRequest(model="demo", prompt=f"job {seed}", seed=seed, steps=10,
                             width=64, height=64)


def request_state(request: GenerationRequest | None) -> object:
    if request is None:
        return None
    plain = {f.name: getattr(request, f.name) for f in fields(request) if f.name != "controls"}
    plain["controls"] = [
        (c.condition, c.adapter, c.conditioning_scale, c.image.mode, c.image.size,
         c.image.tobytes()) for c in request.controls
    ]
    return plain


def state(doc: Document) -> object:
    """Everything a round trip or an undo must restore, in a form ``==`` compares exactly."""
    return (
        doc.width, doc.height, doc.active.id if doc.active is not None else None,
        [
            (layer.id, layer.name, layer.kind, layer.visible, layer.opacity, layer.blend_mode,
             layer.locked,
             asdict(layer.condition) if layer.condition else None, request_state(layer.request),
             layer.pixels.shape, layer.pixels.dtype.str, layer.pixels.tobytes())
            for layer in doc.layers
        ],
    )


def widget_point(canvas: Any, x: float, y: float) -> QPoint:
    """The canvas widget's point over document point (x, y) (a pixel's top-left corner)."""
    return canvas.from_document(QPointF(x, y)).toPoint()


def pixel_centre(canvas: Any, x: float, y: float) -> QPoint:
    """The canvas widget's point over the centre of document pixel (x, y)."""
    return canvas.from_document(QPointF(x + 0.5, y + 0.5)).toPoint()


def add_condition(updater: Any, condition: str, source: Layer,
                  params: dict[str, Any] | None = None) -> Layer:
    """A shown condition layer detected from ``source``, added through the edits service (no
    undo stack) as the app adds one."""
    from t2ia_desktop.session.edits import DocumentEdits

    edits = DocumentEdits(updater.document, None, updater)
    return edits.add_condition(condition, source, visible=True, params=params)
