"""The canvas: real mouse strokes ink the sketch layer's alpha; the view follows the document."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPointF

from t2ia_desktop.core.document.document import Document, sketch_control_image
from t2ia_desktop.session.session import Session
from t2ia_desktop.session.tool_state import MAX_BRUSH_SIZE, MIN_BRUSH_SIZE, ToolState
from t2ia_desktop.ui.canvas.view import PAPER_MARGIN, CanvasView
from tests.builders import widget_point
from tests.ui.helpers import drag, shown_canvas


@pytest.fixture
def canvas(qtbot, document: Document, tool_state: ToolState) -> CanvasView:
    return shown_canvas(qtbot, document, tool_state)


def luminance(canvas: CanvasView, x: int, y: int) -> int:
    return canvas.composite_image().pixelColor(x, y).value()


def test_brush_stroke_inks_alpha_where_drawn_and_nowhere_else(canvas, document, tool_state):
    sketch = document.sketch_layer()
    changes = []
    document.pixels_changed.connect(lambda layer, rect: changes.append((layer, rect)))
    tool_state.set_brush_size(8)

    drag(canvas, [widget_point(canvas, x, 96) for x in (40, 80, 120, 160)])

    alpha = sketch.pixels[..., 3]
    assert alpha[96, 40:161].min() == 255
    assert alpha[93:100, 100].min() == 255  # the stroke is about 8 px thick
    assert alpha[:90].max() == 0
    assert alpha[103:].max() == 0
    assert alpha[:, :34].max() == 0
    assert alpha[:, 167:].max() == 0
    assert sketch.pixels[96, 100, :3].max() < 60  # dark ink, so it reads on white paper
    assert changes
    assert all(layer is sketch for layer, _rect in changes)
    x0 = min(rect[0] for _layer, rect in changes)
    x1 = max(rect[0] + rect[2] for _layer, rect in changes)
    assert x0 <= 36
    assert x1 >= 164
    assert all(rect[2] < 100 for _layer, rect in changes)  # ...segment by segment
    assert luminance(canvas, 100, 96) < 60
    assert luminance(canvas, 100, 20) == 255


def test_a_click_leaves_a_round_dot(canvas, document, tool_state):
    tool_state.set_brush_size(10)
    drag(canvas, [widget_point(canvas, 50, 50)])
    alpha = document.sketch_layer().pixels[..., 3]
    assert alpha[50, 50] == 255
    assert alpha[50, 46] > 0
    assert alpha[46, 50] > 0
    assert alpha[44:57, 44:57].sum() < alpha[44:57, 44:57].size * 255  # round, not square
    assert alpha[:, 60:].max() == 0


def test_eraser_removes_ink_under_it_only(canvas, document, tool_state):
    alpha = document.sketch_layer().pixels[..., 3]
    drag(canvas, [widget_point(canvas, x, 96) for x in (40, 100, 160)])
    tool_state.set_tool("eraser")
    tool_state.set_brush_size(20)

    drag(canvas, [widget_point(canvas, 100, 60), widget_point(canvas, 100, 130)])

    assert alpha[80:112, 95:106].max() == 0
    assert alpha[96, 40:85].min() == 255
    assert alpha[96, 115:161].min() == 255
    assert luminance(canvas, 100, 96) == 255
    assert luminance(canvas, 60, 96) < 60


def test_control_image_is_white_strokes_on_black(canvas, document):
    drag(canvas, [widget_point(canvas, 30, 30), widget_point(canvas, 200, 150)])
    control = np.array(sketch_control_image(document.sketch_layer()))
    assert control[30, 30] == 255
    assert control[150, 30] == 0
    assert control.shape == (document.height, document.width)


def test_hidden_sketch_is_not_painted_and_the_artist_is_told(qtbot, canvas, document):
    sketch = document.sketch_layer()
    document.set_visible(sketch, False)
    with qtbot.waitSignal(canvas.message) as blocker:
        drag(canvas, [widget_point(canvas, 40, 40), widget_point(canvas, 120, 40)])
    assert sketch.is_blank()
    assert "hidden" in blocker.args[0]


def test_view_follows_visibility_and_new_layers(canvas, document):
    sketch = document.sketch_layer()
    drag(canvas, [widget_point(canvas, 40, 96), widget_point(canvas, 160, 96)])
    document.set_visible(sketch, False)
    assert luminance(canvas, 100, 96) == 255
    document.set_visible(sketch, True)
    assert luminance(canvas, 100, 96) < 60

    red = Image.new("RGB", (document.width, document.height), (200, 0, 0))
    document.add_result(red)
    assert canvas.composite_image().pixelColor(10, 10).red() == 200
    document.remove_layer(document.layers[-1])
    assert luminance(canvas, 10, 10) == 255


def test_document_keeps_its_aspect_and_is_centred(canvas, document):
    canvas.resize(600, 300)
    paper = canvas.paper_rect()
    assert canvas.scale() == pytest.approx((300 - 2 * PAPER_MARGIN) / document.height)
    assert paper.height() == pytest.approx(300 - 2 * PAPER_MARGIN)
    assert paper.width() / paper.height() == pytest.approx(document.width / document.height)
    assert paper.center().x() == pytest.approx(300)
    point = canvas.to_document(canvas.from_document(QPointF(17, 33)))
    assert (point.x(), point.y()) == pytest.approx((17, 33))


def test_brush_size_is_clamped_and_steps_with_its_size(canvas, tool_state):
    tool_state.set_brush_size(0)
    assert tool_state.brush_size == MIN_BRUSH_SIZE
    tool_state.set_brush_size(10_000)
    assert tool_state.brush_size == MAX_BRUSH_SIZE
    tool_state.set_brush_size(100)
    tool_state.grow_brush()
    assert tool_state.brush_size == 110
    tool_state.shrink_brush()
    tool_state.shrink_brush()
    assert tool_state.brush_size < 100
    with pytest.raises(ValueError, match="unknown tool 'smudge'"):
        tool_state.set_tool("smudge")


def test_a_deleted_canvas_drops_its_document_connections(qtbot, document, tool_state):
    view = CanvasView(Session(document), tool_state)
    assert len(view.connections) == 4
    assert len(document.pixels_changed) == 1
    destroyed = []
    view.destroyed.connect(lambda *_: destroyed.append(True))
    view.deleteLater()
    qtbot.waitUntil(lambda: bool(destroyed))
    assert len(document.pixels_changed) == 0
    assert len(document.layer_added) == 0
    document.clear_layer(document.sketch_layer())  # nothing left to call a deleted widget


class RecordingTool:
    """A canvas tool that notes what the canvas sends it."""

    stroking = False

    def __init__(self, holds: bool = True) -> None:
        self.holds = holds
        self.calls: list[tuple[str, tuple[float, float] | None]] = []

    def press(self, pointer):
        self.calls.append(("press", (pointer.point.x(), pointer.point.y())))
        return self.holds

    def move(self, pointer):
        self.calls.append(("move", (pointer.point.x(), pointer.point.y())))

    def release(self, pointer):
        self.calls.append(("release", (pointer.point.x(), pointer.point.y())))

    def finish(self):
        self.calls.append(("finish", None))

    def cursor(self, _position):
        return None


def test_the_pointer_goes_to_the_current_tool_in_document_points(canvas, document, tool_state):
    lasso, picker = RecordingTool(), RecordingTool(holds=False)
    canvas.add_tool("lasso", lasso)
    canvas.add_tool("picker", picker)
    with pytest.raises(ValueError, match="unknown tool 'smudge'"):
        canvas.add_tool("smudge", RecordingTool())
    tool_state.set_tool("lasso")
    lasso.calls.clear()
    drag(canvas, [widget_point(canvas, 20, 30), widget_point(canvas, 40, 50)])
    assert [name for name, _point in lasso.calls] == ["press", "move", "release"]
    assert lasso.calls[0][1] == pytest.approx((20, 30), abs=0.5)
    assert lasso.calls[-1][1] == pytest.approx((40, 50), abs=0.5)
    assert not document.sketch_layer().pixels.any()  # the brush got nothing
    tool_state.set_tool("picker")  # a press it does not hold: no moves, no release
    picker.calls.clear()
    drag(canvas, [widget_point(canvas, 10, 10), widget_point(canvas, 30, 10)])
    assert [name for name, _point in picker.calls] == ["press"]
    assert ("finish", None) in lasso.calls  # changing tools finished what the lasso did
