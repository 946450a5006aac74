"""The tool options bar: brush and background colours, hardness, opacity, tablet pressure,
stroke smoothing and the fill tolerance, bound both ways to the
:class:`~t2ia_desktop.session.tool_state.ToolState`. It shows only the options of the current
tool; the colour swatches are placed by the window's tool box (``ui/window/layout.py``)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QLabel,
    QSlider,
    QSpinBox,
    QToolBar,
    QToolButton,
    QWidget,
)

from t2ia_desktop.session.tool_state import BRUSH_TOOLS, Rgb, ToolState

SWATCH = QSize(22, 22)


def swatch_icon(color: QColor | Rgb) -> QIcon:
    pixmap = QPixmap(SWATCH)
    pixmap.fill(color if isinstance(color, QColor) else QColor(*color))
    painter = QPainter(pixmap)
    painter.setPen(QColor(40, 40, 40))
    painter.drawRect(0, 0, SWATCH.width() - 1, SWATCH.height() - 1)
    painter.end()
    return QIcon(pixmap)


class ToolOptionsBar(QToolBar):
    """Widgets for the brush options and colours; they follow the tool state and it them."""

    def __init__(self, tool_state: ToolState, parent: QWidget | None = None) -> None:
        super().__init__("Tool options", parent)
        self.setObjectName("tool_options_toolbar")
        self.tool_state = state = tool_state
        self.choose_color: Callable[[QColor, str], QColor | None] = self._ask_color
        """Asks for a colour (None when cancelled); tests replace it."""
        self.option_tools: dict[QAction, frozenset[str]] = {}
        """Which tools each option (its toolbar action) belongs to; the others hide it."""
        self.color_button = self._swatch_button(
            "Brush colour: click to choose (I or Alt+click picks one from the canvas)",
            lambda: self._choose("brush"))
        self.background_button = self._swatch_button(
            "Background colour: click to choose; X swaps it with the brush colour",
            lambda: self._choose("background"))
        self.swap_button = QToolButton()
        self.swap_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        start = len(self.actions())
        self.addSeparator()
        self.hardness_slider = self._slider(
            "Hardness", "Hardness of the brush edge: 0 % soft, 100 % crisp", 0, 100,
            lambda value: state.set_option("hardness", value / 100))
        start = self._for_tools(start, BRUSH_TOOLS)
        self.opacity_slider = self._slider(
            "Opacity", "Most a stroke or a fill covers; strokes do not build up within one",
            1, 100, lambda value: state.set_option("opacity", value / 100))
        start = self._for_tools(start, BRUSH_TOOLS | {"fill"})
        self.addSeparator()
        self.addWidget(QLabel(" Pressure → "))
        self.pressure_size_check = self._check(
            "size", "A tablet pen's pressure scales the brush size",
            lambda on: state.set_option("pressure_size", on))
        self.pressure_opacity_check = self._check(
            "opacity", "A tablet pen's pressure scales the stroke opacity",
            lambda on: state.set_option("pressure_opacity", on))
        self.smoothing_slider = self._slider(
            "Smoothing", "Stroke smoothing: the line trails the pointer to steady a shaky hand",
            0, 95, lambda value: state.set_option("smoothing", value / 100))
        start = self._for_tools(start, BRUSH_TOOLS)
        self.addSeparator()
        label = QLabel(" Tolerance ")
        tip = "Fill tolerance: how far a colour may differ (0–255 per channel) and still fill"
        label.setToolTip(tip)
        self.addWidget(label)
        self.tolerance_spin = QSpinBox()
        self.tolerance_spin.setRange(0, 255)
        self.tolerance_spin.setToolTip(tip)
        self.tolerance_spin.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.tolerance_spin.valueChanged.connect(
            lambda value: state.set_option("fill_tolerance", value))
        self.addWidget(self.tolerance_spin)
        self._for_tools(start, frozenset({"fill"}))
        state.options_changed.connect(self.refresh)
        state.colors_changed.connect(self.refresh)
        state.tool_changed.connect(self.show_for)
        self.refresh()
        self.show_for(state.tool)

    # -- building -------------------------------------------------------------------------------
    def _swatch_button(self, tip: str, slot: Callable[[], None]) -> QToolButton:
        button = QToolButton()
        button.setToolTip(tip)
        button.setIconSize(SWATCH)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(slot)
        return button

    def _for_tools(self, start: int, tools: frozenset[str]) -> int:
        """The options added since action ``start`` belong to ``tools``; the next start."""
        for action in self.actions()[start:]:
            self.option_tools[action] = frozenset(tools)
        return len(self.actions())

    def show_for(self, tool: str) -> None:
        """Show the options that apply to ``tool`` (Size for the brush, Tolerance for Fill…)."""
        for action, tools in self.option_tools.items():
            action.setVisible(tool in tools)

    def _slider(self, text: str, tip: str, low: int, high: int,
                slot: Callable[[int], None]) -> QSlider:
        label = QLabel(f" {text} ")
        label.setToolTip(tip)
        self.addWidget(label)
        slider = QSlider(Qt.Orientation.Horizontal)
        slider.setRange(low, high)
        slider.setFixedWidth(90)
        slider.setToolTip(tip)
        slider.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        slider.valueChanged.connect(slot)
        self.addWidget(slider)
        return slider

    def _check(self, text: str, tip: str, slot: Callable[[bool], None]) -> QCheckBox:
        box = QCheckBox(text)
        box.setToolTip(tip)
        box.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        box.toggled.connect(slot)
        self.addWidget(box)
        return box

    # -- following the tool state ---------------------------------------------------------------
    def refresh(self) -> None:
        """Show the tool state's options and colours (without echoing them back)."""
        options = self.tool_state.options
        for widget, value in (
            (self.hardness_slider, round(options.hardness * 100)),
            (self.opacity_slider, round(options.opacity * 100)),
            (self.smoothing_slider, round(options.smoothing * 100)),
            (self.tolerance_spin, options.fill_tolerance),
            (self.pressure_size_check, options.pressure_size),
            (self.pressure_opacity_check, options.pressure_opacity),
        ):
            widget.blockSignals(True)
            if isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            else:
                widget.setValue(int(value))
            widget.blockSignals(False)
        self.color_button.setIcon(swatch_icon(self.tool_state.brush_color))
        self.background_button.setIcon(swatch_icon(self.tool_state.background_color))

    def _choose(self, which: str) -> None:
        state = self.tool_state
        current = state.brush_color if which == "brush" else state.background_color
        title = "Brush colour" if which == "brush" else "Background colour"
        color = self.choose_color(QColor(*current), title)
        if color is None or not color.isValid():
            return
        chosen = (color.red(), color.green(), color.blue())
        if which == "brush":
            state.set_brush_color(chosen)
        else:
            state.set_background_color(chosen)

    def _ask_color(self, current: QColor, title: str) -> QColor | None:
        color = QColorDialog.getColor(current, self, title)
        return color if color.isValid() else None
