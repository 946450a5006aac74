"""OpenRaster (``.ora``): layered pictures shared with Krita, GIMP and MyPaint.

An ``.ora`` is a zip: ``mimetype`` (``image/openraster``, stored first, uncompressed),
``stack.xml`` (the layer stack, top first), ``data/*.png`` (one PNG per layer),
``Thumbnails/thumbnail.png`` (at most 256 px) and ``mergedimage.png`` (the flattened picture).
Export writes every layer at the canvas origin with its name, opacity, visibility and blend mode
(``svg:src-over``, ``svg:multiply``, ``svg:screen``, ``svg:color-dodge``, ``svg:plus``…). Import
reads any stack: groups are flattened into the list (their offsets, opacity and visibility
carried down), each layer is placed at its x/y offset and becomes a *photo* layer if it is
opaque everywhere, else a *paint* layer. The spec's non-separable operators (``svg:hue``,
``svg:saturation``, ``svg:color``, ``svg:luminosity``), which the canvas cannot draw, and
operators outside the spec are read as normal and named in the import's notes. A MyPaint
background layer's tile (``background_tile``) is repeated over the whole canvas.
"""

from __future__ import annotations

import math
import re
import typing
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
from PIL import Image

from t2ia_desktop.core.document.composite import flatten
from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.core.files.archive import (
    MAX_IMAGE_PIXELS,
    MAX_LAYERS,
    MAX_SIDE,
    MAX_TOTAL_PIXELS,
    ArchiveReader,
    ArchiveWriter,
    atomic_write,
    encode_image_png,
    encode_png,
    encoding_pool,
)

__all__ = ["MIMETYPE", "THUMBNAIL_SIZE", "export_ora", "flatten", "import_ora", "read_ora"]

MIMETYPE = "image/openraster"
SPEC_VERSION = "0.0.5"
THUMBNAIL_SIZE = 256
_MAX_DEPTH = 64
COMPOSITE_OPS = {"normal": "svg:src-over", "multiply": "svg:multiply",
                 "screen": "svg:screen", "overlay": "svg:overlay", "darken": "svg:darken",
                 "lighten": "svg:lighten", "color-dodge": "svg:color-dodge",
                 "color-burn": "svg:color-burn", "hard-light": "svg:hard-light",
                 "soft-light": "svg:soft-light", "difference": "svg:difference",
                 "exclusion": "svg:exclusion", "plus": "svg:plus"}
"""Layer blend modes as OpenRaster composite-op names; others read as normal."""
BACKGROUND_TILE = ("background_tile", "{http://mypaint.org/ns/openraster}background-tile")
"""Where MyPaint names a background layer's repeating tile."""
BLEND_OF_OP = {op: mode for mode, op in COMPOSITE_OPS.items()}
_NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def export_ora(document: Document, path: str | Path) -> None:
    """Write ``document`` as an OpenRaster file, atomically (see :func:`atomic_write`)."""
    names = [f"data/layer{index:04d}.png" for index in range(len(document.layers))]
    root = ET.Element("image", {"version": SPEC_VERSION, "w": str(document.width),
                                "h": str(document.height)})
    stack = ET.SubElement(root, "stack")
    # OpenRaster lists the top layer first
    for layer, name in reversed(list(zip(document.layers, names, strict=True))):
        attributes = {
            "name": _NOT_XML_CHARS.sub("", layer.name), "src": name, "x": "0", "y": "0",
            "opacity": repr(float(layer.opacity)),
            "visibility": "visible" if layer.visible else "hidden",
            "composite-op": COMPOSITE_OPS.get(layer.blend_mode, "svg:src-over"),
        }
        if layer is document.active:
            attributes["selected"] = "true"
        ET.SubElement(stack, "layer", attributes)
    stack_xml = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    merged = flatten(document)
    thumbnail = merged.copy()
    thumbnail.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS)

    def write(stream: typing.BinaryIO) -> None:
        with ArchiveWriter(stream) as archive:
            archive.add("mimetype", MIMETYPE.encode("ascii"))  # first and stored, as the spec says
            archive.add("stack.xml", stack_xml, compress=True)
            with encoding_pool() as pool:
                for layer, name in zip(document.layers, names, strict=True):
                    archive.add(name, encode_png(layer.pixels, pool))
                archive.add("mergedimage.png", encode_png(np.asarray(merged), pool))
            archive.add("Thumbnails/thumbnail.png", encode_image_png(thumbnail))

    atomic_write(path, write, "OpenRaster file")


