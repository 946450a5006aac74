"""The painting tools: brush and eraser strokes (hardness, opacity, tablet pressure, smoothing),
the fill bucket and the colour picker: canvas tools
(:class:`~t2ia_desktop.ui.common.canvas_tool.CanvasTool`) that read the tool state
(:class:`~t2ia_desktop.session.tool_state.ToolState`: size, options, colours).

Every change is one undo step through :class:`~t2ia_desktop.session.edits.DocumentEdits` (a stroke
records the tiles it touches; a fill the rectangle it changed). The pixel maths lives in
:mod:`t2ia_desktop.core.document.brush` and :mod:`t2ia_desktop.core.document.fill`. Strokes and
fills stay inside the document's selection when it is not empty. Alt+click with any of these
tools picks a colour.

Painting on a condition layer (to fix a pose map, say) puts opaque colour on it: white by
default, any colour picked from it with Alt+click; the eraser paints black, the "nothing here"
of a control image. On a mask layer the brush and fill lay white, "repaint here".
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, Qt

from t2ia_desktop.core.document.brush import BrushTip, Dab, Rect, Smoother, StrokePainter
from t2ia_desktop.core.document.document import Layer
from t2ia_desktop.core.document.fill import bounds, fill_area, lay_colour
from t2ia_desktop.core.document.selection import document_selection
from t2ia_desktop.core.document.small_pages import small_pages
from t2ia_desktop.session.edits import Stroke
from t2ia_desktop.session.tool_state import Rgb, ToolState
from t2ia_desktop.ui.common.canvas_tool import CanvasSurface, CanvasTool, Cursor, Pointer

MIN_PRESSURE_SIZE = 0.05
"""The lightest touch still paints this fraction of the brush size."""
CONTROL_BLANK: Rgb = (0, 0, 0)
"""What the eraser leaves on a condition layer: black means "no control here"."""
MASK_WHITE: Rgb = (255, 255, 255)
"""What the brush and fill lay on a mask layer: white means "repaint here"."""
PAINTABLE_KINDS = ("sketch", "paint", "photo", "condition", "mask")


def paint_target(surface: CanvasSurface) -> Layer | None:
    """The layer the tools paint on now, or None (and a hint for the artist why not)."""
    document, say = surface.document, surface.message.emit
    layer = document.active
    if layer is None or layer.kind not in PAINTABLE_KINDS:
        say("There is no sketch layer to draw on.")
        return None
    if layer.locked:
        say(f"“{layer.name}” is locked: unlock it in Layers to paint on it.")
        return None
    if layer.kind == "condition":
        if not (layer.visible or surface.overlay_showing(layer)):
            say(f"“{layer.name}” is hidden: turn on the condition overlay (O) or show it in "
                "Layers to paint on it.")
            return None
        return layer
    if not layer.visible:
        say(f"“{layer.name}” is hidden: show it in Layers to draw on it.")
        return None
    above = document.layers[document.layers.index(layer) + 1 :]
    covering = [other.name for other in above if other.visible and other.kind == "result"]
    if covering:
        say(f"Your strokes are under “{covering[-1]}”: hide it in Layers to see them.")
    return layer


def fill_colour(layer: Layer, tool_state: ToolState) -> Rgb:
    """What the fill bucket lays on ``layer``: the control colour on a condition layer, white
    on a mask, else the brush colour."""
    if layer.kind == "condition":
        return tool_state.control_color
    return MASK_WHITE if layer.kind == "mask" else tool_state.brush_color


def outside_selection(surface: CanvasSurface, layer: Layer, rect: Rect) -> np.ndarray | None:
    """The unselected pixels of ``rect`` (None when nothing is selected: no clipping)."""
    selection = document_selection(surface.document)
    if selection.is_empty() or selection.size != layer.size:
        return None
    return ~selection.clip(rect)


class _PaintingTool:
    """What the painting tools share: Alt+click picks a colour; no cursor of their own."""

    stroking = False

    def __init__(self, surface: CanvasSurface, tool_state: ToolState) -> None:
        self.surface = surface
        self.tool_state = tool_state

    def press(self, pointer: Pointer) -> bool:
        if pointer.modifiers & Qt.KeyboardModifier.AltModifier:
            pick_colour(self.surface, self.tool_state, pointer.point)
            return False
        return self.use(pointer)

    def use(self, pointer: Pointer) -> bool:
        """A press without Alt; True when a stroke began."""
        raise NotImplementedError

    def move(self, pointer: Pointer) -> None:
        pass

    def release(self, pointer: Pointer) -> None:
        pass

    def finish(self) -> None:
        pass

    def cursor(self, _position: QPointF) -> Cursor | None:
        return None


def pick_colour(surface: CanvasSurface, tool_state: ToolState, point: QPointF) -> None:
    """The picker (I) or Alt+click: the colour under the cursor, as shown, becomes the brush
    colour; on a condition layer being painted, its own colour becomes its brush's."""
    x, y = math.floor(point.x()), math.floor(point.y())
    document = surface.document
    if not (0 <= x < document.width and 0 <= y < document.height):
        return
    layer = document.active
    if layer is not None and layer.kind == "condition":
        red, green, blue = (int(v) for v in layer.pixels[y, x, :3])
        tool_state.set_control_color((red, green, blue))
        surface.message.emit(f"Brush colour picked from “{layer.name}”: {red}, {green}, {blue}.")
        return
    red, green, blue = surface.shown_color(x, y)
    tool_state.set_brush_color((red, green, blue))
    surface.message.emit(f"Brush colour picked: {red}, {green}, {blue}.")


