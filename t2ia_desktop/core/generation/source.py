"""What img2img and inpainting start from: the visible canvas, and a mask layer.

Text to image needs neither. Image to image repaints the flattened visible canvas (mask layers
left out: they mark areas, they are not part of the picture). Inpaint repaints only where a mask
layer is painted.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from t2ia_desktop.core.document.composite import composite
from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.core.errors import BadInput

MODES = ("txt2img", "img2img", "inpaint")
MODE_LABELS = {
    "txt2img": "Text to image",
    "img2img": "Image to image (canvas)",
    "inpaint": "Inpaint (mask layer)",
}
NO_MASK_TIP = ("Inpaint needs a mask layer: add one (Layer menu, or from a selection) and paint "
               "white where the picture should change.")


def canvas_image(document: Document) -> Image.Image:
    """The visible layers flattened, without mask layers, as straight RGBA."""
    layers = [layer for layer in document.layers
              if layer.visible and layer.opacity > 0 and layer.kind != "mask"]
    return Image.fromarray(composite(layers, document.width, document.height), "RGBA")


def mask_layer(document: Document) -> Layer | None:
    """The mask inpainting uses: the active layer if it is a mask, else the topmost mask."""
    if document.active is not None and document.active.kind == "mask":
        return document.active
    return next((layer for layer in reversed(document.layers) if layer.kind == "mask"), None)


def mask_image(layer: Layer) -> Image.Image:
    """A mask layer as an L image, 255 where to repaint: painted (opaque) and light pixels.

    White strokes on a transparent layer and an opaque black-and-white picture both work.
    """
    pixels = layer.pixels.astype(np.uint32)
    luminance = (pixels[..., 0] * 299 + pixels[..., 1] * 587 + pixels[..., 2] * 114) // 1000
    return Image.fromarray((luminance * pixels[..., 3] // 255).astype(np.uint8), "L")


def source_fields(document: Document, mode: str, strength: float) -> dict:
    """The request fields for ``mode``: ``init_image``, ``strength`` and ``mask_image``."""
    if mode == "txt2img":
        return {}
    if mode not in MODES:
        raise BadInput(f"unknown mode {mode!r} (choose from {', '.join(MODES)})")
    fields = {"init_image": canvas_image(document), "strength": strength}
    if mode == "inpaint":
        layer = mask_layer(document)
        if layer is None:
            raise BadInput(NO_MASK_TIP)
        mask = mask_image(layer)
        if not np.asarray(mask).any():
            raise BadInput(f"the mask layer {layer.name!r} is empty: paint white where the "
                           "picture should change")
        fields["mask_image"] = mask
    return fields
