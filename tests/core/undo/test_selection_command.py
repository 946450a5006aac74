"""Selection changes as undo steps: named, compact, exact both ways (a property test over
random sequences), and kept per canvas size across a resize."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.document.selection import (
    adopt_selection,
    document_selection,
    polygon_mask,
    rectangle_mask,
)
from t2ia_desktop.core.undo.commands import ResizeCanvas
from t2ia_desktop.core.undo.selection_command import (
    deselect,
    invert_selection,
    select_all,
    select_shape,
    set_selection,
)
from t2ia_desktop.core.undo.stack import UndoStack

W, H = 23, 17


def test_each_change_is_a_named_step_that_undo_and_redo_restore_exactly():
    document = Document.with_sketch_layer(64, 48)
    stack = UndoStack(document)
    selection = document_selection(document)
    assert document_selection(document) is selection
    assert selection.is_empty()
    seen: list[np.ndarray] = [selection.mask.copy()]
    changes = [
        select_shape(rectangle_mask(64, 48, (4, 4), (20, 30))),
        select_shape(polygon_mask(64, 48, [(10, 10), (60, 12), (30, 44)]), "add", "lasso"),
        select_shape(rectangle_mask(64, 48, (0, 0), (16, 16)), "subtract", "rectangle"),
        invert_selection(), select_all(), deselect(),
    ]
    for change in changes:
        assert stack.push(change)
        seen.append(selection.mask.copy())
    assert stack.labels == ["Select shape", "Add lasso to selection",
                            "Subtract rectangle from selection", "Invert selection",
                            "Select all", "Deselect"]
    assert not stack.push(deselect())  # nothing selected: nothing to record
    rect = changes[0].rect
    assert rect == (4, 4, 16, 26)
    assert changes[0].nbytes == -(-16 * 26 // 8)
    for index in range(len(changes) - 1, -1, -1):
        stack.undo()
        assert np.array_equal(selection.mask, seen[index]), stack.labels[index]
        assert selection.bounds() == _bounds(seen[index])
    for index in range(1, len(changes) + 1):
        stack.redo()
        assert np.array_equal(selection.mask, seen[index])


def test_a_step_refuses_a_mask_of_another_size_and_a_second_apply():
    document = Document(10, 10)
    with pytest.raises(ValueError, match="does not fit the 10×10 canvas"):
        UndoStack(document).push(set_selection(np.ones((5, 5))))
    change = select_all()
    UndoStack(document).push(change)
    with pytest.raises(RuntimeError, match="redo it instead"):
        change.apply(document)


def test_undoing_a_canvas_resize_brings_back_that_sizes_selection():
    document = Document.with_sketch_layer(40, 30)
    stack = UndoStack(document)
    stack.push(select_shape(rectangle_mask(40, 30, (5, 5), (25, 20))))
    before = document_selection(document).mask.copy()
    stack.push(ResizeCanvas(60, 50, (0, 0)))
    assert document_selection(document).size == (60, 50)
    assert np.array_equal(document_selection(document).mask, rectangle_mask(60, 50, (5, 5),
                                                                             (25, 20)))
    stack.push(select_all())
    stack.undo()
    assert not document_selection(document).mask.all()
    stack.undo()  # the resize
    assert np.array_equal(document_selection(document).mask, before)
    stack.undo()
    assert document_selection(document).is_empty()
    stack.redo()
    stack.redo()
    stack.redo()
    assert document_selection(document).mask.all()


def test_adopting_a_mask_gives_the_document_that_selection_without_a_step():
    document = Document(8, 6)
    mask = np.zeros((6, 8), bool)
    mask[1:3, 2:5] = True
    assert np.array_equal(adopt_selection(document, mask).mask, mask)
    assert adopt_selection(document, None).is_empty()


points = st.tuples(st.floats(-3, W + 3), st.floats(-3, H + 3))
modes = st.sampled_from(["replace", "add", "subtract"])
operations = st.one_of(
    st.tuples(st.just("rectangle"), points, points, modes),
    st.tuples(st.just("lasso"), st.lists(points, min_size=3, max_size=8), modes),
    st.sampled_from([("all",), ("deselect",), ("invert",)]),
)


def _change(operation):
    kind = operation[0]
    if kind == "rectangle":
        return select_shape(rectangle_mask(W, H, operation[1], operation[2]), operation[3],
                            "rectangle")
    if kind == "lasso":
        return select_shape(polygon_mask(W, H, operation[1]), operation[2], "lasso")
    return {"all": select_all, "deselect": deselect, "invert": invert_selection}[kind]()


@settings(max_examples=60, deadline=None)
@given(start=st.lists(st.tuples(st.integers(0, W - 1), st.integers(0, H - 1))),
       sequence=st.lists(operations, min_size=1, max_size=12))
def test_undo_all_restores_the_first_selection_and_redo_all_the_last(start, sequence):
    document = Document(W, H)
    initial = np.zeros((H, W), bool)
    for x, y in start:
        initial[y, x] = True
    selection = adopt_selection(document, initial)
    stack = UndoStack(document)
    expected = initial.copy()
    for operation in sequence:
        change = _change(operation)
        stack.push(change)
        expected = _expected(expected, operation)
        assert np.array_equal(selection.mask, expected)
    final = selection.mask.copy()
    stack.goto(0)
    assert np.array_equal(selection.mask, initial)
    assert selection.is_empty() == (not initial.any())
    stack.goto(len(stack.labels))
    assert np.array_equal(selection.mask, final)
    assert selection.bounds() == _bounds(final)


def _expected(mask: np.ndarray, operation) -> np.ndarray:
    """What a painter expects each operation to do (computed without the commands)."""
    kind = operation[0]
    if kind in ("rectangle", "lasso"):
        shape = (rectangle_mask(W, H, operation[1], operation[2]) if kind == "rectangle"
                 else polygon_mask(W, H, operation[1]))
        mode = operation[-1]
        return shape if mode == "replace" else (mask | shape if mode == "add"
                                                else mask & ~shape)
    return {"all": np.ones_like(mask), "deselect": np.zeros_like(mask), "invert": ~mask}[kind]


def _bounds(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    if not ys.size:
        return 0, 0, 0, 0
    return int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(
        ys.max() - ys.min() + 1)