class ColourPicker(_PaintingTool):
    """The colour picker (I): a click takes the colour under it."""

    def use(self, pointer: Pointer) -> bool:
        pick_colour(self.surface, self.tool_state, pointer.point)
        return False


class FillTool(_PaintingTool):
    """The fill bucket (G): fills the contiguous area of similar colour under a click."""

    def use(self, pointer: Pointer) -> bool:
        layer = paint_target(self.surface)
        if layer is not None:
            self.fill(layer, pointer.point)
        return False

    def fill(self, layer: Layer, point: QPointF) -> bool:
        """Fill the contiguous area around ``point`` within the tolerance (one undo step)."""
        x, y = int(point.x()), int(point.y())
        surface, options = self.surface, self.tool_state.options
        document = surface.document
        if not (0 <= x < document.width and 0 <= y < document.height):
            return False
        selection = document_selection(document)
        clipped = outside_selection(surface, layer, (0, 0, *layer.size)) is not None
        if clipped and not selection.mask[y, x]:
            surface.message.emit("That spot is outside the selection: fill inside it, or "
                                 "deselect (Ctrl+D).")
            return False
        area = fill_area(layer.pixels, x, y, int(options.fill_tolerance))
        if clipped:
            area &= selection.mask  # fills stay inside the selection
        left, top, w, h = rect = bounds(area)
        recording = surface.edits.begin_stroke(layer, f"Fill on {layer.name}")
        recording.before_paint(rect)
        lay_colour(layer.pixels[top:top + h, left:left + w], area[top:top + h, left:left + w],
                   fill_colour(layer, self.tool_state), options.opacity)
        document.notify_pixels_changed(layer, rect)
        return surface.edits.finish_stroke(recording)