def import_ora(path: str | Path) -> Document:
    """Read an OpenRaster file into a new document; bad input raises :class:`BadInput`."""
    return read_ora(path)[0]


def read_ora(path: str | Path) -> tuple[Document, list[str]]:
    """:func:`import_ora`, and notes on what was read differently (blend modes read as normal,
    by layer name)."""
    notes: list[str] = []
    with ArchiveReader(path, "an OpenRaster file") as archive:
        root = _stack_of_openraster(archive)
        width = _size_attribute(archive, root, "w")
        height = _size_attribute(archive, root, "h")
        if width * height > MAX_IMAGE_PIXELS:
            raise archive.bad(f"its canvas is {width}×{height}, larger than the "
                              f"{MAX_IMAGE_PIXELS // 1_000_000} megapixel limit")
        bottom_first = _layer_entries(archive, root, width, height)
        document = _document(archive, bottom_first, width, height, notes)
    return document, notes


def _stack_of_openraster(archive: ArchiveReader) -> ET.Element:
    """The parsed stack.xml, once the mimetype (when there is one) says OpenRaster."""
    names = archive.names()
    if "mimetype" in names:
        mimetype = archive.read("mimetype", 256, "mimetype").strip()
        if mimetype != MIMETYPE.encode("ascii"):
            raise archive.bad("it is not an OpenRaster file (its mimetype is "
                              f"{mimetype[:40].decode('ascii', 'replace')!r})")
    if "stack.xml" not in names:
        raise archive.bad("it is not an OpenRaster file (it has no stack.xml)")
    return _parse_stack(archive)


def _layer_entries(archive: ArchiveReader, root: ET.Element, width: int,
                   height: int) -> list[tuple[ET.Element, int, int, float, bool]]:
    """Every layer of the stack, bottom first, with its offset, opacity and visibility;
    refused when there are more, or more pixels in all, than can be opened safely."""
    stack = root.find("stack")
    if stack is None:
        raise archive.bad("its stack.xml has no layer stack")
    entries: list[tuple[ET.Element, int, int, float, bool]] = []
    _collect(archive, stack, 0, 0, 1.0, True, entries, 0)
    if len(entries) > MAX_LAYERS:
        raise archive.bad(f"it has {len(entries)} layers, more than the {MAX_LAYERS} "
                          "allowed")
    if len(entries) * width * height > MAX_TOTAL_PIXELS:
        raise archive.bad(f"{len(entries)} layers of {width}×{height} are more than "
                          f"{MAX_TOTAL_PIXELS // 1_000_000} megapixels in all, too many "
                          "to open safely")
    return list(reversed(entries))


def _document(archive: ArchiveReader, bottom_first: list, width: int, height: int,
              notes: list[str]) -> Document:
    """A document of the layers' images, each placed at its offset on the canvas (a background
    tile repeated over it); ``notes`` gets the blend modes read as normal."""
    names = [element.get("name") or f"Layer {number}"
             for number, (element, *_) in enumerate(bottom_first, 1)]
    for name, (element, *_) in zip(names, bottom_first, strict=True):
        if not element.get("src"):
            raise archive.bad(f"layer {name[:40]!r} names no image")
    images = archive.rgba_all([
        (element.get("src"), f"image of layer {name[:40]!r}", None)
        for name, (element, *_) in zip(names, bottom_first, strict=True)])
    document = Document(width, height)
    selected = None
    placed = zip(names, images, bottom_first, strict=True)
    as_normal: dict[str, list[str]] = {}
    for name, image, (element, x, y, opacity, visible) in placed:
        tile = next((element.get(key) for key in BACKGROUND_TILE if element.get(key)), None)
        if tile:
            pixels = _tiled(archive.rgba(tile, f"background tile of {name[:40]!r}"), width,
                            height)
        else:
            pixels = _placed(image, x, y, width, height)
        kind = "photo" if pixels[..., 3].min() == 255 else "paint"
        op = element.get("composite-op", "svg:src-over")
        if op not in BLEND_OF_OP:
            as_normal.setdefault(op.removeprefix("svg:")[:40], []).append(name)
        layer = Layer(name, kind, pixels, visible=visible, opacity=opacity,
                      blend_mode=BLEND_OF_OP.get(op, "normal"))
        document.add_layer(layer)
        if element.get("selected") == "true":
            selected = layer
    if selected is not None:
        document.active = selected
    for op, names in as_normal.items():
        shown = ", ".join(f"“{name[:40]}”" for name in names[:6])
        more = f" and {len(names) - 6} more" if len(names) > 6 else ""
        notes.append(f"blend mode {op} read as normal (not drawn here) on {shown}{more}")
    return document


