"""The canvas's painting tools and view as window actions: the brush, eraser, fill and picker
tools registered with the canvas, Fill (G) and Picker (I) beside Brush and Eraser, Swap colours
(X), zoom in/out (+ / -), Fit (Ctrl+0 or 0), 100 % (Ctrl+1 or 1), rotate 15° left/right and
reset (rotation by hand: R+drag), the tool options bar, and the zoom shown in the status bar.
Tools and colours are the window's :class:`~t2ia_desktop.session.tool_state.ToolState`.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu

from t2ia_desktop.session.tool_state import ToolState
from t2ia_desktop.ui.canvas.view import CanvasView
from t2ia_desktop.ui.tools.options_bar import ToolOptionsBar
from t2ia_desktop.ui.tools.painting import painting_tools


class CanvasActions(QObject):
    """Builds the actions and puts them in the window's menus, toolbars and status bar;
    Fill and Picker join the tool box's ``tool_group``."""

    def __init__(self, window: QMainWindow, canvas: CanvasView, tool_state: ToolState,
                 tool_group: QActionGroup | None) -> None:
        super().__init__(window)
        self.window = window
        self.canvas = canvas
        state = self.tool_state = tool_state
        self.painting_tools = painting_tools(canvas, state)
        """Brush, eraser, fill and picker, by tool name."""
        for name, tool in self.painting_tools.items():
            canvas.add_tool(name, tool)
        self.fill_action = self._action(
            "Fill", "Fill the area of similar colour under the click with the brush colour "
            "(tolerance in the tool options)", ["G"], lambda: state.set_tool("fill"))
        self.picker_action = self._action(
            "Colour picker", "Take the brush colour from the canvas (Alt+click with any tool)",
            ["I"], lambda: state.set_tool("picker"))
        self.tool_actions = {"fill": self.fill_action, "picker": self.picker_action}
        for action in self.tool_actions.values():
            action.setCheckable(True)
            if tool_group is not None:
                tool_group.addAction(action)
        state.tool_changed.connect(self._on_tool_changed)
        self.swap_colors_action = self._action(
            "Swap colours", "Swap the brush colour and the background colour", ["X"],
            state.swap_colors)

        self.zoom_in_action = self._action(
            "Zoom in", "Zoom in (Ctrl+wheel zooms around the cursor)",
            ["+", "=", "Ctrl++", "Ctrl+="], canvas.zoom_in)
        self.zoom_out_action = self._action("Zoom out", "Zoom out", ["-", "Ctrl+-"],
                                            canvas.zoom_out)
        self.fit_action = self._action("Fit on screen", "Show the whole canvas",
                                       ["Ctrl+0", "0"], canvas.fit)
        self.actual_size_action = self._action(
            "Actual pixels (100 %)", "One canvas pixel per screen pixel", ["Ctrl+1", "1"],
            canvas.actual_size)
        self.rotate_left_action = self._action(
            "Rotate view left", "Turn the view 15° anticlockwise (or hold R and drag)",
            ["Ctrl+["], canvas.rotate_left)
        self.rotate_right_action = self._action(
            "Rotate view right", "Turn the view 15° clockwise (or hold R and drag)",
            ["Ctrl+]"], canvas.rotate_right)
        self.reset_rotation_action = self._action(
            "Reset rotation", "Turn the view back upright", ["Ctrl+Shift+0"],
            canvas.reset_rotation)
        self.view_actions = [
            self.zoom_in_action, self.zoom_out_action, self.fit_action, self.actual_size_action,
            None, self.rotate_left_action, self.rotate_right_action, self.reset_rotation_action,
        ]

        self.zoom_label = QLabel()
        self.zoom_label.setObjectName("zoom_label")
        self.zoom_label.setToolTip("Zoom (Ctrl+wheel, + and -; Fit: Ctrl+0; 100 %: Ctrl+1); "
                                   "pan: Space+drag, the middle button or the wheel")
        canvas.view_changed.connect(self._on_view_changed)
        self._on_view_changed(canvas.view.zoom)

        self.options_bar = ToolOptionsBar(state, window)
        """Placed on the top row by ``ui/window/layout.py``; Fill and Picker go in its tool box."""
        self.options_bar.swap_button.setDefaultAction(self.swap_colors_action)
        self._install()

    def _action(self, text: str, tip: str, shortcuts: list[str],
                slot: Callable[[], object]) -> QAction:
        action = QAction(text, self.window)
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
        keys = ", ".join(QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText)
                         for s in shortcuts[:2])
        action.setToolTip(f"{tip} ({keys})" if keys else tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.window.addAction(action)  # shortcuts work wherever the focus is in the window
        return action

    def _install(self) -> None:
        window = self.window
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.options_bar)
        window.statusBar().addPermanentWidget(self.zoom_label)
        tools_menu = self._menu("&Tools")
        if tools_menu is not None:
            tools_menu.addSeparator()
            for action in (self.fill_action, self.picker_action, self.swap_colors_action):
                tools_menu.addAction(action)
        view_menu = getattr(window, "view_menu", None) or self._menu("&View")
        if view_menu is not None:
            first = view_menu.actions()[0] if view_menu.actions() else None
            for action in self.view_actions:
                if action is None:
                    view_menu.insertSeparator(first)
                else:
                    view_menu.insertAction(first, action)
            view_menu.insertSeparator(first)

    def _menu(self, title: str) -> QMenu | None:
        for action in self.window.menuBar().actions():
            if action.text() == title and action.menu() is not None:
                return action.menu()
        return None

    def _on_tool_changed(self, tool: str) -> None:
        action = self.tool_actions.get(tool)
        if action is not None:
            action.setChecked(True)

    def _on_view_changed(self, zoom: float) -> None:
        rotation = self.canvas.view.rotation
        text = f"{zoom * 100:.0f} %" if zoom >= 0.1 else f"{zoom * 100:.1f} %"
        if rotation:
            text += f"  {rotation:+.0f}°"
        self.zoom_label.setText(text)
