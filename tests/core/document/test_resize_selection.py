"""A canvas resize keeps the selection over the same pixels, and undo/redo bring it back."""

import numpy as np

from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.document.selection import document_selection, rectangle_mask
from t2ia_desktop.core.undo.commands import ResizeCanvas
from t2ia_desktop.core.undo.stack import UndoStack


def test_the_selection_moves_with_the_canvas_and_undo_restores_it():
    doc = Document.with_sketch_layer(40, 30)
    stack = UndoStack(doc)
    selected = rectangle_mask(40, 30, (5, 4), (15, 10))
    document_selection(doc).set_mask(selected)

    stack.push(ResizeCanvas(50, 20, (3, -2)))  # wider, cropped at the top
    expected = np.zeros((20, 50), bool)
    expected[2:8, 8:18] = True  # rows 4..9 → 2..7, columns 5..14 → 8..17
    assert np.array_equal(document_selection(doc).mask, expected)

    stack.undo()
    assert (doc.width, doc.height) == (40, 30)
    assert np.array_equal(document_selection(doc).mask, selected)
    stack.redo()
    assert np.array_equal(document_selection(doc).mask, expected)


def test_a_selection_cropped_away_leaves_nothing_selected():
    doc = Document.with_sketch_layer(40, 30)
    stack = UndoStack(doc)
    document_selection(doc).set_mask(rectangle_mask(40, 30, (30, 20), (39, 29)))
    stack.push(ResizeCanvas(20, 20, (0, 0)))
    assert document_selection(doc).is_empty()
    stack.undo()
    assert not document_selection(doc).is_empty()


def test_resizing_back_without_undo_does_not_bring_back_an_old_selection():
    doc = Document.with_sketch_layer(40, 30)
    stack = UndoStack(doc)
    stack.push(ResizeCanvas(60, 30, (0, 0)))
    document_selection(doc).set_mask(rectangle_mask(60, 30, (50, 0), (59, 29)))  # only new area
    stack.push(ResizeCanvas(40, 30, (0, 0)))  # crops the selected strip away
    assert document_selection(doc).is_empty()
    stack.push(ResizeCanvas(60, 30, (0, 0)))  # a new step, not an undo: nothing selected
    assert document_selection(doc).is_empty()
