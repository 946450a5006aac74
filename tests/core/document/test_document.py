"""The document model: layers, results, the sketch control image, and its signals."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from t2ia_desktop.core.document.document import Document, Layer, blank_pixels, sketch_control_image
from t2ia_desktop.core.generation.request import GenerationRequest

W, H = 96, 64  # not square, so a swapped axis shows


def test_with_sketch_layer_has_one_blank_active_sketch_layer():
    doc = Document.with_sketch_layer(W, H)
    assert (doc.width, doc.height) == (W, H)
    assert len(doc.layers) == 1
    sketch = doc.layers[0]
    assert sketch.kind == "sketch"
    assert sketch.pixels.shape == (H, W, 4)
    assert sketch.pixels.dtype == np.uint8
    assert sketch.is_blank()
    assert doc.active is sketch
    assert doc.sketch_layer() is sketch


def test_add_result_puts_a_result_layer_on_top_with_the_request_and_canvas_size():
    doc = Document.with_sketch_layer(W, H)
    sketch = doc.layers[0]
    request = GenerationRequest(model="demo", prompt="boat", width=64, height=64)
    added: list[Layer] = []
    doc.layer_added.connect(added.append)

    result = doc.add_result(Image.new("RGB", (48, 32), (200, 10, 30)), request)

    assert doc.layers == [sketch, result]
    assert added == [result]
    assert result.kind == "result"
    assert result.request is request
    assert result.size == (W, H)
    assert result.pixels.shape == (H, W, 4)
    # the colour survives the resize and the result is opaque
    assert tuple(result.pixels[H // 2, W // 2]) == (200, 10, 30, 255)
    assert doc.active is sketch  # drawing continues on the sketch, not the result


def test_results_are_numbered_and_stack_upwards():
    doc = Document.with_sketch_layer(W, H)
    first = doc.add_result(Image.new("RGB", (W, H)))
    second = doc.add_result(Image.new("RGBA", (W, H)))
    assert [layer.name for layer in doc.layers[1:]] == ["Result 1", "Result 2"]
    assert doc.layers[-1] is second
    assert doc.layers[-2] is first
    assert first.request is None


def test_add_layer_of_the_wrong_size_is_refused():
    doc = Document.with_sketch_layer(W, H)
    with pytest.raises(ValueError, match="layer is .* document is"):
        doc.add_layer(Layer("Paint", "paint", blank_pixels(H, W)))
    assert len(doc.layers) == 1


def test_sketch_control_image_is_the_alpha_as_white_strokes_on_black():
    doc = Document.with_sketch_layer(W, H)
    sketch = doc.sketch_layer()
    assert sketch is not None
    sketch.pixels[10:20, 30:40] = (0, 0, 0, 255)  # dark ink, fully covered
    sketch.pixels[40, 5] = (20, 20, 20, 128)  # a soft edge keeps its coverage

    control = sketch_control_image(sketch)

    assert control.mode == "L"
    assert control.size == (W, H)
    values = np.asarray(control)
    assert (values[10:20, 30:40] == 255).all()
    assert values[40, 5] == 128
    untouched = np.ones((H, W), bool)
    untouched[10:20, 30:40] = False
    untouched[40, 5] = False
    assert (values[untouched] == 0).all()


def test_pixels_changed_fires_with_layer_and_rect():
    doc = Document.with_sketch_layer(W, H)
    sketch = doc.layers[0]
    seen: list[tuple] = []
    doc.pixels_changed.connect(lambda layer, rect: seen.append((layer, rect)))

    sketch.pixels[1:3, 1:3] = 255
    doc.notify_pixels_changed(sketch, (1, 1, 2, 2))
    doc.clear_layer(sketch)

    assert seen == [(sketch, (1, 1, 2, 2)), (sketch, (0, 0, W, H))]
    assert sketch.is_blank()


def test_remove_layer_and_visibility_signals():
    doc = Document.with_sketch_layer(W, H)
    sketch = doc.layers[0]
    result = doc.add_result(Image.new("RGB", (W, H)))
    removed: list[Layer] = []
    changed: list[Layer] = []
    doc.layer_removed.connect(removed.append)
    doc.layer_changed.connect(changed.append)

    doc.set_visible(result, False)
    doc.set_visible(result, False)  # no change, no signal
    doc.remove_layer(sketch)

    assert changed == [result]
    assert result.visible is False
    assert removed == [sketch]
    assert doc.layers == [result]
    assert doc.active is None  # no drawable layer left
