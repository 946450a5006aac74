"""What the canvas's painting tools do with a pointer in document coordinates: brush and eraser
strokes (hardness, opacity, tablet pressure, smoothing), the fill bucket and the colour picker.

Every change is one undo step through :class:`~t2ia_desktop.session.edits.DocumentEdits` (a stroke
records the tiles it touches; a fill the rectangle it changed). The pixel maths lives in
:mod:`t2ia_desktop.core.document.brush` and :mod:`t2ia_desktop.core.document.fill`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor

from t2ia_desktop.core.document.brush import BrushTip, Dab, Rect, Smoother, StrokePainter
from t2ia_desktop.core.document.document import Layer
from t2ia_desktop.core.document.fill import bounds, fill_area, lay_colour
from t2ia_desktop.core.document.small_pages import small_pages
from t2ia_desktop.session.edits import Stroke

if TYPE_CHECKING:
    from t2ia_desktop.ui.canvas.view import CanvasView

MIN_PRESSURE_SIZE = 0.05
"""The lightest touch still paints this fraction of the brush size."""
CONTROL_BLANK = QColor(0, 0, 0)
"""What the eraser leaves on a condition layer: black means "no control here"."""
MASK_WHITE = QColor(255, 255, 255)
"""What the brush and fill lay on a mask layer: white means "repaint here"."""


@dataclass
class BrushOptions:
    """The tool options the artist sets in the tool options bar."""

    hardness: float = 1.0  # 0 soft … 1 crisp edge
    opacity: float = 1.0  # the most one stroke (or fill) covers
    pressure_size: bool = True  # a tablet's pen pressure scales the size
    pressure_opacity: bool = False  # ... and/or the opacity
    smoothing: float = 0.0  # 0 none … 0.95 heavy lag behind the pointer
    fill_tolerance: int = 32  # 0..255 per channel


class ToolHandler:
    """Runs the canvas's current tool for pointer presses, moves and releases."""

    def __init__(self, canvas: CanvasView) -> None:
        self.canvas = canvas
        self.options = BrushOptions()
        self.layer: Layer | None = None
        self._recording: Stroke | None = None
        self._painter: StrokePainter | None = None
        self._smoother: Smoother | None = None
        self._last: Dab | None = None

    @property
    def stroking(self) -> bool:
        return self.layer is not None

    # -- pointer ------------------------------------------------------------------------------
    def press(self, point: QPointF, pressure: float | None = None) -> None:
        tool = self.canvas.tool
        if tool == "picker":
            self.canvas.pick_color(point)
            return
        layer = self.canvas.paint_target()
        if layer is None:
            return
        if tool == "fill":
            self.fill(layer, point)
            return
        verb = "Eraser" if tool == "eraser" else "Brush"
        self.layer = layer
        self._recording = self.canvas.edits.begin_stroke(layer, f"{verb} on {layer.name}")
        with small_pages():  # its full-layer scratch buffers: no huge-page faults mid-stroke
            self._painter = StrokePainter(layer.pixels, self._tip(layer))
        self._smoother = Smoother(self.options.smoothing)
        dab = self._smoother.follow(self._dab(point, pressure))
        self._last = dab
        self._paint(dab, dab)

    def move(self, point: QPointF, pressure: float | None = None) -> None:
        if self._last is None or self._smoother is None:
            return
        dab = self._smoother.follow(self._dab(point, pressure))
        self._paint(self._last, dab)
        self._last = dab

    def release(self, point: QPointF, pressure: float | None = None) -> None:
        if self._last is not None:
            end = self._dab(point, pressure if pressure is not None else None)
            if (end.x, end.y) != (self._last.x, self._last.y):
                self._paint(self._last, end)  # smoothing catches up with the pointer
        self.end_stroke()

    def end_stroke(self) -> None:
        """Finish the stroke being painted (its undo step is recorded)."""
        recording, self._recording = self._recording, None
        self._last = self._painter = self._smoother = None
        self.layer = None
        if recording is not None:
            self.canvas.edits.finish_stroke(recording)

    # -- strokes ------------------------------------------------------------------------------
    def _tip(self, layer: Layer) -> BrushTip:
        canvas, options = self.canvas, self.options
        erase = canvas.tool == "eraser"
        if layer.kind == "condition":  # a control image stays opaque: erase by painting black
            colour, erase = (CONTROL_BLANK if erase else canvas.control_color), False
        elif layer.kind == "mask":  # white marks where inpainting repaints
            colour = MASK_WHITE
        else:
            colour = canvas.brush_color
        return BrushTip(float(canvas.brush_size), colour.getRgb()[:3], options.hardness,
                        options.opacity, erase)

    def _dab(self, point: QPointF, pressure: float | None) -> Dab:
        size = opacity = 1.0
        if pressure is not None:
            pressure = min(1.0, max(0.0, pressure))
            if self.options.pressure_size:
                size = max(MIN_PRESSURE_SIZE, pressure)
            if self.options.pressure_opacity:
                opacity = pressure
        return Dab(point.x(), point.y(), size, opacity)

    def _paint(self, start: Dab, end: Dab) -> None:
        painter, layer = self._painter, self.layer
        if painter is None or layer is None:
            return
        rect = painter.segment_rect(start, end)
        if not rect[2] or not rect[3]:
            return
        if self._recording is not None:  # keep the tiles it is about to touch, for undo
            self._recording.before_paint(rect)
        outside = self._outside_selection(layer, rect)
        kept = None if outside is None else layer.pixels[rect[1]:rect[1] + rect[3],
                                                         rect[0]:rect[0] + rect[2]].copy()
        painter.paint(start, end)
        if outside is not None:  # strokes stay inside the selection
            patch = layer.pixels[rect[1]:rect[1] + rect[3], rect[0]:rect[0] + rect[2]]
            patch[outside] = kept[outside]
        self.canvas.document.notify_pixels_changed(layer, rect)

    def _outside_selection(self, layer: Layer, rect: Rect):
        """The unselected pixels of ``rect`` (None when nothing is selected: no clipping)."""
        selection = self.canvas.selection
        if selection is None or selection.is_empty() or selection.size != layer.size:
            return None
        return ~selection.clip(rect)

    # -- fill ---------------------------------------------------------------------------------
    def fill_colour(self, layer: Layer) -> QColor:
        """What the fill bucket lays on ``layer``: its control colour on a condition layer,
        white on a mask, else the brush colour."""
        if layer.kind == "condition":
            return self.canvas.control_color
        return MASK_WHITE if layer.kind == "mask" else self.canvas.brush_color

    def fill(self, layer: Layer, point: QPointF) -> bool:
        """Fill the contiguous area around ``point`` within the tolerance (one undo step)."""
        x, y = int(point.x()), int(point.y())
        document = self.canvas.document
        if not (0 <= x < document.width and 0 <= y < document.height):
            return False
        clipped = self._outside_selection(layer, (0, 0, *layer.size)) is not None
        if clipped and not self.canvas.selection.mask[y, x]:
            self.canvas.message.emit("That spot is outside the selection: fill inside it, or "
                                     "deselect (Ctrl+D).")
            return False
        area = fill_area(layer.pixels, x, y, int(self.options.fill_tolerance))
        if clipped:
            area &= self.canvas.selection.mask  # fills stay inside the selection
        left, top, w, h = rect = bounds(area)
        colour = self.fill_colour(layer)
        recording = self.canvas.edits.begin_stroke(layer, f"Fill on {layer.name}")
        recording.before_paint(rect)
        lay_colour(layer.pixels[top:top + h, left:left + w], area[top:top + h, left:left + w],
                   colour.getRgb()[:3], self.options.opacity)
        document.notify_pixels_changed(layer, rect)
        return self.canvas.edits.finish_stroke(recording)
