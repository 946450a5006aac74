"""The document: a canvas size and a stack of RGBA layers held as numpy arrays.

Views paint into a layer's ``pixels`` array (the canvas wraps it in a QImage without copying)
and then call :meth:`Document.notify_pixels_changed`, so every listener redraws.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from PIL import Image
from psygnal import Signal

from t2ia_desktop.core.document.generation_area import (
    GenerationArea,
    fit_area,
    placed,
    whole_canvas,
)
from t2ia_desktop.core.generation.request import ControlSpec, GenerationRequest

LayerKind = Literal["sketch", "paint", "photo", "condition", "result", "mask"]
BlendMode = Literal["normal", "multiply", "screen", "overlay", "darken", "lighten",
                    "color-dodge", "color-burn", "hard-light", "soft-light", "difference",
                    "exclusion", "plus"]
BLEND_MODES: tuple[str, ...] = ("normal", "multiply", "screen", "overlay", "darken", "lighten",
                                "color-dodge", "color-burn", "hard-light", "soft-light",
                                "difference", "exclusion", "plus")
SOURCE_KINDS = ("sketch", "paint", "photo")
"""Layers a detector can read, and that selecting makes the brush's layer."""
"""How a layer mixes with what lies below it (the W3C compositing formulas Qt and ORA share)."""

_revisions = itertools.count(1)
"""Process-wide, so a (layer id, revision) pair names one content of one layer, even across
documents opened twice from the same file."""


@dataclass
class ConditionSettings:
    """What makes a layer a control: its condition type, where it comes from, how strong it is.

    A condition layer's pixels are the control image. ``source_id`` is the layer its detector
    reads (``None`` for the sketch layer, whose own strokes are the control). ``detached`` is set
    when the artist paints over the control image by hand: it then stops following its source
    until re-detected. ``error`` holds the last detector error, shown on the layer.
    ``step_start``/``step_end`` are the share of the denoising steps during which it guides.
    """

    condition: str
    source_id: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    conditioning_scale: float = 1.0
    enabled: bool = True
    detached: bool = False
    error: str = ""
    step_start: float = 0.0
    step_end: float = 1.0
    guide: str = "adapter"  # what reads the control image: core/conditions/guides.py


@dataclass(eq=False)
class Layer:
    name: str
    kind: LayerKind
    pixels: np.ndarray  # (height, width, 4) uint8, straight (not premultiplied) RGBA
    visible: bool = True
    opacity: float = 1.0
    request: GenerationRequest | None = field(default=None, repr=False)
    condition: ConditionSettings | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    blend_mode: str = "normal"  # one of BLEND_MODES
    locked: bool = False  # a locked layer refuses painting, clearing and deleting
    revision: int = field(default=0, init=False, compare=False, repr=False)
    """Changes whenever the pixels do (a new array, or :meth:`Document.notify_pixels_changed`):
    saving re-encodes only layers whose revision it has not encoded yet."""

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name == "pixels":
            self.touch()

    def touch(self) -> None:
        """Mark the pixels as changed (a new :attr:`revision`)."""
        object.__setattr__(self, "revision", next(_revisions))

    @property
    def size(self) -> tuple[int, int]:
        return self.pixels.shape[1], self.pixels.shape[0]

    def is_blank(self) -> bool:
        return not self.pixels[..., 3].any()


def blank_pixels(width: int, height: int) -> np.ndarray:
    return np.zeros((height, width, 4), dtype=np.uint8)


def control_image(layer: Layer) -> Image.Image:
    """The image a condition layer hands its adapter (the engine converts it to L or RGB)."""
    if layer.kind == "sketch":
        return sketch_control_image(layer)
    return Image.fromarray(np.ascontiguousarray(layer.pixels[..., :3]), "RGB")


def sketch_control_image(layer: Layer) -> Image.Image:
    """The control image the sketch adapters expect: white strokes on black.

    The artist draws in any colour on a transparent sketch layer; the stroke coverage (alpha)
    is what the adapter sees, so dark ink on light paper becomes white lines on black.
    """
    return Image.fromarray(np.ascontiguousarray(layer.pixels[..., 3]), "L")


