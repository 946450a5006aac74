"""Where everything sits in the main window, laid out as painters' apps are (Krita, GIMP,
Photoshop), and remembered between launches.

- Left edge: the tool box, icon-only tools with their shortcut in the tooltip, the brush and
  background colour swatches at its foot.
- Top row: undo and redo; the current tool's options (Size, Hardness… for the brush and the
  eraser, Tolerance for Fill); on the right Generate, Live, the condition overlay with its
  opacity, and Compare with its split (shown while comparing).
- Right column: Generate (scrolls when shorter than its controls), Layers, Queue tabbed with
  Image history; left column, narrower: Preview, Condition, History. On a screen less than
  960 px high Layers moves to the top of the left column (``screen_fit.py``).
- The window never opens larger than its screen's available area (``screen_fit.py``).

The dock layout and the window's geometry are saved in ``window.ini`` in the data folder when
the window closes and restored at the next launch; View → Reset layout brings the first one
back.

The main window hands over what it built: the docks (:class:`Docks`) and the top row's actions
when it makes the :class:`WindowLayout`, the tools and their options (:class:`Arrangement`)
once its controllers exist.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QObject, QRect, QSettings, QSize, Qt
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QToolBar,
    QToolButton,
    QWidget,
)

from t2ia_desktop.core.paths import data_dir
from t2ia_desktop.session.tool_state import MAX_BRUSH_SIZE, MIN_BRUSH_SIZE, ToolState
from t2ia_desktop.ui.canvas.compare_view import CompareView
from t2ia_desktop.ui.common.tool_icons import tool_icon
from t2ia_desktop.ui.common.wheel_guard import scroll_panel_with_wheel
from t2ia_desktop.ui.tools.options_bar import ToolOptionsBar
from t2ia_desktop.ui.window.screen_fit import (
    COMPACT,
    REGULAR,
    arrange_columns,
    first_geometry,
    fitted,
    is_compact,
    set_frame_geometry,
    too_wide,
)

log = logging.getLogger(__name__)

STATE_FILE = "window.ini"
STATE_VERSION = 1
"""Raised when the docks or toolbars change so much that an old saved layout no longer fits."""
ICON_SIZE = QSize(24, 24)
TOOL_ICONS = {"brush": "brush", "eraser": "eraser", "fill": "fill", "picker": "picker",
              "rect_select": "rect_select", "lasso": "lasso", "transform": "transform",
              "generation_area": "generation_area"}
"""The tool box's tools, top to bottom, and their icons."""


@dataclass(frozen=True)
class Docks:
    """The window's docks: the right column (Generate, Layers, Queue) and the left one
    (Preview, Condition, History), top to bottom."""

    generate: QDockWidget
    layers: QDockWidget
    queue: QDockWidget
    preview: QDockWidget
    condition: QDockWidget
    history: QDockWidget

    @property
    def right(self) -> list[QDockWidget]:
        return [self.generate, self.layers, self.queue]

    @property
    def left(self) -> list[QDockWidget]:
        return [self.preview, self.condition, self.history]


@dataclass(frozen=True)
class Arrangement:
    """What :meth:`WindowLayout.arrange` places, made by controllers built after the layout."""

    tools: Mapping[str, QAction]
    """The tool box's actions by tool (the keys of :data:`TOOL_ICONS`)."""
    options_bar: ToolOptionsBar
    """The current tool's options; its colour buttons go to the foot of the tool box."""
    swap_colors_action: QAction
    view_menu: QMenu
    """Gets View → Reset layout."""
    compare: CompareView | None = None
    """Its action and split slider join the top row's right end."""
    image_history_dock: QDockWidget | None = None


def state_path() -> Path:
    return data_dir() / STATE_FILE


