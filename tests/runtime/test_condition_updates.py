"""Condition layers follow their source layers through the real detectors."""

from __future__ import annotations

import numpy as np
import pytest

from t2ia_desktop.core.conditions.registry import default_registry
from t2ia_desktop.core.document.document import Document, Layer, blank_pixels
from t2ia_desktop.runtime.condition_updates import ConditionUpdater
from t2ia_desktop.runtime.previews import PreviewScheduler, registry_detect_factory
from t2ia_desktop.session.edits import DocumentEdits
from tests.builders import add_condition

W, H = 160, 120


@pytest.fixture
def updater(qapp):
    document = Document(W, H)
    photo = np.full((H, W, 4), 255, np.uint8)
    document.add_layer(Layer("Photo", "photo", photo))
    scheduler = PreviewScheduler()
    bound = ConditionUpdater(document, default_registry(), scheduler)
    yield bound
    bound.disconnect_document()
    scheduler.shutdown()


def paint_square(document: Document, layer: Layer, x: int) -> None:
    layer.pixels[30:90, x:x + 50, :3] = 0
    document.notify_pixels_changed(layer, (x, 30, 50, 60))


def wait_for_update(qtbot, document, layer):
    with qtbot.waitSignal(document.pixels_changed, timeout=60_000,
                          check_params_cb=lambda changed, rect: changed is layer):
        pass


def test_a_new_condition_layer_is_detected_from_its_source(qtbot, updater):
    document = updater.document
    photo = document.layers[0]
    paint_square(document, photo, 20)
    with qtbot.waitSignal(document.pixels_changed, timeout=60_000,
                          check_params_cb=lambda layer, rect: layer.kind == "condition"):
        edges = add_condition(updater, "canny", photo, {"low_threshold": 50})
    assert document.layers.index(edges) == document.layers.index(photo) + 1
    assert edges.condition.source_id == photo.id
    assert edges.condition.params["low_threshold"] == 50
    assert edges.pixels[..., :3].max() > 0
    assert edges.pixels[..., 3].min() == 255
    assert document.controls()[0].condition == "canny"


def test_a_stroke_on_the_source_updates_the_control_image(qtbot, updater):
    document = updater.document
    photo = document.layers[0]
    paint_square(document, photo, 20)
    edges = add_condition(updater, "canny", photo)
    wait_for_update(qtbot, document, edges)
    before = edges.pixels.copy()
    paint_square(document, photo, 100)  # a new shape on the right
    wait_for_update(qtbot, document, edges)
    assert edges.pixels[:, 100:, :3].max() > 0
    assert not np.array_equal(before, edges.pixels)


def test_hand_painting_detaches_until_redetect(qtbot, updater):
    document = updater.document
    photo = document.layers[0]
    edges = add_condition(updater, "canny", photo)
    wait_for_update(qtbot, document, edges)
    edges.pixels[0:10, 0:10, :3] = 255  # the artist fixes the control image by hand
    document.notify_pixels_changed(edges, (0, 0, 10, 10))
    assert edges.condition.detached
    paint_square(document, photo, 40)
    qtbot.wait(400)  # longer than any debounce: nothing may be scheduled for a detached layer
    assert updater.scheduler.runs[edges.id] == 1
    assert edges.pixels[0:10, 0:10, :3].min() == 255
    updater.redetect(edges)
    wait_for_update(qtbot, document, edges)
    assert not edges.condition.detached
    assert edges.pixels[0:10, 0:10, :3].max() == 0


def test_parameters_are_checked_and_re_detect(qtbot, updater):
    document = updater.document
    photo = document.layers[0]
    paint_square(document, photo, 20)
    edges = add_condition(updater, "canny", photo)
    wait_for_update(qtbot, document, edges)
    edits = DocumentEdits(updater.document, None, updater)
    with pytest.raises(Exception, match="high_threshold must be at most 255"):
        edits.set_params(edges, high_threshold=400)
    edits.set_params(edges, low_threshold=10, high_threshold=20)
    wait_for_update(qtbot, document, edges)
    assert edges.condition.params["high_threshold"] == 20


