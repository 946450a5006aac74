"""Project files (``.t2ia``): a document saved so that it reopens exactly as it was.

A project is a zip archive::

    mimetype                 "application/x-t2ia-project", stored first (lets file(1) tell)
    manifest.json            the versioned description below (UTF-8 JSON)
    layers/0000.png …        one lossless 8-bit RGBA PNG per layer, bottom first
    controls/0003-0.png …    the control images of a layer's request (layer 3, control 0)

``manifest.json``::

    format          "t2ia-project"
    format_version  1 (a file with a higher number is refused: "update the app")
    app_version     the app that wrote it
    width, height   canvas size in pixels
    active          id of the active layer, or null
    settings        document-level generation settings (a JSON object; {} when none)
    generation_area {x, y, width, height} of the part of the canvas a generation covers,
                    or null (absent in older files): the whole canvas
    selection       "selection.png" (an 8-bit greyscale PNG, 255 = selected), only when
                    something is selected; absent: nothing selected (see core.selection_file)
    recovery        only in autosaved copies: what the unsaved work is (its name, its file,
                    when it was written; see core.files.recovery), so that one atomic file
                    holds the work and its description
    layers          bottom first, each:
      id, name, kind ("sketch", "paint", "photo", "condition", "result", "mask"),
      visible, opacity (0..1), image (the entry of its PNG),
      blend_mode    one of document.BLEND_MODES ("normal", "multiply", … "plus")
                    (absent: normal), locked (absent: false)
      condition     null or every ConditionSettings field (condition, source_id, params,
                    conditioning_scale, enabled, detached, error, step_start, step_end,
                    guide: "adapter", "controlnet" or "union"; absent in older files: adapter)
      request       null or every GenerationRequest field; ``controls`` is a list of
                    {condition, adapter, conditioning_scale, start, end, guide, controlnet,
                    image (the entry of its PNG)}

Saving is atomic (a temporary file beside the target, fsynced, renamed), and re-encodes only
the layers whose pixels changed since they were last saved or opened (see
:mod:`~t2ia_desktop.core.files.layer_cache`); while one layer is written the next ones compress.
Opening decodes the layers on several threads. Loading refuses bad
input with a :class:`~t2ia_desktop.core.errors.BadInput` that says why, and never decodes more
than :data:`~t2ia_desktop.core.files.archive.MAX_TOTAL_PIXELS`.
"""

from __future__ import annotations

import functools
import json
import types
import typing
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

from t2ia_desktop import __version__
from t2ia_desktop.core.conditions.guides import ADAPTER, GUIDES
from t2ia_desktop.core.document.document import (
    BLEND_MODES,
    ConditionSettings,
    Document,
    Layer,
    LayerKind,
)
from t2ia_desktop.core.document.generation_area import area_from_json
from t2ia_desktop.core.errors import BadInput, T2IAError
from t2ia_desktop.core.files.archive import (
    MAX_IMAGE_PIXELS,
    MAX_LAYERS,
    MAX_SIDE,
    MAX_TOTAL_PIXELS,
    ArchiveReader,
    ArchiveWriter,
    atomic_write,
    encode_image_png,
    encoding_pool,
    start_encode_png,
)
from t2ia_desktop.core.files.format_version import check_format_version
from t2ia_desktop.core.files.layer_cache import EncodedLayerCache, shared_cache
from t2ia_desktop.core.files.selection_file import add_to_manifest, read_selection, selection_png
from t2ia_desktop.core.generation.request import ControlSpec, GenerationRequest

FORMAT = "t2ia-project"
FORMAT_VERSION = 1
MIMETYPE = "application/x-t2ia-project"
MANIFEST = "manifest.json"
SUFFIX = ".t2ia"
LAYER_KINDS: tuple[str, ...] = typing.get_args(LayerKind)
MAX_ID_LENGTH = 64