def _parse_stack(archive: ArchiveReader) -> ET.Element:
    text = archive.text("stack.xml", "layer stack (stack.xml)")
    if "<!DOCTYPE" in text or "<!ENTITY" in text:  # entity expansion bombs; ORA needs none
        raise archive.bad("its stack.xml declares a DTD or entities; refused")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as error:
        raise archive.bad(f"its stack.xml is not valid XML ({error})") from None
    if root.tag != "image":
        raise archive.bad("its stack.xml does not describe an image")
    return root


def _collect(archive: ArchiveReader, stack: ET.Element, x: int, y: int, opacity: float,
             visible: bool, out: list, depth: int) -> None:
    """The layers of ``stack``, top first, with offsets, opacity and visibility carried down."""
    if depth > _MAX_DEPTH:
        raise archive.bad(f"its layer groups nest deeper than {_MAX_DEPTH}")
    for element in stack:
        if element.tag not in ("layer", "stack"):
            continue  # text, filters and other extensions: not pixels we can read
        if len(out) > MAX_LAYERS:
            return
        where = f"layer {element.get('name', '')[:40]!r}"
        own_x = x + _int_attribute(archive, element, "x", where)
        own_y = y + _int_attribute(archive, element, "y", where)
        own_opacity = opacity * _opacity(archive, element, where)
        own_visible = visible and element.get("visibility", "visible") != "hidden"
        if element.tag == "stack":
            _collect(archive, element, own_x, own_y, own_opacity, own_visible, out, depth + 1)
        else:
            out.append((element, own_x, own_y, own_opacity, own_visible))


def _size_attribute(archive: ArchiveReader, root: ET.Element, name: str) -> int:
    value = root.get(name, "")
    if not value.isdigit() or not 0 < int(value) <= MAX_SIDE:
        raise archive.bad(f"its canvas {'width' if name == 'w' else 'height'} {value[:20]!r} is "
                          f"not a size from 1 to {MAX_SIDE}")
    return int(value)


def _int_attribute(archive: ArchiveReader, element: ET.Element, name: str, where: str) -> int:
    text = element.get(name, "0").strip()
    try:
        value = float(text)
    except ValueError:
        raise archive.bad(f"{where} has an {name} offset of {text[:20]!r}, not a number") \
            from None
    if not math.isfinite(value) or abs(value) > 4 * MAX_SIDE:
        raise archive.bad(f"{where} has an {name} offset of {text[:20]!r}, out of range")
    return round(value)


def _opacity(archive: ArchiveReader, element: ET.Element, where: str) -> float:
    text = element.get("opacity", "1").strip()
    try:
        value = float(text)
    except ValueError:
        raise archive.bad(f"{where} has an opacity of {text[:20]!r}, not a number") from None
    if not math.isfinite(value):
        raise archive.bad(f"{where} has an opacity of {text[:20]!r}")
    return min(1.0, max(0.0, value))  # writers round: 1.0000001 means 1


def _tiled(tile: np.ndarray, width: int, height: int) -> np.ndarray:
    """``tile`` repeated from the canvas origin to cover ``width``×``height``."""
    rows = -(-height // tile.shape[0])
    columns = -(-width // tile.shape[1])
    return np.ascontiguousarray(np.tile(tile, (rows, columns, 1))[:height, :width])


def _placed(image: np.ndarray, x: int, y: int, width: int, height: int) -> np.ndarray:
    """``image`` at offset (x, y) on a transparent canvas, clipped to it."""
    if (x, y) == (0, 0) and image.shape[:2] == (height, width):
        return image
    canvas = np.zeros((height, width, 4), np.uint8)
    image_height, image_width = image.shape[:2]
    left, top = max(0, x), max(0, y)
    right, bottom = min(width, x + image_width), min(height, y + image_height)
    if left < right and top < bottom:
        canvas[top:bottom, left:right] = image[top - y:bottom - y, left - x:right - x]
    return canvas