def test_a_detector_error_is_shown_on_its_layer_only(qtbot, updater, monkeypatch, tmp_path):
    monkeypatch.setenv("T2IA_ANNOTATORS", str(tmp_path))  # no lineart weights there
    document = updater.document
    photo = document.layers[0]
    with qtbot.waitSignal(document.layer_changed, timeout=60_000,
                          check_params_cb=lambda layer: bool(layer.condition
                                                             and layer.condition.error)):
        lines = add_condition(updater, "lineart", photo)
    assert "sk_model.pth" in lines.condition.error
    edges = add_condition(updater, "canny", photo)
    wait_for_update(qtbot, document, edges)
    assert edges.condition.error == ""
    assert [c.condition for c in document.controls()] == ["canny"]  # the failed one is blank


def test_detectors_read_the_annotators_folder_they_are_given_at_each_run(qtbot, tmp_path):
    """As the app wires them: a changed folder setting applies to the next detection, with no
    environment variable in between."""
    folders = [tmp_path / "first"]
    document = Document(W, H)
    photo = document.add_layer(Layer("Photo", "photo", np.full((H, W, 4), 255, np.uint8)))
    scheduler = PreviewScheduler(registry_detect_factory(default_registry(),
                                                         lambda: folders[-1]))
    bound = ConditionUpdater(document, default_registry(), scheduler)
    try:
        with qtbot.waitSignal(document.layer_changed, timeout=60_000,
                              check_params_cb=lambda layer: bool(layer.condition
                                                                 and layer.condition.error)):
            lines = add_condition(bound, "lineart", photo)
        assert str(tmp_path / "first") in lines.condition.error
        folders.append(tmp_path / "second")
        with qtbot.waitSignal(document.layer_changed, timeout=60_000,
                              check_params_cb=lambda layer: bool(
                                  layer.condition and "second" in layer.condition.error)):
            bound.redetect(lines)
        assert str(tmp_path / "second") in lines.condition.error
    finally:
        bound.disconnect_document()
        scheduler.shutdown()


def test_removing_the_source_is_reported_on_redetect(qtbot, updater):
    document = updater.document
    photo = document.layers[0]
    edges = add_condition(updater, "canny", photo)
    wait_for_update(qtbot, document, edges)
    document.remove_layer(photo)
    updater.redetect(edges)
    assert "source layer was deleted" in edges.condition.error


def test_sketch_layers_are_controls_too(qapp):
    document = Document.with_sketch_layer(32, 32)
    sketch = document.sketch_layer()
    assert document.controls() == ()  # blank sketch: no control
    sketch.pixels[5:8, :, 3] = 255
    (control,) = document.controls()
    assert control.condition == "sketch"
    assert np.array(control.image)[6, 0] == 255
    sketch.condition.enabled = False
    assert document.controls() == ()
    assert blank_pixels(2, 3).shape == (3, 2, 4)


def test_the_edge_of_a_fitted_photo_is_not_an_edge(qtbot, qapp):
    document = Document(W, H)
    photo = np.zeros((H, W, 4), np.uint8)
    photo[20:100, :, :3] = 30  # a dark picture fitted with transparent bands above and below
    photo[20:100, :, 3] = 255
    photo[40:80, 60:100, :3] = 220  # one bright square inside it
    layer = document.add_layer(Layer("Photo", "photo", photo))
    scheduler = PreviewScheduler()
    updater = ConditionUpdater(document, default_registry(), scheduler)
    try:
        edges = add_condition(updater, "canny", layer, {"low_threshold": 50})
        wait_for_update(qtbot, document, edges)
        found = edges.pixels[..., 0]
        assert found[:24].max() == 0
        assert found[96:].max() == 0
        assert found[38:82, 58:102].max() > 0  # the square's edges are there
    finally:
        updater.disconnect_document()
        scheduler.shutdown()
