"""The caches below and above the active layer: built in idle slices ahead of the first press,
exact with blend modes, a press before they are ready still paints correctly, and other
layers' changes during a build reach them. Strokes are real mouse drags on the canvas."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QImage

from t2ia_desktop.core.document.document import Document, Layer, blank_pixels
from t2ia_desktop.session.tool_state import ToolState
from t2ia_desktop.ui.canvas.stroke_composite import StrokeComposite
from t2ia_desktop.ui.canvas.view import COMPOSITION_MODES, PAPER, PAPER_MARGIN, CanvasView
from tests.ui.helpers import drag, painting_canvas


@pytest.fixture
def stacked(document: Document) -> Document:
    """Five random translucent layers over the sketch; multiply and screen below the middle."""
    rng = np.random.default_rng(5)
    for index, mode in enumerate(("multiply", "normal", "screen", "normal", "normal")):
        layer = Layer(f"Paint {index}", "paint", blank_pixels(document.width, document.height),
                      opacity=0.5 + 0.1 * index, blend_mode=mode)
        layer.pixels[...] = rng.integers(0, 256, layer.pixels.shape, dtype=np.uint8)
        layer.pixels[..., 3] = np.where(rng.random(layer.pixels.shape[:2]) < 0.4, 0, 200)
        document.add_layer(layer)
    return document


@pytest.fixture
def canvas(qtbot, stacked: Document, tool_state: ToolState) -> CanvasView:
    view = painting_canvas(stacked, tool_state)
    qtbot.addWidget(view)
    view.resize(2 * stacked.width + 2 * PAPER_MARGIN, 2 * stacked.height + 2 * PAPER_MARGIN)
    view.show()
    qtbot.waitExposed(view)
    tool_state.set_brush_color((0, 180, 40))
    tool_state.set_option("hardness", 0.4)
    tool_state.set_brush_size(9)
    return view


class CachedDraws:
    """Counts the segments recomposited from the caches (the fast path)."""

    def __init__(self, caches: StrokeComposite) -> None:
        self.count = 0
        original = caches.recomposite

        def counted(*args) -> None:
            self.count += 1
            original(*args)

        caches.recomposite = counted


def pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    return np.frombuffer(image.constBits(), np.uint8).reshape(
        image.height(), image.width(), 4).astype(int)


def assert_matches_full_recomposite(canvas: CanvasView) -> None:
    shown = pixels(canvas.composite_image())
    canvas._recomposite(canvas.rect())  # every layer, bottom to top
    assert np.abs(shown - pixels(canvas.composite_image())).max() <= 1


def assert_caches_match_a_fresh_build(canvas: CanvasView) -> None:
    caches = canvas.stroke_composite
    assert caches.complete
    assert caches.key == caches.key_for(canvas.document)
    fresh = StrokeComposite(PAPER, COMPOSITION_MODES)
    fresh.schedule(canvas.document)
    fresh.finish()
    assert (pixels(caches.below) == pixels(fresh.below)).all()
    assert (pixels(caches.above) == pixels(fresh.above)).all()


def stroke(canvas: CanvasView, y: int) -> None:
    drag(canvas, [canvas.from_document(QPointF(x, y + x // 5)).toPoint()
                  for x in range(10, 180, 9)])


def wait_built(qtbot, canvas: CanvasView) -> None:
    qtbot.waitUntil(lambda: canvas.stroke_composite.complete, timeout=5000)


def test_caches_are_built_in_idle_slices_before_the_first_press(qtbot, canvas, stacked):
    canvas.stroke_composite.slice_seconds = 0.0001  # small bands: several slices
    stacked.make_active(stacked.layers[3])  # the artist picks a layer in the middle
    assert canvas.stroke_composite.building  # nothing built on the spot
    wait_built(qtbot, canvas)
    assert len(canvas.stroke_composite.slices) > 1
    assert_caches_match_a_fresh_build(canvas)
    fast = CachedDraws(canvas.stroke_composite)
    stroke(canvas, 40)
    assert fast.count > 10  # the very first stroke went the cached way
    assert stacked.layers[3].pixels[40:120, :, 3].any()
    assert_matches_full_recomposite(canvas)


def test_a_press_before_the_caches_are_ready_paints_correctly(qtbot, canvas, stacked):
    stacked.make_active(stacked.layers[4])
    fast = CachedDraws(canvas.stroke_composite)
    stroke(canvas, 30)  # no event loop ran: the build has not started
    assert fast.count == 0
    assert_matches_full_recomposite(canvas)
    wait_built(qtbot, canvas)  # it resumes once the stroke is over
    assert_caches_match_a_fresh_build(canvas)
    stroke(canvas, 90)
    assert fast.count > 10
    assert_matches_full_recomposite(canvas)


def test_the_build_waits_while_a_stroke_is_painted(qtbot, canvas, stacked):
    stacked.make_active(stacked.layers[4])
    caches = canvas.stroke_composite
    point = canvas.from_document(QPointF(20, 20)).toPoint()
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=point)
    qtbot.wait(120)  # idle time while the button is held
    assert caches.built_rows == 0
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=point)
    wait_built(qtbot, canvas)
    assert_caches_match_a_fresh_build(canvas)


def test_other_layers_changing_during_a_build_reach_the_caches(qtbot, canvas, stacked):
    caches = canvas.stroke_composite
    caches.slice_seconds = 0.0001
    stacked.make_active(stacked.layers[3])
    caches.build_slice()  # the first idle slice: a band at the top
    assert 0 < caches.built_rows < stacked.height - 20
    below, above = stacked.layers[1], stacked.layers[5]
    below.pixels[:20, :, :] = (200, 10, 10, 255)  # rows already built
    stacked.notify_pixels_changed(below, (0, 0, stacked.width, 20))
    above.pixels[-20:, :, :] = (10, 10, 200, 255)  # rows not built yet
    stacked.notify_pixels_changed(above, (0, stacked.height - 20, stacked.width, 20))
    wait_built(qtbot, canvas)
    assert_caches_match_a_fresh_build(canvas)
    caches.build_slice()
    stacked.set_opacity(stacked.layers[2], 0.3)  # the stack changes: the build starts over
    assert caches.building
    assert caches.key == caches.key_for(stacked)
    wait_built(qtbot, canvas)
    assert_caches_match_a_fresh_build(canvas)
    stroke(canvas, 60)
    assert_matches_full_recomposite(canvas)


def test_no_caches_when_a_layer_above_blends_otherwise(qtbot, canvas, stacked):
    stacked.set_blend_mode(stacked.layers[5], "multiply")
    stacked.make_active(stacked.layers[3])
    assert not canvas.stroke_composite.building
    assert canvas.stroke_composite.below is None
    fast = CachedDraws(canvas.stroke_composite)
    stroke(canvas, 50)
    assert fast.count == 0
    assert_matches_full_recomposite(canvas)
