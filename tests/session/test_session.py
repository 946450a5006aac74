"""The session: one open document, its history and edits service, and the current condition
layer; views follow its signals instead of being told one by one."""

from __future__ import annotations

import numpy as np
import pytest

from t2ia_desktop.core.conditions.registry import default_registry
from t2ia_desktop.core.document.document import Document, Layer, blank_pixels
from t2ia_desktop.runtime.condition_updates import ConditionUpdater
from t2ia_desktop.runtime.previews import PreviewScheduler
from t2ia_desktop.session.session import Session


class NoDetector:
    """A detector that is never asked: these tests add condition layers without detecting."""

    def __call__(self, *_args):
        raise AssertionError("no detection in these tests")


@pytest.fixture
def scheduler(qapp):
    previews = PreviewScheduler(lambda: NoDetector())
    yield previews
    previews.shutdown()


def condition_layer(document: Document, updater: ConditionUpdater, name: str) -> Layer:
    layer = updater.new_condition_layer("canny", document.sketch_layer())
    layer.name = name
    return layer


def test_a_new_document_starts_an_empty_history_and_is_told_once(qapp, scheduler):
    first = Document.with_sketch_layer(32, 32)
    updater = ConditionUpdater(first, default_registry(), scheduler)
    session = Session(first, updater)
    session.edits.set_visible(first.sketch_layer(), False)
    assert session.undo.undo_label is not None
    told: list[tuple[str, Document]] = []
    session.document_changing.connect(lambda doc: told.append(("changing", doc)))
    session.document_changed.connect(lambda doc: told.append(("changed", doc)))

    second = Document.with_sketch_layer(48, 40)
    session.set_document(second)
    assert told == [("changing", first), ("changed", second)]
    assert session.document is second
    assert session.edits.document is second
    assert updater.document is second
    assert session.undo.undo_label is None  # the history starts empty …
    assert session.undo.is_clean  # … and clean
    session.edits.set_visible(second.sketch_layer(), False)  # edits reach the new document
    assert not second.sketch_layer().visible
    assert first.sketch_layer().visible is False  # the old one is left as it was


def test_the_current_condition_layer_follows_adding_removing_and_switching(qapp, scheduler):
    document = Document.with_sketch_layer(32, 32)
    updater = ConditionUpdater(document, default_registry(), scheduler)
    session = Session(document, updater)
    shown: list[Layer | None] = []
    session.current_condition_changed.connect(shown.append)
    assert session.current_condition is None

    edges = condition_layer(document, updater, "Edges")
    document.add_layer(edges)
    assert session.current_condition is edges  # the first one becomes current
    lines = condition_layer(document, updater, "Lines")
    document.add_layer(lines)
    assert session.current_condition is edges  # a later one does not take over
    session.set_current_condition(lines)
    document.remove_layer(lines)
    assert session.current_condition is edges  # the topmost one left
    assert shown == [edges, lines, edges]

    opened = Document.with_sketch_layer(32, 32)
    kept = Layer("Kept", "condition", blank_pixels(32, 32),
                 condition=edges.condition.__class__("canny", opened.sketch_layer().id, {}))
    opened.add_layer(kept)
    session.set_document(opened)
    assert session.current_condition is kept  # the opened document's condition layer
    assert shown[-2:] == [None, kept]


def test_without_an_updater_a_session_still_records_undo_steps(qapp):
    document = Document.with_sketch_layer(16, 16)
    session = Session(document, registry=default_registry())
    assert session.updater is None
    assert session.registry is not None
    session.edits.set_visible(document.sketch_layer(), False)
    session.undo.undo()
    assert document.sketch_layer().visible
    assert np.array_equal(document.sketch_layer().pixels, blank_pixels(16, 16))
