"""Flattening: visible layers, bottom first, straight-alpha "over" with layer opacity."""

from __future__ import annotations

import numpy as np
from PIL import Image

from t2ia_desktop.core.document.composite import active_result, flatten
from t2ia_desktop.core.document.document import Document, Layer, blank_pixels
from t2ia_desktop.core.generation.request import GenerationRequest
from tests.builders import H, W, noise


def test_an_empty_document_flattens_to_transparent():
    image = flatten(Document(W, H))
    assert image.mode == "RGBA"
    assert image.size == (W, H)
    assert not np.asarray(image).any()


def test_one_layer_at_full_opacity_comes_out_bit_for_bit():
    doc = Document(W, H)
    layer = doc.add_layer(Layer("Paint", "paint", noise(1)))
    out = np.asarray(flatten(doc))
    visible = layer.pixels[..., 3] > 0
    assert np.array_equal(out[visible], layer.pixels[visible])
    assert not out[~visible].any()  # fully transparent pixels carry no colour


def test_hidden_and_zero_opacity_layers_do_not_count():
    doc = Document(W, H)
    base = doc.add_layer(Layer("Photo", "photo", noise(2, opaque=True)))
    doc.add_layer(Layer("Hidden", "paint", noise(3, opaque=True), visible=False))
    doc.add_layer(Layer("Clear", "paint", noise(4, opaque=True), opacity=0.0))
    assert np.array_equal(np.asarray(flatten(doc)), base.pixels)


def test_over_with_opacity_matches_the_formula():
    doc = Document(2, 1)
    bottom = blank_pixels(2, 1)
    bottom[0, 0] = (200, 0, 0, 255)
    bottom[0, 1] = (0, 0, 200, 128)
    top = blank_pixels(2, 1)
    top[0, :] = (0, 100, 0, 255)
    doc.add_layer(Layer("Bottom", "paint", bottom))
    doc.add_layer(Layer("Top", "paint", top, opacity=0.5))
    out = np.asarray(flatten(doc)).astype(int)
    assert out[0, 0].tolist() == [100, 50, 0, 255]
    # over a half-transparent pixel: alpha = .5 + (128/255)(.5); colour is the weighted mean
    a_bottom = 128 / 255
    alpha = 0.5 + a_bottom * 0.5
    expected = [0, round(100 * 0.5 / alpha), round(200 * a_bottom * 0.5 / alpha),
                round(alpha * 255)]
    assert np.abs(out[0, 1] - expected).max() <= 1


def test_active_result_prefers_the_active_layer_then_the_top_visible_one():
    doc = Document.with_sketch_layer(W, H)
    assert active_result(doc) is None
    request = GenerationRequest(model="demo", prompt="a")
    first = doc.add_result(Image.new("RGB", (W, H)), request)
    second = doc.add_result(Image.new("RGB", (W, H)), request.with_changes(seed=2))
    doc.add_result(Image.new("RGB", (W, H)))  # no request: never chosen
    assert active_result(doc) is second
    second.visible = False
    assert active_result(doc) is first
    first.visible = False
    assert active_result(doc) is second  # none visible: the topmost
    doc.active = first
    assert active_result(doc) is first


def reference_over(layers: list[Layer], width: int, height: int) -> np.ndarray:
    """The same compositing, pixel by pixel in float64, as the textbook writes it."""
    colour = np.zeros((height, width, 3))
    alpha = np.zeros((height, width, 1))
    for layer in layers:
        if not layer.visible:
            continue
        source_alpha = layer.pixels[..., 3:4] / 255 * layer.opacity
        colour = layer.pixels[..., :3] / 255 * source_alpha + colour * (1 - source_alpha)
        alpha = source_alpha + alpha * (1 - source_alpha)
    out = np.zeros((height, width, 4))
    np.divide(colour, alpha, out=out[..., :3], where=alpha > 0)
    out[..., :3] *= 255
    out[..., 3:] = alpha * 255
    return np.rint(out).astype(int)


def test_sparse_dense_and_opaque_layers_match_the_reference():
    doc = Document(W, H)
    doc.add_layer(Layer("Photo", "photo", noise(10, opaque=True), opacity=0.6))
    doc.add_layer(Layer("Opaque", "photo", noise(11, opaque=True)))  # hides the photo
    dense = noise(12)
    doc.add_layer(Layer("Dense", "paint", dense, opacity=0.8))
    sparse = blank_pixels(W, H)
    sparse[3:5, 7:20] = (250, 10, 10, 180)  # a stroke: the sparse path
    doc.add_layer(Layer("Sparse", "paint", sparse, opacity=0.9))
    out = np.asarray(flatten(doc)).astype(int)
    expected = reference_over(doc.layers, W, H)
    covered = expected[..., 3] > 0
    assert np.abs(out - expected)[covered].max() <= 1
    assert (out[..., 3] == 255).all()
