"""Outpainting: grow the canvas and set everything up for Inpaint to paint the new area.

One undoable :class:`ExtendCanvas` step

1. grows the canvas (:class:`~t2ia_desktop.core.undo.commands.ResizeCanvas`; every layer gets
   transparent margins),
2. adds an "Outpaint fill" photo layer at the bottom: the old picture's border pixels repeated
   outwards (edge extension) and then blurred, in the new area only. The inpaint pipeline starts
   from the init image; transparent margins would reach it as flat white paper, which pulls
   the new area towards white at Strength below 1. Blurred edge colours continue the picture
   without the hard streaks plain edge extension leaves. It is an ordinary layer: hide or
   delete it to start from white instead,
3. makes the inpaint mask (the topmost mask layer, or a new "Inpaint mask") cover exactly the
   new area plus ``overlap`` pixels into the old picture with a soft edge (full strength at the
   old border, fading to nothing ``overlap`` pixels in), so the seam is repainted but the old
   picture further in stays exactly as it was,
4. moves the generation area over the new area and a margin of the old picture (the model
   needs context), reaching for the family's native size (1024 SDXL, 512 SD1.5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.core.document.generation_area import MAX_AREA_SIDE, GenerationArea
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.source import canvas_image, mask_layer
from t2ia_desktop.core.undo.area_command import SetGenerationArea
from t2ia_desktop.core.undo.commands import (
    AddLayer,
    Command,
    PixelEdit,
    ResizeCanvas,
    SetLayerProperty,
    anchor_offset,
    snapshot,
)

OUTPAINT_STEP = 8
"""Margins are multiples of this (the VAE's 8× downscale)."""
DEFAULT_OVERLAP = 24
"""How far (pixels) the mask reaches into the old picture to repaint the seam."""
MAX_OVERLAP = 256
MIN_CONTEXT = 64
"""The least of the old picture (beyond the overlap) the generation area shows the model."""
FAMILY_SIDE = {"sdxl": 1024, "sd15": 512}
"""The side each family generates best at: the generation area reaches for it."""
FILL_BLUR = 16
"""Gaussian blur radius (pixels) of the edge-extended fill."""
FILL_NAME = "Outpaint fill"
MASK_NAME = "Inpaint mask"


@dataclass(frozen=True)
class Margins:
    """Pixels added on each side of the canvas."""

    left: int = 0
    top: int = 0
    right: int = 0
    bottom: int = 0

    @property
    def offset(self) -> tuple[int, int]:
        """Where the old picture's top-left corner lands on the new canvas."""
        return self.left, self.top

    def new_size(self, old: tuple[int, int]) -> tuple[int, int]:
        return old[0] + self.left + self.right, old[1] + self.top + self.bottom

    def check(self, old: tuple[int, int]) -> None:
        """:class:`BadInput` unless these margins grow an ``old``-sized canvas sensibly."""
        sides = (self.left, self.top, self.right, self.bottom)
        if any(side < 0 for side in sides):
            raise BadInput("outpainting only adds pixels: use Image → Canvas size to crop")
        if any(side % OUTPAINT_STEP for side in sides):
            raise BadInput(f"add a multiple of {OUTPAINT_STEP} pixels on each side "
                           f"(got {', '.join(map(str, sides))})")
        if not any(sides):
            raise BadInput("add some pixels on at least one side to outpaint")
        width, height = self.new_size(old)
        if max(width, height) > MAX_AREA_SIDE:
            raise BadInput(f"the canvas would be {width}×{height}: at most {MAX_AREA_SIDE} "
                           "pixels a side; add less")


def margins_for_size(old: tuple[int, int], new: tuple[int, int],
                     anchor: tuple[int, int]) -> Margins:
    """The margins that grow ``old`` to ``new`` keeping the ``anchor`` cell (column, row in 0..2)
    of the picture in place, as Image → Canvas size does."""
    if new[0] < old[0] or new[1] < old[1]:
        raise BadInput(f"{new[0]}×{new[1]} is smaller than the canvas ({old[0]}×{old[1]}): "
                       "outpainting only grows it")
    x, y = anchor_offset(old, new, anchor)
    x, y = x // OUTPAINT_STEP * OUTPAINT_STEP, y // OUTPAINT_STEP * OUTPAINT_STEP
    return Margins(x, y, new[0] - old[0] - x, new[1] - old[1] - y)


def outpaint_mask(old: tuple[int, int], margins: Margins, overlap: int) -> np.ndarray:
    """The mask (height, width) uint8 for the grown canvas: 255 over the new area; inside the
    old picture a ramp from 255 at a grown border down to 0 ``overlap`` pixels in; 0 beyond."""
    width, height = margins.new_size(old)
    left, top = margins.offset
    mask = np.full((height, width), 255, np.uint8)
    inside = np.zeros((old[1], old[0]), np.float32)  # distance-based strength in the picture
    if overlap > 0:
        ramp_x = np.zeros(old[0], np.float32)
        ramp_y = np.zeros(old[1], np.float32)
        fade = 1.0 - (np.arange(overlap, dtype=np.float32) + 0.5) / overlap
        for ramp, before, after in ((ramp_x, margins.left, margins.right),
                                    (ramp_y, margins.top, margins.bottom)):
            n = min(overlap, ramp.size)
            if before:
                ramp[:n] = np.maximum(ramp[:n], fade[:n])
            if after:
                ramp[ramp.size - n:] = np.maximum(ramp[ramp.size - n:], fade[:n][::-1])
        inside = np.maximum(ramp_x[None, :], ramp_y[:, None])
    mask[top:top + old[1], left:left + old[0]] = np.rint(inside * 255).astype(np.uint8)
    return mask


def mask_pixels(mask: np.ndarray) -> np.ndarray:
    """A mask as mask-layer pixels: white, its strength in the alpha channel."""
    pixels = np.full((*mask.shape, 4), 255, np.uint8)
    pixels[..., 3] = mask
    return pixels


def edge_fill(picture: Image.Image, margins: Margins, blur: float = FILL_BLUR) -> np.ndarray:
    """Layer pixels for the grown canvas: ``picture`` (flattened on white) edge-extended into the
    margins and blurred there; transparent over the old picture."""
    paper = Image.new("RGBA", picture.size, (255, 255, 255, 255))
    flat = np.asarray(Image.alpha_composite(paper, picture.convert("RGBA")).convert("RGB"))
    pad = ((margins.top, margins.bottom), (margins.left, margins.right), (0, 0))
    extended = Image.fromarray(np.pad(flat, pad, mode="edge"), "RGB")
    if blur > 0:
        extended = extended.filter(ImageFilter.GaussianBlur(blur))
    pixels = np.array(extended.convert("RGBA"))
    left, top = margins.offset
    pixels[top:top + picture.height, left:left + picture.width] = 0
    return pixels


def _axis_span(size: int, start: int, end: int, before: int, after: int,
               across: bool, side: int, overlap: int) -> tuple[int, int]:
    """The area's extent along one axis: the new area's extent (``across``: a strip on the other
    axis spans this whole axis) grown into the old picture towards ``side`` pixels."""
    if across or (before and after):
        return 0, size
    if before:
        lo, hi = 0, start
    else:
        lo, hi = end, size
    need = max(side - (hi - lo), overlap + MIN_CONTEXT)
    if before:
        hi = min(size, hi + need)
    else:
        lo = max(0, lo - need)
    return lo, hi


def outpaint_area(old: tuple[int, int], margins: Margins, overlap: int,
                  side: int) -> GenerationArea:
    """The generation area for outpainting: the whole new area, the overlap, and enough of the
    old picture to reach ``side`` pixels (at least :data:`MIN_CONTEXT` beyond the overlap)."""
    width, height = margins.new_size(old)
    left, top = margins.offset
    across_x = bool(margins.top or margins.bottom)
    across_y = bool(margins.left or margins.right)
    x0, x1 = (0, width) if not (margins.left or margins.right) else _axis_span(
        width, left, left + old[0], margins.left, margins.right, across_x, side, overlap)
    y0, y1 = (0, height) if not (margins.top or margins.bottom) else _axis_span(
        height, top, top + old[1], margins.top, margins.bottom, across_y, side, overlap)
    return GenerationArea(x0, y0, x1 - x0, y1 - y0)


class ExtendCanvas(Command):
    """Grow the canvas for outpainting (see the module docstring), as one step."""

    def __init__(self, margins: Margins, overlap: int = DEFAULT_OVERLAP,
                 side: int = FAMILY_SIDE["sdxl"], label: str | None = None) -> None:
        if not 0 <= overlap <= MAX_OVERLAP:
            raise BadInput(f"an overlap of {overlap} pixels: choose 0 to {MAX_OVERLAP}")
        self.margins = margins
        self.overlap = overlap
        self.side = side
        self.label = label or "Extend canvas (outpaint)"
        self.steps: list[Command] = []
        self.mask_layer: Layer | None = None
        self.area: GenerationArea | None = None

    @staticmethod
    def check(document: Document, margins: Margins) -> None:
        """:class:`BadInput` (before any change) when the document cannot be outpainted so."""
        margins.check((document.width, document.height))
        layer = mask_layer(document)
        if layer is not None and layer.locked:
            raise BadInput(f"“{layer.name}” is locked: unlock it in Layers so outpainting can "
                           "set the mask")

    def apply(self, document: Document) -> None:
        self.check(document, self.margins)
        old = (document.width, document.height)
        picture = canvas_image(document)
        width, height = self.margins.new_size(old)
        steps: list[Command] = []

        def run(command: Command) -> None:
            command.apply(document)
            steps.append(command)

        run(ResizeCanvas(width, height, self.margins.offset, self.label))
        run(AddLayer(Layer(FILL_NAME, "photo", edge_fill(picture, self.margins)), 0))
        pixels = mask_pixels(outpaint_mask(old, self.margins, self.overlap))
        layer = mask_layer(document)
        if layer is None:
            layer = Layer(MASK_NAME, "mask", pixels)
            run(AddLayer(layer, None))
        else:
            whole = (0, 0, width, height)
            before = snapshot(layer, whole)
            layer.pixels[...] = pixels
            document.notify_pixels_changed(layer, whole)
            steps.append(PixelEdit.capture(layer, whole, before, self.label))
            if not layer.visible:
                run(SetLayerProperty(layer, "visible", True))
        self.area = outpaint_area(old, self.margins, self.overlap, self.side)
        run(SetGenerationArea(self.area))
        self.mask_layer = layer
        self.steps = steps

    def redo(self, document: Document) -> None:
        for step in self.steps:
            step.redo(document)

    def undo(self, document: Document) -> None:
        for step in reversed(self.steps):
            step.undo(document)

    @property
    def nbytes(self) -> int:
        return sum(step.nbytes for step in self.steps)

    def is_noop(self) -> bool:
        return not self.steps