class PanelScroll(QScrollArea):
    """A scroll area for a dock's panel: shorter than the panel when it must, and (unless it
    scrolls sideways) never narrower than the panel's controls with the scroll bar."""

    def __init__(self, sideways: bool) -> None:
        super().__init__()
        self.sideways = sideways

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        widget = self.widget()
        if self.sideways or widget is None:
            return hint
        width = (widget.minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width()
                 + 2 * self.frameWidth())
        return QSize(max(hint.width(), width), hint.height())


def scrolling(widget: QWidget, sideways: bool = False) -> QScrollArea:
    """``widget`` in a scroll area, so its dock may be shorter (``sideways``: and narrower)
    than its controls."""
    area = PanelScroll(sideways)
    area.setObjectName(f"{widget.objectName() or 'panel'}_scroll")
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    if not sideways:
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(widget)
    scroll_panel_with_wheel(area)  # an unfocused slider under the wheel scrolls the panel
    return area


def shortcut_text(action: QAction) -> str:
    return ", ".join(key.toString(QKeySequence.SequenceFormat.NativeText)
                     for key in action.shortcuts()[:2])


def show_value(widget: QSpinBox | QSlider, value: int) -> None:
    """Show ``value`` in ``widget`` without sending it back to the model it came from."""
    if widget.value() != value:
        widget.blockSignals(True)
        widget.setValue(value)
        widget.blockSignals(False)


def spacer(horizontal: bool = True) -> QWidget:
    """An empty widget that takes a toolbar's spare room, pushing what follows to its end."""
    widget = QWidget()
    widget.setObjectName("toolbar_spacer")
    expanding, preferred = QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred
    widget.setSizePolicy(expanding if horizontal else preferred,
                         preferred if horizontal else expanding)
    return widget


class ColorSwatches(QWidget):
    """Brush colour over background colour, overlapping as in painters' apps, and the swap
    button in the free corner; the buttons are the tool options bar's."""

    SIDE = 26
    """Each swatch's side; they overlap by half."""

    def __init__(self, brush: QToolButton, background: QToolButton, swap: QToolButton) -> None:
        super().__init__()
        self.setObjectName("color_swatches")
        side, offset = self.SIDE, self.SIDE // 2
        self.setFixedSize(side + offset, side + offset + 2)
        for button, x, y in ((background, offset, offset + 2), (brush, 0, 2)):
            button.setParent(self)
            button.setAutoRaise(True)
            button.setIconSize(QSize(side - 4, side - 4))
            button.setGeometry(x, y, side, side)
        swap.setParent(self)
        swap.setAutoRaise(True)
        swap.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        swap.setIconSize(QSize(offset - 1, offset - 1))
        swap.setGeometry(side, 0, offset, offset + 1)
        brush.raise_()


