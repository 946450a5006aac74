"""What the artist has chosen to paint with: the current tool, the brush size and options, the
colours, and the condition overlay's switch and opacity.

One :class:`ToolState` is shared by the canvas (which reads it to draw the brush ring and to
route the pointer to the current tool), the tools themselves, the tool box, the tool options
bar and the window's actions; each binds to its change signals, so none of them reads another
one's widgets. It is a plain QtCore model: no widgets, colours as ``(red, green, blue)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from PySide6.QtCore import QObject, Signal

Rgb = tuple[int, int, int]
"""An opaque colour, each channel 0..255."""

TOOLS: tuple[str, ...] = ("brush", "eraser", "fill", "picker", "rect_select", "lasso",
                          "transform", "area")
"""Every tool's name; ``area`` is the generation area's."""
BRUSH_TOOLS = frozenset({"brush", "eraser"})
"""The tools that paint with the brush (its size, hardness, smoothing; the canvas draws its
ring under the pointer)."""

MIN_BRUSH_SIZE = 1
MAX_BRUSH_SIZE = 400
DEFAULT_BRUSH_SIZE = 8
INK: Rgb = (24, 24, 28)
"""Near-black ink: the artist draws dark on white paper, the adapter reads the coverage."""
PAPER_WHITE: Rgb = (255, 255, 255)
CONTROL_INK: Rgb = (255, 255, 255)
"""Default colour on a condition layer: white lines on black, as edge and line maps are."""
OPTION_RANGES: dict[str, tuple[float, float]] = {
    "hardness": (0.0, 1.0), "opacity": (0.0, 1.0), "smoothing": (0.0, 0.95),
    "fill_tolerance": (0, 255),
}
"""Brush options with numbers, and their ranges (the others are on/off)."""
DEFAULT_OVERLAY_OPACITY = 0.6


@dataclass(frozen=True)
class BrushOptions:
    """The tool options the artist sets in the tool options bar."""

    hardness: float = 1.0  # 0 soft … 1 crisp edge
    opacity: float = 1.0  # the most one stroke (or fill) covers
    pressure_size: bool = True  # a tablet's pen pressure scales the size
    pressure_opacity: bool = False  # ... and/or the opacity
    smoothing: float = 0.0  # 0 none … 0.95 heavy lag behind the pointer
    fill_tolerance: int = 32  # 0..255 per channel


OPTION_NAMES = tuple(field.name for field in fields(BrushOptions))


def rgb(color: Sequence[int]) -> Rgb:
    """``color``'s red, green and blue (any alpha dropped), each clamped to 0..255."""
    if len(color) < 3:
        raise ValueError(f"a colour needs red, green and blue, not {tuple(color)!r}")
    red, green, blue = (max(0, min(255, int(channel))) for channel in color[:3])
    return red, green, blue


