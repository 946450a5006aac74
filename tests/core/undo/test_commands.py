"""Undo and redo: random histories restore every state exactly; merging, memory bound, clean
mark."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from t2ia_desktop.core.document.document import Document, Layer, blank_pixels
from t2ia_desktop.core.undo.commands import (
    AddLayer,
    MoveLayer,
    PixelEdit,
    PixelRecorder,
    RemoveLayer,
    SetLayerProperty,
    snapshot,
)
from t2ia_desktop.core.undo.stack import UndoStack
from tests.builders import noise, state
from tests.core.undo.histories import SH, SW, apply, operations, small_document

# -- the property test ------------------------------------------------------------------------


@settings(max_examples=120, deadline=None, derandomize=True)
@given(st.lists(operations, max_size=25))
def test_undo_all_restores_the_start_and_redo_all_the_end(history):
    doc = small_document()
    stack = UndoStack(doc)
    states = [state(doc)]  # states[i]: the document with i steps applied
    changes = []
    stack.changed.connect(lambda: changes.append(1))
    for operation in history:
        changes.clear()
        apply(stack, doc, operation)
        if operation[0] in ("undo", "redo", "seal") or not changes:
            assert state(doc) == states[stack.index]  # moved in the history, or no change
        else:  # a new step, or a merge into the top step
            states = states[:stack.index] + [state(doc)]
        assert len(stack.labels) == len(states) - 1
    final = stack.index
    while stack.can_undo:
        stack.undo()
        assert state(doc) == states[stack.index]
    assert state(doc) == states[0] == state(small_document())
    while stack.can_redo:
        stack.redo()
    assert state(doc) == states[-1]
    stack.goto(final)
    assert state(doc) == states[final]


@settings(max_examples=80, deadline=None, derandomize=True)
@given(st.lists(operations, max_size=25), st.integers(1, 6))
def test_with_a_tight_memory_bound_every_kept_step_still_restores_exactly(history, layers):
    """The bound drops steps at either end; whatever is left must still undo and redo exactly."""
    doc = small_document()
    stack = UndoStack(doc, max_bytes=layers * SW * SH * 4)
    before: dict[object, object] = {}  # step -> the document before it, and after it
    after: dict[object, object] = {}

    def check() -> None:
        steps = stack._steps  # peeking: the model is kept per step object
        if stack.index:
            assert state(doc) == after[steps[stack.index - 1]]
        elif steps:
            assert state(doc) == before[steps[0]]

    for operation in history:
        previous = state(doc)
        apply(stack, doc, operation)
        assert stack.nbytes <= stack.max_bytes
        if operation[0] not in ("undo", "redo", "seal") and stack.index:
            top = stack._steps[stack.index - 1]
            before.setdefault(top, previous)
            after[top] = state(doc)
        check()
    stack.goto(0)
    check()
    stack.goto(len(stack.labels))
    check()


# -- pixel edits ------------------------------------------------------------------------------

def test_a_pixel_edit_keeps_only_the_rectangle_that_changed():
    doc = small_document()
    layer = doc.layers[1]
    before = snapshot(layer, (0, 0, SW, SH))
    layer.pixels[5:7, 10:13] = (1, 2, 3, 4)
    edit = PixelEdit.capture(layer, (0, 0, SW, SH), before)
    assert edit.rect == (10, 5, 3, 2)
    assert edit.nbytes == 2 * (2 * 3 * 4)  # before and after


def test_an_edit_that_changed_nothing_is_not_a_step():
    doc = small_document()
    stack = UndoStack(doc)
    with stack.edit_pixels(doc.layers[1], (0, 0, 5, 5)):
        pass
    assert stack.labels == []
    assert not stack.can_undo


def test_undo_of_a_pixel_edit_tells_the_views():
    doc = small_document()
    stack = UndoStack(doc)
    layer = doc.layers[1]
    with stack.edit_pixels(layer, (2, 3, 4, 4), "Fill"):
        layer.pixels[3:7, 2:6] = 9
    seen = []
    doc.pixels_changed.connect(lambda lay, rect: seen.append((lay, rect)))
    stack.undo()
    stack.redo()
    assert seen == [(layer, (2, 3, 4, 4))] * 2


def test_a_stroke_recorder_stores_the_pixels_under_every_segment():
    layer = Layer("Paint", "paint", noise(5, 200, 100))
    original = layer.pixels.copy()
    recorder = PixelRecorder(layer, tile=16)
    for x in range(10, 150, 7):  # a stroke drawn in overlapping segments
        rect = (x, 40, 12, 12)
        recorder.before_paint(rect)
        layer.pixels[40:52, x:x + 12] = (255, 0, 0, 255)
    edit = recorder.finish()
    doc = Document(200, 100)
    doc.add_layer(layer)
    painted = layer.pixels.copy()
    edit.undo(doc)
    assert np.array_equal(layer.pixels, original)
    edit.redo(doc)
    assert np.array_equal(layer.pixels, painted)
    assert edit.rect == (10, 40, 155 - 10, 12)  # the painted footprint, not the tiles


# -- layer operations -------------------------------------------------------------------------

def test_remove_keeps_the_layer_and_its_place_and_the_active_layer():
    doc = small_document()
    stack = UndoStack(doc)
    sketch = doc.layers[1]
    doc.active = sketch
    stack.push(RemoveLayer(sketch))
    assert sketch not in doc.layers
    assert doc.active is not sketch
    stack.undo()
    assert doc.layers[1] is sketch
    assert doc.active is sketch
    assert stack.labels == ["Delete Sketch"]


def test_move_emits_layer_moved_and_undo_moves_back():
    doc = small_document()
    stack = UndoStack(doc)
    top = doc.layers[2]
    moves = []
    doc.layer_moved.connect(lambda layer, old, new: moves.append((layer, old, new)))
    stack.push(MoveLayer(top, 0))
    assert doc.layers[0] is top
    stack.undo()
    assert doc.layers[2] is top
    assert moves == [(top, 2, 0), (top, 0, 2)]
    assert not stack.push(MoveLayer(top, 2))  # already there: no step


def test_bad_properties_are_refused_before_anything_changes():
    doc = small_document()
    stack = UndoStack(doc)
    with pytest.raises(ValueError, match="unknown layer property 'blend'"):
        SetLayerProperty(doc.layers[0], "blend", "multiply")
    with pytest.raises(ValueError, match="has no condition settings"):
        SetLayerProperty(doc.layers[0], "condition.enabled", False)  # a photo: no condition
    with pytest.raises(ValueError, match="opacity must be between 0 and 1"):
        stack.push(SetLayerProperty(doc.layers[0], "opacity", 1.5))
    assert stack.labels == []
    assert doc.layers[0].opacity == 1.0


def test_a_group_is_one_step_and_a_failing_group_leaves_nothing():
    doc = small_document()
    stack = UndoStack(doc)
    start = state(doc)
    with stack.group("Merge down"):
        upper, lower = doc.layers[2], doc.layers[1]
        with stack.edit_pixels(lower, (0, 0, SW, SH)):
            lower.pixels[...] = 7
        stack.push(RemoveLayer(upper))
    assert stack.labels == ["Merge down"]
    stack.undo()
    assert state(doc) == start

    def broken_group() -> None:
        with stack.group("Broken"):
            stack.push(SetLayerProperty(doc.layers[0], "name", "x"))
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        broken_group()
    assert state(doc) == start
    assert stack.labels == ["Merge down"]


# -- merging ----------------------------------------------------------------------------------

def test_a_slider_drag_is_one_step_until_sealed():
    doc = small_document()
    stack = UndoStack(doc)
    layer = doc.layers[2]
    for value in (0.9, 0.7, 0.5, 0.3):
        stack.push(SetLayerProperty(layer, "opacity", value))
    assert stack.labels == ["Opacity Depth"]
    stack.seal()
    stack.push(SetLayerProperty(layer, "opacity", 0.2))
    assert len(stack.labels) == 2
    stack.undo()
    assert layer.opacity == 0.3
    stack.undo()
    assert layer.opacity == 1.0


def test_merging_stops_at_another_property_another_layer_or_an_undo():
    doc = small_document()
    stack = UndoStack(doc)
    a, b = doc.layers[1], doc.layers[2]
    stack.push(SetLayerProperty(a, "opacity", 0.5))
    stack.push(SetLayerProperty(b, "opacity", 0.5))
    stack.push(SetLayerProperty(b, "condition.conditioning_scale", 0.5))
    stack.push(SetLayerProperty(b, "condition.conditioning_scale", 0.6))
    assert len(stack.labels) == 3
    stack.undo()
    stack.redo()
    stack.push(SetLayerProperty(b, "condition.conditioning_scale", 0.7))
    assert len(stack.labels) == 4


def test_toggles_do_not_merge_and_a_drag_back_to_the_start_is_no_step():
    doc = small_document()
    stack = UndoStack(doc)
    layer = doc.layers[1]
    stack.push(SetLayerProperty(layer, "visible", False))
    stack.push(SetLayerProperty(layer, "visible", True))
    assert len(stack.labels) == 2
    stack.push(SetLayerProperty(layer, "opacity", 0.4))
    stack.push(SetLayerProperty(layer, "opacity", 1.0))
    assert len(stack.labels) == 2
    assert stack.index == 2


def test_params_are_copied_not_shared():
    doc = small_document()
    stack = UndoStack(doc)
    layer = doc.layers[2]
    params = {"a": 2}
    stack.push(SetLayerProperty(layer, "condition.params", params))
    params["a"] = 99  # the caller's dict changes later: the history must not
    stack.undo()
    stack.redo()
    assert layer.condition.params == {"a": 2}


# -- memory bound -----------------------------------------------------------------------------

def fill(stack: UndoStack, layer: Layer, value: int) -> None:
    with stack.edit_pixels(layer, (0, 0, SW, SH)):
        layer.pixels[...] = value


def test_the_oldest_steps_go_when_the_patches_pass_the_bound():
    doc = Document(SW, SH)
    layer = doc.add_layer(Layer("Paint", "paint", blank_pixels(SW, SH)))
    step_bytes = SW * SH * 4 * 2
    stack = UndoStack(doc, max_bytes=3 * step_bytes)
    for value in range(1, 6):
        fill(stack, layer, value)
        assert stack.nbytes <= stack.max_bytes
    assert stack.labels == ["Paint"] * 3
    assert stack.index == 3
    while stack.can_undo:
        stack.undo()
    assert (layer.pixels == 2).all()  # the state after step 2: steps 1-2 were dropped
    stack.max_bytes = step_bytes  # shrinking drops redo steps, furthest first
    assert len(stack.labels) == 1
    assert stack.index == 0
    stack.redo()
    assert (layer.pixels == 3).all()


def test_a_step_larger_than_the_bound_is_not_kept():
    doc = Document(SW, SH)
    layer = doc.add_layer(Layer("Paint", "paint", blank_pixels(SW, SH)))
    stack = UndoStack(doc, max_bytes=100)
    fill(stack, layer, 1)
    assert not stack.can_undo
    assert stack.nbytes == 0
    assert (layer.pixels == 1).all()


def test_layers_count_only_while_the_history_alone_keeps_them():
    doc = Document(SW, SH)
    layer_bytes = SW * SH * 4
    stack = UndoStack(doc, max_bytes=2 * layer_bytes)
    for number in range(5):  # new layers live in the document: they cost the history nothing
        stack.push(AddLayer(Layer(f"L{number}", "paint", blank_pixels(SW, SH))))
    assert stack.nbytes == 0
    assert len(stack.labels) == 5
    stack.undo()
    stack.undo()  # the two undone layers are now kept by the history alone
    assert stack.nbytes == 2 * layer_bytes
    stack.push(RemoveLayer(doc.layers[0]))  # drops the redo branch, then holds one layer
    assert stack.nbytes == layer_bytes
    stack.undo()
    stack.undo()  # the removal is undone, L2's addition too: one layer held
    assert stack.nbytes == layer_bytes
    stack.undo()
    stack.undo()  # three held: over the bound; nothing older to drop, so the furthest redo goes
    assert stack.nbytes == 2 * layer_bytes
    assert stack.labels == ["Add L0", "Add L1"]
    assert stack.index == 0


def test_the_default_bound_is_512_mb():
    assert UndoStack(Document(4, 4)).max_bytes == 512 * 2**20


# -- clean marker and signals -----------------------------------------------------------------

def test_the_clean_marker_follows_the_saved_state():
    doc = small_document()
    stack = UndoStack(doc)
    layer = doc.layers[1]
    assert stack.is_clean
    stack.push(SetLayerProperty(layer, "opacity", 0.5))
    assert not stack.is_clean
    stack.set_clean()
    assert stack.is_clean
    stack.push(SetLayerProperty(layer, "opacity", 0.4))  # must not merge into the saved step
    assert not stack.is_clean
    assert len(stack.labels) == 2
    stack.undo()
    assert stack.is_clean
    stack.undo()
    assert not stack.is_clean
    stack.redo()
    assert stack.is_clean
    stack.undo()
    stack.push(SetLayerProperty(layer, "name", "Other"))  # the saved state is gone for good
    assert not any(_visit(stack))


def _visit(stack: UndoStack):
    stack.goto(0)
    yield stack.is_clean
    while stack.can_redo:
        stack.redo()
        yield stack.is_clean


def test_dropping_the_saved_state_for_memory_makes_it_unreachable():
    doc = Document(SW, SH)
    layer = doc.add_layer(Layer("Paint", "paint", blank_pixels(SW, SH)))
    stack = UndoStack(doc, max_bytes=2 * SW * SH * 4 * 2)
    stack.set_clean()
    for value in range(1, 4):
        fill(stack, layer, value)
    assert not any(_visit(stack))


def test_changed_is_emitted_and_labels_describe_the_steps():
    doc = small_document()
    stack = UndoStack(doc)
    count = []
    stack.changed.connect(lambda: count.append(1))
    stack.push(AddLayer(Layer("Ink", "paint", blank_pixels(SW, SH))))
    stack.push(SetLayerProperty(doc.layers[-1], "visible", False))
    stack.undo()
    stack.set_clean()
    assert len(count) == 4
    assert stack.labels == ["Add Ink", "Visibility Ink"]
    assert (stack.undo_label, stack.redo_label) == ("Add Ink", "Visibility Ink")
    stack.clear()
    assert (stack.labels, stack.index, stack.is_clean) == ([], 0, True)