class WindowLayout(QObject):
    """Builds the window's toolbars, places its docks, and saves and restores the layout.

    Made in two steps: the constructor builds the top toolbars (controllers made later add
    their actions to ``tools_toolbar``), :meth:`arrange` places everything once the window's
    parts all exist."""

    def __init__(self, window: QMainWindow, tool_state: ToolState, docks: Docks, *,
                 undo_action: QAction, redo_action: QAction, generate_action: QAction,
                 overlay_action: QAction, say: Callable[[str], None],
                 path: Path | None = None) -> None:
        """Lays out ``window``: its ``docks``; undo, redo, Generate and the condition overlay
        in the top row with the brush size and overlay opacity of ``tool_state``. ``say``
        confirms View → Reset layout; ``path`` is the saved layout's file."""
        super().__init__(window)
        self.window = window
        self.tool_state = tool_state
        self.docks = docks
        self.overlay_action = overlay_action
        self.say = say
        self.path = path or state_path()
        self.default_state = QByteArray()
        self.restored = False
        """Whether the last session's layout was put back (then the default sizes are not)."""
        self._sized = False
        self.available = QRect(0, 0, 1920, 1080)
        """The screen area the window was fitted to (set by :meth:`fit_to_screen`)."""
        self.compact = False
        """Whether the docks take the compact arrangement (a screen under 960 px high)."""
        self.columns = [*docks.right, *docks.left]
        """The docks :attr:`sizes` gives heights to, right column first, top to bottom."""
        window.setIconSize(ICON_SIZE)
        self.edit_toolbar = self._toolbar("Undo and redo", "edit_toolbar")
        self.edit_toolbar.addAction(undo_action)
        self.edit_toolbar.addAction(redo_action)
        undo_action.setIcon(tool_icon("undo"))
        redo_action.setIcon(tool_icon("redo"))
        self._build_size(tool_state)
        self._build_overlay_slider(tool_state)
        self.tools_toolbar = self._toolbar("Generate", "tools_toolbar")
        """Generate and the view toggles, on the right of the top row (the last toolbar on a
        row takes its spare room; the spacer pushes them right)."""
        self.tools_toolbar.addWidget(spacer())
        self.tools_toolbar.addAction(generate_action)
        button = self.tools_toolbar.widgetForAction(generate_action)
        if button is not None:
            font = QFont(button.font())
            font.setBold(True)
            button.setFont(font)
        self.toolbox = QToolBar("Tool box", window)
        self.toolbox.setObjectName("toolbox")
        self.toolbox.setMovable(False)
        self.toolbox.setIconSize(ICON_SIZE)
        self.toolbox.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        window.addToolBar(Qt.ToolBarArea.LeftToolBarArea, self.toolbox)
        self.reset_action = QAction("Reset layout", window)
        self.reset_action.setToolTip("Put the panels and toolbars back where they were at the "
                                     "first launch")
        self.reset_action.setStatusTip(self.reset_action.toolTip())
        self.reset_action.triggered.connect(self.reset)

    # -- building ---------------------------------------------------------------------------------
    def _toolbar(self, title: str, name: str) -> QToolBar:
        toolbar = QToolBar(title, self.window)
        toolbar.setObjectName(name)
        toolbar.setMovable(False)
        toolbar.setIconSize(ICON_SIZE)
        self.window.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        return toolbar

    def _build_size(self, state: ToolState) -> None:
        tip = "Brush size in canvas pixels ([ smaller, ] larger)"
        self.size_label = QLabel(" Size ")
        self.size_label.setToolTip(tip)
        self.size_spin = QSpinBox()
        """The brush size, in the options of the brush and the eraser."""
        self.size_spin.setRange(MIN_BRUSH_SIZE, MAX_BRUSH_SIZE)
        self.size_spin.setSuffix(" px")
        self.size_spin.setToolTip(tip)
        self.size_slider = QSlider(Qt.Orientation.Horizontal)
        """The brush size again, beside :attr:`size_spin`."""
        self.size_slider.setRange(MIN_BRUSH_SIZE, MAX_BRUSH_SIZE)
        self.size_slider.setFixedWidth(90)
        self.size_slider.setToolTip(tip)
        for widget in (self.size_spin, self.size_slider):
            widget.setValue(state.brush_size)
            widget.valueChanged.connect(state.set_brush_size)
            widget.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        state.brush_size_changed.connect(self._show_brush_size)

    def _show_brush_size(self, size: int) -> None:
        for widget in (self.size_spin, self.size_slider):
            show_value(widget, size)

    def _build_overlay_slider(self, state: ToolState) -> None:
        slider = self.overlay_slider = QSlider(Qt.Orientation.Horizontal)
        """The condition overlay's opacity, beside its toggle in the top row."""
        slider.setRange(0, 100)
        slider.setValue(round(state.overlay_opacity * 100))
        slider.setFixedWidth(70)
        slider.setToolTip("Opacity of the condition overlay over the canvas")
        slider.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        slider.valueChanged.connect(lambda value: state.set_overlay_opacity(value / 100))
        state.overlay_opacity_changed.connect(self._show_overlay_opacity)

    def _show_overlay_opacity(self, opacity: float) -> None:
        show_value(self.overlay_slider, round(opacity * 100))

    def arrange(self, parts: Arrangement) -> None:
        """Place the tools, the options and the docks; then restore the saved layout."""
        window = self.window
        self._fill_toolbox(parts)
        self._fill_options(parts.options_bar)
        self._fill_tools_toolbar(parts.compare)
        # The row's order: undo and redo, the tool's options, then Generate & co on the right.
        for toolbar in (self.edit_toolbar, parts.options_bar, self.tools_toolbar):
            window.removeToolBar(toolbar)
            window.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
            toolbar.show()
        parts.view_menu.addSeparator()
        parts.view_menu.addAction(self.reset_action)
        window.installEventFilter(self)
        self.fit_to_screen()
        self.restore()

    def _fill_toolbox(self, parts: Arrangement) -> None:
        for tool, icon in TOOL_ICONS.items():
            action = parts.tools[tool]
            action.setIcon(tool_icon(icon))
            name = action.text().replace("&", "")
            keys = shortcut_text(action)
            title = f"{name} ({keys})" if keys else name
            action.setToolTip(f"{title}\n{action.statusTip()}" if action.statusTip() else title)
            self.toolbox.addAction(action)
        self.toolbox.addWidget(spacer(horizontal=False))
        bar = parts.options_bar
        parts.swap_colors_action.setIcon(tool_icon("swap"))
        self.swatches = ColorSwatches(bar.color_button, bar.background_button, bar.swap_button)
        self.toolbox.addWidget(self.swatches)

    def _fill_options(self, bar: ToolOptionsBar) -> None:
        first = bar.actions()[0] if bar.actions() else None
        brush_tools = frozenset({"brush", "eraser"})
        for widget in (self.size_label, self.size_spin, self.size_slider):
            bar.option_tools[bar.insertWidget(first, widget)] = brush_tools
        bar.show_for(self.tool_state.tool)

    def _fill_tools_toolbar(self, compare: CompareView | None) -> None:
        window, toolbar = self.window, self.tools_toolbar
        toolbar.addSeparator()
        self.overlay_action.setIcon(tool_icon("overlay"))
        toolbar.addAction(self.overlay_action)
        toolbar.addWidget(self.overlay_slider)
        if compare is None:
            return
        compare.action.setIcon(tool_icon("compare"))
        toolbar.addSeparator()
        toolbar.addAction(compare.action)
        # The split slider moves here with its own toolbar action; its old bar goes away.
        old = compare.toolbar
        for action in old.actions():
            widget = old.widgetForAction(action)
            old.removeAction(action)
            if widget is compare.slider:
                toolbar.addAction(action)
                compare.slider.setFixedWidth(80)
                action.setVisible(compare.action.isChecked())
                compare.action.toggled.connect(action.setVisible)  # shown while comparing
        window.removeToolBar(old)

    # -- sizes ------------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self.window and event.type() == QEvent.Type.Show and not self._sized):
            self._sized = True
            if not self.restored:
                self.apply_default_sizes()
            else:
                self.fit_restored()
        return False

    @property
    def sizes(self):
        """The first sizes of the arrangement in use (regular or compact)."""
        return COMPACT if self.compact else REGULAR

    def fit_to_screen(self, available: QRect | None = None) -> None:
        """The first window on a screen whose free area is ``available`` (the window's
        screen when None): at most that area, maximised when the first size does not fit,
        the docks arranged for its height. Reset layout comes back to this arrangement."""
        window = self.window
        on_screen = available is None
        if available is None:
            available = window.screen().availableGeometry()
        self.available = QRect(available)
        geometry, maximise = first_geometry(available)
        set_frame_geometry(window, geometry)
        if maximise and on_screen:
            window.setWindowState(window.windowState() | Qt.WindowState.WindowMaximized)
        self.compact = is_compact(available)
        self.columns = arrange_columns(window, self.docks.right, self.docks.left, self.compact)
        self.default_state = window.saveState(STATE_VERSION)
        if window.isVisible():
            self.apply_default_sizes()

    def apply_default_sizes(self) -> None:
        """Docks at their first sizes: the right column split 38/30/32 %, the left narrower
        (compact: see ``screen_fit.COMPACT``)."""
        window, sizes = self.window, self.sizes
        height = max(window.centralWidget().height(), 400)
        right, left = (self.columns[:len(sizes.right_shares)],
                       self.columns[len(sizes.right_shares):])
        for column, shares in ((right, sizes.right_shares), (left, sizes.left_shares)):
            window.resizeDocks(column, [round(height * share) for share in shares],
                               Qt.Orientation.Vertical)
        self.reset_widths()

    def reset_widths(self) -> None:
        sizes = self.sizes
        self.window.resizeDocks([self.columns[0], self.columns[-1]],
                                [sizes.right_width, sizes.left_width],
                                Qt.Orientation.Horizontal)

    def fit_restored(self) -> None:
        """A restored window inside its screen's free area; columns that a long message once
        widened back at their first widths. A window saved larger than this screen (the last
        session ran on a bigger monitor) gets this screen's first dock arrangement: the
        saved one was made for more room."""
        window, available = self.window, self.available
        if not window.isMaximized() and not window.isFullScreen():
            frame = window.frameGeometry()
            inside = fitted(frame, available)
            if inside != frame:
                set_frame_geometry(window, inside)
            if inside.size() != frame.size():
                log.info("The saved window (%dx%d) is larger than this screen: docks at "
                         "their first places", frame.width(), frame.height())
                window.restoreState(self.default_state, STATE_VERSION)
                self.apply_default_sizes()
                return
        sizes = self.sizes
        widths = (self.columns[0].width(), self.columns[-1].width())
        if any(too_wide(width, first) for width, first in
               zip(widths, (sizes.right_width, sizes.left_width), strict=True)):
            self.reset_widths()

    def reset(self) -> None:
        """View → Reset layout: every dock and toolbar back where the first launch had it."""
        window = self.window
        if not self.default_state.isEmpty():
            window.restoreState(self.default_state, STATE_VERSION)
        for dock in window.findChildren(QDockWidget):
            if dock.isFloating():
                dock.setFloating(False)
        self.docks.queue.raise_()
        self.apply_default_sizes()
        self.say("Layout reset: panels and toolbars are back in their first places.")

    # -- saving -----------------------------------------------------------------------------------
    def _settings(self) -> QSettings:
        return QSettings(str(self.path), QSettings.Format.IniFormat)

    def save(self) -> None:
        """Write the dock layout and the window's geometry (when the window closes)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            log.warning("Cannot save the window layout in %s: %s", self.path, error)
            return
        settings = self._settings()
        settings.setValue("version", STATE_VERSION)
        settings.setValue("geometry", self.window.saveGeometry())
        settings.setValue("state", self.window.saveState(STATE_VERSION))
        settings.sync()
        if settings.status() != QSettings.Status.NoError:
            log.warning("Cannot save the window layout in %s", self.path)

    def restore(self) -> bool:
        """Put back the layout saved last time; False (and the default layout) when there is
        none, or it comes from another layout version or cannot be read."""
        if not self.path.is_file():
            return False
        settings = self._settings()
        state, geometry = settings.value("state"), settings.value("geometry")
        if not isinstance(state, QByteArray) or settings.value("version") not in (
                STATE_VERSION, str(STATE_VERSION)):
            log.info("The saved window layout in %s does not fit this version: using the "
                     "default one", self.path)
            return False
        if isinstance(geometry, QByteArray):
            self.window.restoreGeometry(geometry)
        self.restored = self.window.restoreState(state, STATE_VERSION)
        if not self.restored:
            log.warning("The saved window layout in %s is damaged: using the default one",
                        self.path)
        return self.restored