class ToolState(QObject):
    """The current tool, brush size, brush options, colours and condition overlay settings.

    Every property has a ``<name>_changed`` signal carrying its new value, sent only when the
    value changes; ``colors_changed`` and ``options_changed`` follow any colour or brush
    option change, for views that show several at once.
    """

    tool_changed = Signal(str)
    brush_size_changed = Signal(int)
    brush_color_changed = Signal(object)  # Rgb
    background_color_changed = Signal(object)  # Rgb
    control_color_changed = Signal(object)  # Rgb
    colors_changed = Signal()  # any of the three colours
    hardness_changed = Signal(float)
    opacity_changed = Signal(float)
    pressure_size_changed = Signal(bool)
    pressure_opacity_changed = Signal(bool)
    smoothing_changed = Signal(float)
    fill_tolerance_changed = Signal(int)
    options_changed = Signal()  # any brush option
    overlay_enabled_changed = Signal(bool)
    overlay_opacity_changed = Signal(float)

    def __init__(self, parent: QObject | None = None, *,
                 tools: Iterable[str] = TOOLS) -> None:
        super().__init__(parent)
        self.tools: tuple[str, ...] = tuple(tools)
        """The tools :meth:`set_tool` accepts."""
        self._tool = self.tools[0] if self.tools else ""
        self._brush_size = DEFAULT_BRUSH_SIZE
        self._brush_color = INK
        self._background_color = PAPER_WHITE
        self._control_color = CONTROL_INK
        self._options = BrushOptions()
        self._overlay_enabled = False
        self._overlay_opacity = DEFAULT_OVERLAY_OPACITY

    def _assign(self, name: str, value: Any) -> bool:
        """Set ``_<name>`` and send ``<name>_changed``; False when it was that already."""
        if getattr(self, f"_{name}") == value:
            return False
        setattr(self, f"_{name}", value)
        getattr(self, f"{name}_changed").emit(value)
        return True

    # -- the tool -----------------------------------------------------------------------------
    @property
    def tool(self) -> str:
        """The current tool's name (one of :attr:`tools`)."""
        return self._tool

    def set_tool(self, tool: str) -> None:
        if tool not in self.tools:
            raise ValueError(f"unknown tool {tool!r} (tools: {', '.join(self.tools)})")
        self._assign("tool", tool)

    # -- the brush size -----------------------------------------------------------------------
    @property
    def brush_size(self) -> int:
        """The brush's diameter in document pixels."""
        return self._brush_size

    def set_brush_size(self, size: float) -> None:
        """Clamped to :data:`MIN_BRUSH_SIZE` .. :data:`MAX_BRUSH_SIZE`."""
        self._assign("brush_size", max(MIN_BRUSH_SIZE, min(MAX_BRUSH_SIZE, int(size))))

    def grow_brush(self) -> None:
        """Larger brush, in steps of about a tenth of its size (the ] key)."""
        self.set_brush_size(self._brush_size + max(1, round(self._brush_size * 0.1)))

    def shrink_brush(self) -> None:
        """Smaller brush, in steps of about a tenth of its size (the [ key)."""
        self.set_brush_size(self._brush_size - max(1, round(self._brush_size * 0.1)))

    # -- colours ------------------------------------------------------------------------------
    @property
    def brush_color(self) -> Rgb:
        """The foreground colour: brush and fill."""
        return self._brush_color

    @property
    def background_color(self) -> Rgb:
        """The second colour, swapped with the foreground by X."""
        return self._background_color

    @property
    def control_color(self) -> Rgb:
        """What the brush and fill lay on a condition layer (picked from it with Alt+click)."""
        return self._control_color

    def set_brush_color(self, color: Sequence[int]) -> None:
        """The foreground colour (brush and fill); opaque."""
        if self._assign("brush_color", rgb(color)):
            self.colors_changed.emit()

    def set_background_color(self, color: Sequence[int]) -> None:
        if self._assign("background_color", rgb(color)):
            self.colors_changed.emit()

    def set_control_color(self, color: Sequence[int]) -> None:
        if self._assign("control_color", rgb(color)):
            self.colors_changed.emit()

    def swap_colors(self) -> None:
        """Foreground ↔ background (X, as in painters' apps)."""
        foreground, background = self._brush_color, self._background_color
        if self._assign("brush_color", background):
            self._assign("background_color", foreground)
            self.colors_changed.emit()

    # -- brush options ------------------------------------------------------------------------
    @property
    def options(self) -> BrushOptions:
        """Hardness, opacity, pressure, smoothing and fill tolerance (a snapshot)."""
        return self._options

    def set_option(self, name: str, value: Any) -> None:
        """Set one of :attr:`options` (numbers are clamped to their range)."""
        if name not in OPTION_NAMES:
            raise ValueError(f"unknown brush option {name!r}")
        if name in OPTION_RANGES:
            low, high = OPTION_RANGES[name]
            value = type(low)(max(low, min(high, value)))
        else:
            value = bool(value)
        if getattr(self._options, name) != value:
            self._options = replace(self._options, **{name: value})
            getattr(self, f"{name}_changed").emit(value)
            self.options_changed.emit()

    # -- the condition overlay ----------------------------------------------------------------
    @property
    def overlay_enabled(self) -> bool:
        """Whether the canvas draws the current condition layer over the picture (O)."""
        return self._overlay_enabled

    @property
    def overlay_opacity(self) -> float:
        return self._overlay_opacity

    def set_overlay_enabled(self, enabled: bool) -> None:
        self._assign("overlay_enabled", bool(enabled))

    def set_overlay_opacity(self, opacity: float) -> None:
        """Clamped to 0..1."""
        self._assign("overlay_opacity", max(0.0, min(1.0, float(opacity))))
