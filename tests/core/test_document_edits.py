"""The document's edit methods used by undo commands: each changes one thing and says so."""

from __future__ import annotations

import pytest

from t2ia_desktop.core.document.document import ConditionSettings, Document, Layer, blank_pixels

W, H = 8, 6


@pytest.fixture
def doc() -> Document:
    document = Document.with_sketch_layer(W, H)
    document.add_layer(Layer("Paint", "paint", blank_pixels(W, H)))
    document.add_layer(Layer("Depth", "condition", blank_pixels(W, H),
                             condition=ConditionSettings("depth")))
    return document


def record(doc: Document) -> list:
    events: list = []
    doc.layer_changed.connect(lambda layer: events.append(("changed", layer.name)))
    doc.layer_moved.connect(lambda layer, old, new: events.append(("moved", layer.name, old, new)))
    return events


def test_move_layer(doc):
    events = record(doc)
    depth = doc.layers[2]
    doc.move_layer(depth, 0)
    assert [layer.name for layer in doc.layers] == ["Depth", "Sketch", "Paint"]
    assert events == [("moved", "Depth", 2, 0), ("changed", "Depth")]
    doc.move_layer(depth, 0)  # already there: nothing
    assert len(events) == 2
    with pytest.raises(IndexError):
        doc.move_layer(depth, 3)


def test_rename_and_opacity_emit_only_on_change(doc):
    events = record(doc)
    paint = doc.layers[1]
    doc.rename(paint, "Ink")
    doc.rename(paint, "Ink")
    doc.set_opacity(paint, 0.5)
    doc.set_opacity(paint, 0.5)
    assert (paint.name, paint.opacity) == ("Ink", 0.5)
    assert events == [("changed", "Ink"), ("changed", "Ink")]
    with pytest.raises(ValueError, match="opacity must be between 0 and 1"):
        doc.set_opacity(paint, 1.01)


def test_set_condition_value(doc):
    events = record(doc)
    depth = doc.layers[2]
    doc.set_condition_value(depth, "conditioning_scale", 0.4)
    doc.set_condition_value(depth, "conditioning_scale", 0.4)
    assert depth.condition.conditioning_scale == 0.4
    assert events == [("changed", "Depth")]
    with pytest.raises(AttributeError):
        doc.set_condition_value(depth, "strength", 1)
    with pytest.raises(ValueError, match="has no condition settings"):
        doc.set_condition_value(doc.layers[1], "enabled", False)  # a paint layer