def save_project(document: Document, path: str | Path,
                 settings: dict[str, Any] | None = None,
                 cache: EncodedLayerCache | None = shared_cache, *,
                 recovery: dict[str, Any] | None = None) -> None:
    """Write ``document`` (and generation ``settings``) to ``path`` atomically; ``recovery``
    (an autosave's description of the work) goes into the manifest with it.

    Layers whose revision ``cache`` holds are written from it as they are; the others are
    encoded and kept there (``None``: encode every layer, keep nothing).
    Raises :class:`BadInput` when the file cannot be written (read-only folder, disk full…);
    the previous file, if any, is then untouched and no temporary file is left.
    """
    layer_names = [f"layers/{index:04d}.png" for index in range(len(document.layers))]
    control_names: list[list[str]] = []
    entries = []
    for index, layer in enumerate(document.layers):
        if layer.pixels.shape != (document.height, document.width, 4):
            raise T2IAError(f"layer {layer.name!r} is {layer.size}, not the canvas size")
        names = [f"controls/{index:04d}-{number}.png"
                 for number in range(len(layer.request.controls) if layer.request else 0)]
        control_names.append(names)
        entries.append(_layer_entry(layer, layer_names[index], names))
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "app_version": __version__,
        "width": document.width,
        "height": document.height,
        "active": document.active.id if document.active is not None else None,
        "settings": dict(settings or {}),
        "generation_area": (document.custom_area.to_json()
                            if document.custom_area is not None else None),
        "layers": entries,
    }
    if recovery is not None:
        manifest["recovery"] = recovery
    selection = selection_png(document)
    add_to_manifest(manifest, selection)
    try:
        manifest_text = json.dumps(manifest, indent=1, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise T2IAError(f"The project cannot be saved: a setting is not storable ({error})") \
            from None

    def write(stream: typing.BinaryIO) -> None:
        with ArchiveWriter(stream) as archive:
            archive.add("mimetype", MIMETYPE.encode("ascii"))
            archive.add(MANIFEST, manifest_text.encode("utf-8"), compress=True)
            if selection is not None:
                archive.add(manifest["selection"], selection)
            with encoding_pool() as pool:
                for name, parts in zip(layer_names, _encoded_layers(document.layers, pool,
                                                                    cache), strict=True):
                    archive.add(name, parts)
            for layer, names in zip(document.layers, control_names, strict=True):
                controls = layer.request.controls if layer.request else ()
                for control, name in zip(controls, names, strict=True):
                    archive.add(name, encode_image_png(control.image))

    atomic_write(path, write, "project")


def load_project(path: str | Path, cache: EncodedLayerCache | None = shared_cache
                 ) -> tuple[Document, dict[str, Any]]:
    """Read a project written by :func:`save_project`: the document and its settings.

    The layers' PNG bytes go into ``cache``, so saving the document again copies them.
    Any problem with the file raises :class:`BadInput` with a message fit for the artist.
    """
    with ArchiveReader(path, "a t2ia project") as archive:
        manifest = _read_manifest(archive)
        reader = _ManifestReader(archive)
        width, height = reader.canvas_size(manifest)
        raw_layers = _layer_list(archive, manifest, width, height)
        settings = manifest.get("settings", {})
        if settings is None:
            settings = {}
        if not isinstance(settings, dict):
            raise archive.bad("its settings are not a JSON object")
        layers = _layer_fields(archive, reader, raw_layers)
        document = _document(archive, manifest, layers, width, height, cache)
    return document, settings


def _layer_list(archive: ArchiveReader, manifest: dict[str, Any], width: int,
                height: int) -> list:
    """The manifest's layers, refused when more of them, or more pixels in all, than can be
    opened safely."""
    raw_layers = manifest.get("layers")
    if not isinstance(raw_layers, list):
        raise archive.bad("the manifest has no list of layers")
    if len(raw_layers) > MAX_LAYERS:
        raise archive.bad(f"it has {len(raw_layers)} layers, more than the {MAX_LAYERS} "
                          "allowed")
    if len(raw_layers) * width * height > MAX_TOTAL_PIXELS:
        raise archive.bad(f"{len(raw_layers)} layers of {width}×{height} are more than "
                          f"{MAX_TOTAL_PIXELS // 1_000_000} megapixels in all, too many "
                          "to open safely")
    return raw_layers


def _layer_fields(archive: ArchiveReader, reader: _ManifestReader,
                  raw_layers: list) -> list[tuple[dict[str, Any], str]]:
    """Each layer's checked fields and the name of its image; ids are unique."""
    layers, seen = [], set()
    for index, data in enumerate(raw_layers):
        fields_, image = reader.layer(index, data)
        if fields_["id"] in seen:
            raise archive.bad(f"two layers share the id {fields_['id']!r}")
        seen.add(fields_["id"])
        layers.append((fields_, image))
    return layers


def _document(archive: ArchiveReader, manifest: dict[str, Any],
              layers: list[tuple[dict[str, Any], str]], width: int, height: int,
              cache: EncodedLayerCache | None) -> Document:
    """The document of the decoded layers, with its active layer, generation area and
    selection; each layer's PNG bytes go into ``cache``."""
    decoded = archive.rgba_and_png_all([
        (image, f"image of layer {index + 1} ({f['name'][:40]!r})", (width, height))
        for index, (f, image) in enumerate(layers)])
    document = Document(width, height)
    for (fields_, _), (layer_pixels, png) in zip(layers, decoded, strict=True):
        layer = document.add_layer(Layer(pixels=layer_pixels, **fields_))
        if cache is not None and png is not None:
            cache.put(layer.id, layer.revision, [png], layer.size)
    active = manifest.get("active")
    if active is not None:
        if not isinstance(active, str):
            raise archive.bad("the active layer is not given as a layer id")
        document.active = document.layer_by_id(active) or document.active
    try:
        document.set_generation_area(area_from_json(manifest.get("generation_area")))
    except BadInput as error:
        raise archive.bad(str(error)) from None
    read_selection(archive, manifest, document)
    return document


# -- writing helpers --------------------------------------------------------------------------

LOOKAHEAD = 2
"""Layers compressing ahead of the one being written (more only holds more memory)."""


def _encoded_layers(layers: Sequence[Layer], pool: Executor,
                    cache: EncodedLayerCache | None) -> typing.Iterator[Sequence[bytes]]:
    """Each layer's PNG as pieces, in order: from ``cache`` or compressed on ``pool``, the
    next :data:`LOOKAHEAD` layers compressing while the caller writes one."""
    started: list[Callable[[], Sequence[bytes]]] = []

    def start(layer: Layer) -> Callable[[], Sequence[bytes]]:
        revision = layer.revision  # read first: an edit during encoding makes it stale, not wrong
        if cache is not None:
            hit = cache.get(layer.id, revision, layer.size)
            if hit is not None:
                return lambda: hit.parts
        finish = start_encode_png(layer.pixels, pool)

        def encoded() -> Sequence[bytes]:
            parts = finish()
            if cache is not None:
                cache.put(layer.id, revision, parts, layer.size)
            return parts
        return encoded

    for index, _ in enumerate(layers):
        while len(started) <= min(index + LOOKAHEAD, len(layers) - 1):
            started.append(start(layers[len(started)]))
        yield started[index]()
        started[index] = lambda: ()  # let its bytes go once written

def _layer_entry(layer: Layer, image: str, control_names: list[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": layer.id, "name": layer.name, "kind": layer.kind, "visible": layer.visible,
        "opacity": float(layer.opacity), "image": image, "condition": None, "request": None,
        "blend_mode": layer.blend_mode, "locked": layer.locked,
    }
    if layer.condition is not None:
        entry["condition"] = {f.name: _jsonable(getattr(layer.condition, f.name))
                              for f in fields(ConditionSettings)}
    if layer.request is not None:
        request = {f.name: _jsonable(getattr(layer.request, f.name))
                   for f in fields(GenerationRequest) if f.name not in _REQUEST_IMAGES}
        request["controls"] = [
            {"condition": control.condition, "adapter": control.adapter,
             "conditioning_scale": control.conditioning_scale, "start": control.start,
             "end": control.end, "guide": control.guide, "controlnet": control.controlnet,
             "image": name}
            for control, name in zip(layer.request.controls, control_names, strict=True)
        ]
        entry["request"] = request
    return entry


_REQUEST_IMAGES = ("controls", "init_image", "mask_image")
"""Request fields that hold images: controls get their own entries; init and mask images of
img2img/inpainting results are not kept (their hashes are in each result PNG's metadata)."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return value


# -- reading helpers --------------------------------------------------------------------------

def _read_manifest(archive: ArchiveReader) -> dict[str, Any]:
    if MANIFEST not in archive.names():
        raise archive.bad("it is not a t2ia project (it has no manifest.json)")
    text = archive.text(MANIFEST, "manifest")
    try:
        manifest = json.loads(text)
    except RecursionError:
        raise archive.bad("its manifest is nested too deeply") from None
    except ValueError as error:
        raise archive.bad(f"its manifest is not valid JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise archive.bad("it is not a t2ia project (its manifest names another format)")
    check_format_version(manifest, FORMAT_VERSION, "project", bad=archive.bad)
    return manifest


class _ManifestReader:
    """Checks every manifest value against the type the model expects."""

    def __init__(self, archive: ArchiveReader) -> None:
        self.archive = archive

    def bad(self, reason: str) -> BadInput:
        return self.archive.bad(reason)

    def canvas_size(self, manifest: dict[str, Any]) -> tuple[int, int]:
        width, height = manifest.get("width"), manifest.get("height")
        for name, value in (("width", width), ("height", height)):
            if not _is_int(value) or not 0 < value <= MAX_SIDE:
                raise self.bad(f"its canvas {name} {value!r} is not a size from 1 to {MAX_SIDE}")
        if width * height > MAX_IMAGE_PIXELS:
            raise self.bad(f"its canvas is {width}×{height}, larger than the "
                           f"{MAX_IMAGE_PIXELS // 1_000_000} megapixel limit")
        return width, height

    def layer(self, index: int, data: Any) -> tuple[dict[str, Any], str]:
        """A layer's fields (all but its pixels) and the entry of its image."""
        where = f"layer {index + 1}"
        if not isinstance(data, dict):
            raise self.bad(f"{where} in the manifest is not an object")
        layer_id = self.value(data, "id", str, where)
        if not layer_id or len(layer_id) > MAX_ID_LENGTH:
            raise self.bad(f"{where} has an id of {len(layer_id)} characters (1 to "
                           f"{MAX_ID_LENGTH} allowed)")
        name = self.value(data, "name", str, where)
        where = f"layer {index + 1} ({name[:40]!r})"
        kind = self.value(data, "kind", str, where)
        if kind not in LAYER_KINDS:
            raise self.bad(f"{where} is of an unknown kind {kind[:40]!r} (known: "
                           f"{', '.join(LAYER_KINDS)}); it may come from a newer version of "
                           "t2ia desktop")
        visible = self.value(data, "visible", bool, where)
        opacity = self.value(data, "opacity", float, where)
        if not 0.0 <= opacity <= 1.0:
            raise self.bad(f"{where} has an opacity of {opacity}, not between 0 and 1")
        image = self.value(data, "image", str, where)
        blend_mode = self.typed(data.get("blend_mode", "normal"), str, f"{where}: blend_mode")
        if blend_mode not in BLEND_MODES:
            raise self.bad(f"{where} has an unknown blend mode {blend_mode[:40]!r} (known: "
                           f"{', '.join(BLEND_MODES)})")
        locked = self.typed(data.get("locked", False), bool, f"{where}: locked")
        condition = data.get("condition")
        if condition is not None:
            condition = ConditionSettings(**self.dataclass_values(
                ConditionSettings, condition, f"the condition of {where}"))
            self.guide(condition.guide, f"the condition of {where}")
        request = data.get("request")
        if request is not None:
            request = self.request(request, f"the request of {where}")
        return {"name": name, "kind": kind, "visible": visible, "opacity": opacity,
                "request": request, "condition": condition, "id": layer_id,
                "blend_mode": blend_mode, "locked": locked}, image

    def request(self, data: Any, where: str) -> GenerationRequest:
        values = self.dataclass_values(GenerationRequest, data, where, skip=_REQUEST_IMAGES)
        controls = data.get("controls", [])
        if not isinstance(controls, list):
            raise self.bad(f"the controls of {where} are not a list")
        specs = []
        for number, control in enumerate(controls):
            control_where = f"control {number + 1} of {where}"
            fields_ = self.dataclass_values(ControlSpec, control, control_where, skip=("image",))
            self.guide(fields_.get("guide", ADAPTER), control_where)
            image = self.value(control, "image", str, control_where)
            specs.append(ControlSpec(image=self.archive.image(image, f"image of {control_where}"),
                                     **fields_))
        return GenerationRequest(controls=tuple(specs), **values)

    def guide(self, guide: str, where: str) -> None:
        """Files written before guides existed have none: their controls are adapters."""
        if guide not in GUIDES:
            raise self.bad(f"{where} is guided by an unknown {guide[:40]!r} (known: "
                           f"{', '.join(GUIDES)}); it may come from a newer version of "
                           "t2ia desktop")

    def dataclass_values(self, cls: type, data: Any, where: str,
                         skip: tuple[str, ...] = ()) -> dict[str, Any]:
        """The fields of ``cls`` found in ``data``, each of its declared type."""
        if not isinstance(data, dict):
            raise self.bad(f"{where} is not an object")
        hints = _type_hints(cls)
        values = {}
        for field in fields(cls):
            if field.name in skip:
                continue
            if field.name not in data:
                if field.default is MISSING and field.default_factory is MISSING:
                    raise self.bad(f"{where} has no {field.name}")
                continue  # written before the field existed: its default
            values[field.name] = self.typed(data[field.name], hints[field.name],
                                            f"{where}: {field.name}")
        return values

    def value(self, data: dict[str, Any], key: str, kind: type, where: str) -> Any:
        if key not in data:
            raise self.bad(f"{where} has no {key}")
        return self.typed(data[key], kind, f"{where}: {key}")

    def typed(self, value: Any, hint: Any, where: str) -> Any:
        options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        if value is None and type(None) in options:
            return None
        for option in options:
            if option is bool and isinstance(value, bool):
                return value
            if option is int and _is_int(value):
                return value
            if option is float and isinstance(value, (int, float)) and not isinstance(
                    value, bool):
                if not -_LARGEST <= value <= _LARGEST:  # NaN, infinite or a 400-digit int
                    raise self.bad(f"{where} is {str(value)[:20]}, not a finite number")
                return float(value)
            if option is str and isinstance(value, str):
                return value
            if typing.get_origin(option) is dict and isinstance(value, dict):
                return value
            if typing.get_origin(option) is tuple and isinstance(value, list):
                items = typing.get_args(option)  # (int, int): a pair; (X, ...): any length
                if len(items) == 2 and items[1] is Ellipsis:
                    items = (items[0],) * len(value)
                if len(value) == len(items):
                    return tuple(self.typed(item_value, item, where)
                                 for item_value, item in zip(value, items, strict=True))
        expected = " or ".join(getattr(o, "__name__", str(o)) for o in options)
        shown = (json.dumps(value)[:40] if value is None or isinstance(value, (str, int, float))
                 else "a list" if isinstance(value, list) else "an object")
        raise self.bad(f"{where} is {shown}, not a {expected.replace('NoneType', 'null')}")


_LARGEST = 1e300
"""The largest number a float field takes (a 400-digit int would overflow ``float()``)."""


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    """``cls``'s field types, worked out once (a queue of 10 000 requests asks 20 000 times)."""
    return typing.get_type_hints(cls)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)