class BrushTool(_PaintingTool):
    """The brush (B), or the eraser (E) when ``erase``: strokes of the tool state's size,
    colour and options."""

    def __init__(self, surface: CanvasSurface, tool_state: ToolState, *,
                 erase: bool = False) -> None:
        super().__init__(surface, tool_state)
        self.erase = erase
        self.layer: Layer | None = None
        self._recording: Stroke | None = None
        self._painter: StrokePainter | None = None
        self._smoother: Smoother | None = None
        self._last: Dab | None = None

    @property
    def stroking(self) -> bool:
        return self.layer is not None

    # -- pointer ------------------------------------------------------------------------------
    def use(self, pointer: Pointer) -> bool:
        layer = paint_target(self.surface)
        if layer is None:
            return False
        verb = "Eraser" if self.erase else "Brush"
        self.layer = layer
        self._recording = self.surface.edits.begin_stroke(layer, f"{verb} on {layer.name}")
        with small_pages():  # its full-layer scratch buffers: no huge-page faults mid-stroke
            self._painter = StrokePainter(layer.pixels, self._tip(layer))
        self._smoother = Smoother(self.tool_state.options.smoothing)
        dab = self._smoother.follow(self._dab(pointer))
        self._last = dab
        self._paint(dab, dab)
        return True

    def move(self, pointer: Pointer) -> None:
        if self._last is None or self._smoother is None:
            return
        dab = self._smoother.follow(self._dab(pointer))
        self._paint(self._last, dab)
        self._last = dab

    def release(self, pointer: Pointer) -> None:
        if self._last is not None:
            end = self._dab(pointer)
            if (end.x, end.y) != (self._last.x, self._last.y):
                self._paint(self._last, end)  # smoothing catches up with the pointer
        self.finish()

    def finish(self) -> None:
        """Finish the stroke being painted (its undo step is recorded)."""
        recording, self._recording = self._recording, None
        self._last = self._painter = self._smoother = None
        self.layer = None
        if recording is not None:
            self.surface.edits.finish_stroke(recording)

    # -- strokes ------------------------------------------------------------------------------
    def _tip(self, layer: Layer) -> BrushTip:
        state, erase = self.tool_state, self.erase
        options = state.options
        if layer.kind == "condition":  # a control image stays opaque: erase by painting black
            colour, erase = (CONTROL_BLANK if erase else state.control_color), False
        elif layer.kind == "mask":  # white marks where inpainting repaints
            colour = MASK_WHITE
        else:
            colour = state.brush_color
        return BrushTip(float(state.brush_size), colour, options.hardness, options.opacity,
                        erase)

    def _dab(self, pointer: Pointer) -> Dab:
        size = opacity = 1.0
        pressure, options = pointer.pressure, self.tool_state.options
        if pressure is not None:
            pressure = min(1.0, max(0.0, pressure))
            if options.pressure_size:
                size = max(MIN_PRESSURE_SIZE, pressure)
            if options.pressure_opacity:
                opacity = pressure
        return Dab(pointer.point.x(), pointer.point.y(), size, opacity)

    def _paint(self, start: Dab, end: Dab) -> None:
        painter, layer = self._painter, self.layer
        if painter is None or layer is None:
            return
        rect = painter.segment_rect(start, end)
        if not rect[2] or not rect[3]:
            return
        if self._recording is not None:  # keep the tiles it is about to touch, for undo
            self._recording.before_paint(rect)
        outside = outside_selection(self.surface, layer, rect)
        kept = None if outside is None else layer.pixels[rect[1]:rect[1] + rect[3],
                                                         rect[0]:rect[0] + rect[2]].copy()
        painter.paint(start, end)
        if outside is not None:  # strokes stay inside the selection
            patch = layer.pixels[rect[1]:rect[1] + rect[3], rect[0]:rect[0] + rect[2]]
            patch[outside] = kept[outside]
        self.surface.document.notify_pixels_changed(layer, rect)


def painting_tools(surface: CanvasSurface, tool_state: ToolState) -> dict[str, CanvasTool]:
    """Brush, eraser, fill and picker for ``surface``, by tool name (for ``add_tool``)."""
    return {
        "brush": BrushTool(surface, tool_state),
        "eraser": BrushTool(surface, tool_state, erase=True),
        "fill": FillTool(surface, tool_state),
        "picker": ColourPicker(surface, tool_state),
    }
