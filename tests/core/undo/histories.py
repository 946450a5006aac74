"""Random edit histories for the undo property tests: a small document, the operations
hypothesis draws, and how one operation becomes an undo step."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import strategies as st

from t2ia_desktop.core.document.document import ConditionSettings, Document, Layer
from t2ia_desktop.core.undo.commands import (
    AddLayer,
    MoveLayer,
    PixelRecorder,
    RemoveLayer,
    SetLayerProperty,
)
from t2ia_desktop.core.undo.stack import UndoStack
from tests.builders import noise

SW, SH = 24, 18  # small, non-square canvas for the property tests


def small_document() -> Document:
    doc = Document.with_sketch_layer(SW, SH)
    doc.layers[0].pixels[2:6, 3:9] = (0, 0, 0, 255)
    doc.add_layer(Layer("Photo", "photo", noise(1, SW, SH, opaque=True)), 0)
    doc.add_layer(Layer("Depth", "condition", noise(2, SW, SH),
                        condition=ConditionSettings("depth", params={"a": 1})))
    for number, layer in enumerate(doc.layers):
        layer.id = f"layer{number}"
    return doc


colours = st.tuples(*[st.integers(0, 255)] * 4)
rects = st.tuples(st.integers(-4, SW), st.integers(-4, SH), st.integers(0, SW + 4),
                  st.integers(0, SH + 4))
operations = st.one_of(
    st.tuples(st.just("paint"), st.integers(0, 50), rects, colours),
    st.tuples(st.just("stroke"), st.integers(0, 50), st.lists(rects, min_size=1, max_size=4),
              colours),
    st.tuples(st.just("add"), st.integers(0, 50), st.integers(0, 10**6)),
    st.tuples(st.just("remove"), st.integers(0, 50)),
    st.tuples(st.just("move"), st.integers(0, 50), st.integers(0, 50)),
    st.tuples(st.just("opacity"), st.integers(0, 50), st.floats(0, 1)),
    st.tuples(st.just("visible"), st.integers(0, 50), st.booleans()),
    st.tuples(st.just("rename"), st.integers(0, 50), st.text(max_size=5)),
    st.tuples(st.just("condition"), st.integers(0, 50),
              st.sampled_from(["conditioning_scale", "enabled", "params"]), st.integers(0, 3)),
    st.tuples(st.just("undo")),
    st.tuples(st.just("redo")),
    st.tuples(st.just("seal")),
)


def _paint(stack: UndoStack, doc: Document, layer: Layer, operation: tuple) -> None:
    x, y, w, h = operation[2]
    with stack.edit_pixels(layer, operation[2], "Fill"):
        layer.pixels[max(0, y):max(0, y + h), max(0, x):max(0, x + w)] = operation[3]


def _stroke(stack: UndoStack, doc: Document, layer: Layer, operation: tuple) -> None:
    recorder = PixelRecorder(layer, tile=8)
    for x, y, w, h in operation[2]:
        recorder.before_paint((x, y, w, h))
        layer.pixels[max(0, y):max(0, y + h), max(0, x):max(0, x + w)] = operation[3]
    stack.push(recorder.finish())


def _condition(stack: UndoStack, doc: Document, layer: Layer, operation: tuple) -> None:
    if layer.condition is None:
        return
    field, number = operation[2], operation[3]
    value = {"conditioning_scale": number / 2, "enabled": bool(number % 2),
             "params": {"a": number, "b": [number]}}[field]
    stack.push(SetLayerProperty(layer, f"condition.{field}", value))


def _property(name: str) -> Callable[[UndoStack, Document, Layer, tuple], None]:
    def set_property(stack: UndoStack, doc: Document, layer: Layer, operation: tuple) -> None:
        stack.push(SetLayerProperty(layer, name, operation[2]))
    return set_property


_LAYER_OPERATIONS: dict[str, Callable[[UndoStack, Document, Layer, tuple], None]] = {
    "paint": _paint,
    "stroke": _stroke,
    "remove": lambda stack, doc, layer, operation: stack.push(RemoveLayer(layer)),
    "move": lambda stack, doc, layer, operation: stack.push(
        MoveLayer(layer, operation[2] % len(doc.layers))),
    "opacity": _property("opacity"),
    "visible": _property("visible"),
    "rename": _property("name"),
    "condition": _condition,
}


def apply(stack: UndoStack, doc: Document, operation: tuple) -> None:
    """Make ``operation`` (one of :data:`operations`) an undo step on ``doc``."""
    kind = operation[0]
    if kind in ("undo", "redo", "seal"):
        getattr(stack, kind)()
    elif kind == "add":
        pixels = noise(operation[2], SW, SH)
        stack.push(AddLayer(Layer(f"L{operation[2]}", "paint", pixels),
                            operation[1] % (len(doc.layers) + 1)))
    elif doc.layers:
        layer = doc.layers[operation[1] % len(doc.layers)]
        _LAYER_OPERATIONS[kind](stack, doc, layer, operation)