class Document:
    """A canvas of fixed size with layers, bottom first."""

    layer_added = Signal(object)  # Layer
    layer_removed = Signal(object)  # Layer
    layer_changed = Signal(object)  # Layer: properties such as visibility or name
    pixels_changed = Signal(object, tuple)  # Layer, (x, y, w, h) of the changed area
    layer_moved = Signal(object, int, int)  # Layer, old index, new index (bottom first)
    generation_area_changed = Signal(object)  # GenerationArea, the one now in effect

    def __init__(self, width: int = 1024, height: int = 1024) -> None:
        self.width = width
        self.height = height
        self.layers: list[Layer] = []
        self.active: Layer | None = None
        self.custom_area: GenerationArea | None = None
        """The generation area the artist set; None: the whole canvas (follows resizes)."""

    @classmethod
    def with_sketch_layer(cls, width: int = 1024, height: int = 1024) -> Document:
        doc = cls(width, height)
        doc.add_layer(Layer("Sketch", "sketch", blank_pixels(width, height),
                            condition=ConditionSettings("sketch")))
        return doc

    def add_layer(self, layer: Layer, index: int | None = None) -> Layer:
        if layer.size != (self.width, self.height):
            raise ValueError(f"layer is {layer.size}, document is {(self.width, self.height)}")
        self.layers.insert(len(self.layers) if index is None else index, layer)
        if self.active is None or layer.kind in ("sketch", "paint"):
            self.active = layer
        self.layer_added.emit(layer)
        return layer

    def add_result(self, image: Image.Image, request: GenerationRequest | None = None) -> Layer:
        """Add a generated image as a new layer on top, scaled to the canvas if needed."""
        return self.add_layer(self.result_layer(image, request))

    def result_layer(self, image: Image.Image, request: GenerationRequest | None = None,
                     origin: tuple[int, int] | None = None) -> Layer:
        """A generated image as a result layer for this document (not added yet); an
        undoable "Add result" step adds it. It lands at ``origin`` (transparent elsewhere);
        without one, at the generation area when it has the area's size, else it is scaled to
        the canvas."""
        image = image.convert("RGBA")
        if origin is None and image.size == self.generation_area.size:
            origin = self.generation_area.origin
        count = sum(1 for layer in self.layers if layer.kind == "result") + 1
        if origin is not None and (origin, image.size) != ((0, 0), (self.width, self.height)):
            pixels = placed(image, origin, self.width, self.height)
        else:
            if image.size != (self.width, self.height):
                image = image.resize((self.width, self.height), Image.Resampling.LANCZOS)
            pixels = np.array(image)
        return Layer(f"Result {count}", "result", pixels, request=request)

    @property
    def generation_area(self) -> GenerationArea:
        """The part of the canvas a generation covers and where its result lands."""
        return self.custom_area or whole_canvas(self.width, self.height)

    def set_generation_area(self, area: GenerationArea | None) -> None:
        """Set the generation area (fitted to the canvas and its 8-pixel grid); None or the
        whole canvas: the whole canvas, following later resizes."""
        if area is not None:
            area = fit_area(area, self.width, self.height)
            if area == whole_canvas(self.width, self.height):
                area = None
        if area != self.custom_area:
            self.custom_area = area
            self.generation_area_changed.emit(self.generation_area)

    def remove_layer(self, layer: Layer) -> None:
        self.layers.remove(layer)
        if self.active is layer:
            self.active = next(
                (lay for lay in reversed(self.layers) if lay.kind in ("sketch", "paint")), None
            )
        self.layer_removed.emit(layer)

    def set_visible(self, layer: Layer, visible: bool) -> None:
        if layer.visible != visible:
            layer.visible = visible
            self.layer_changed.emit(layer)

    def move_layer(self, layer: Layer, index: int) -> None:
        """Put ``layer`` at ``index`` (bottom first) of the stack."""
        old = self.layers.index(layer)
        if not 0 <= index < len(self.layers):
            raise IndexError(f"no position {index} in a stack of {len(self.layers)} layers")
        if old != index:
            self.layers.insert(index, self.layers.pop(old))
            self.layer_moved.emit(layer, old, index)
            self.layer_changed.emit(layer)

    def rename(self, layer: Layer, name: str) -> None:
        if layer.name != name:
            layer.name = name
            self.layer_changed.emit(layer)

    def set_opacity(self, layer: Layer, opacity: float) -> None:
        if not 0.0 <= opacity <= 1.0:
            raise ValueError(f"opacity must be between 0 and 1, not {opacity}")
        if layer.opacity != opacity:
            layer.opacity = opacity
            self.layer_changed.emit(layer)

    def set_blend_mode(self, layer: Layer, mode: str) -> None:
        if mode not in BLEND_MODES:
            raise ValueError(f"unknown blend mode {mode!r} (known: {', '.join(BLEND_MODES)})")
        if layer.blend_mode != mode:
            layer.blend_mode = mode
            self.layer_changed.emit(layer)

    def set_locked(self, layer: Layer, locked: bool) -> None:
        if layer.locked != locked:
            layer.locked = locked
            self.layer_changed.emit(layer)

    def resize_canvas(self, width: int, height: int, pixels: list[np.ndarray]) -> None:
        """Give the canvas a new size and every layer (bottom first) its new ``pixels``.

        ``layer_removed``/``layer_added`` are emitted for every layer so views rebuild.
        """
        if len(pixels) != len(self.layers):
            raise ValueError(f"{len(pixels)} pixel arrays for {len(self.layers)} layers")
        for array in pixels:
            if array.shape != (height, width, 4):
                raise ValueError(f"pixels of {array.shape}, canvas {width}×{height}")
        layers = list(self.layers)
        active = self.active
        for layer in reversed(layers):
            self.remove_layer(layer)
        self.width, self.height = width, height
        if self.custom_area is not None:  # keep it inside the new canvas
            self.set_generation_area(self.custom_area)
        else:
            self.generation_area_changed.emit(self.generation_area)
        for layer, array in zip(layers, pixels, strict=True):
            layer.pixels = array
            self.add_layer(layer)
        self.active = active

    def set_condition_value(self, layer: Layer, name: str, value: Any) -> None:
        """Change one field of a condition layer's :class:`ConditionSettings`."""
        if layer.condition is None:
            raise ValueError(f"layer {layer.name!r} has no condition settings")
        if name not in ConditionSettings.__dataclass_fields__:
            raise AttributeError(f"ConditionSettings has no field {name!r}")
        if getattr(layer.condition, name) != value:
            setattr(layer.condition, name, value)
            self.layer_changed.emit(layer)

    def make_active(self, layer: Layer) -> None:
        """Make ``layer`` the one the brush paints on, and tell every view."""
        previous = self.active
        if previous is layer:
            return
        self.active = layer
        if previous is not None and previous in self.layers:
            self.layer_changed.emit(previous)
        self.layer_changed.emit(layer)

    def sketch_layer(self) -> Layer | None:
        return next((layer for layer in self.layers if layer.kind == "sketch"), None)

    def layer_by_id(self, layer_id: str | None) -> Layer | None:
        return next((layer for layer in self.layers if layer.id == layer_id), None)

    def condition_layers(self) -> list[Layer]:
        """Layers that carry a control (the sketch layer and condition layers), bottom first."""
        return [layer for layer in self.layers if layer.condition is not None]

    def controls(self) -> tuple[ControlSpec, ...]:
        """One control per enabled, non-blank condition layer, bottom first."""
        return tuple(
            ControlSpec(layer.condition.condition, control_image(layer), None,
                        layer.condition.conditioning_scale, layer.condition.step_start,
                        layer.condition.step_end, layer.condition.guide)
            for layer in self.condition_layers()
            if layer.condition.enabled and not layer.is_blank()
        )

    def notify_pixels_changed(self, layer: Layer, rect: tuple[int, int, int, int]) -> None:
        layer.touch()
        self.pixels_changed.emit(layer, rect)

    def clear_layer(self, layer: Layer) -> None:
        layer.pixels[...] = 0
        layer.touch()
        self.pixels_changed.emit(layer, (0, 0, self.width, self.height))
