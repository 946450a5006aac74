"""Flips and quarter turns as window actions (Layer → Transform) and the Transform tool's
options (angle, flip and turn buttons) in the tool options bar.

Each acts on the active layer's content, or on its selected pixels when there is a selection
(the selection moves with them): inside a transform in progress it changes the frame (Enter
applies), otherwise it is one undo step at once. Flips and quarter turns move whole pixels.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDoubleSpinBox, QLabel, QMenu, QWidget

from t2ia_desktop.ui.tools.transform import TransformTool

if TYPE_CHECKING:
    from t2ia_desktop.ui.tools.options_bar import ToolOptionsBar

TRANSFORM_ONLY = frozenset({"transform"})


class TransformActions(QObject):
    """Flip horizontally/vertically, rotate 90° either way and 180°, and the angle box."""

    def __init__(self, window: QWidget, tool: TransformTool) -> None:
        """``window`` holds the actions (their shortcuts work wherever its focus is)."""
        super().__init__(window)
        self.window = window
        self.tool = tool
        target = "the selected pixels (with a selection) or the selected layer's content"
        self.flip_horizontal_action = self._action(
            "Flip horizontally", "Flip ↔", f"Mirror {target} left to right",
            lambda: tool.flip(True))
        self.flip_vertical_action = self._action(
            "Flip vertically", "Flip ↕", f"Mirror {target} top to bottom", lambda: tool.flip(False))
        self.rotate_cw_action = self._action(
            "Rotate 90° clockwise", "↻ 90°", f"Turn {target} a quarter turn clockwise",
            lambda: tool.turn(1))
        self.rotate_ccw_action = self._action(
            "Rotate 90° anticlockwise", "↺ 90°", f"Turn {target} a quarter turn anticlockwise",
            lambda: tool.turn(-1))
        self.rotate_180_action = self._action(
            "Rotate 180°", "180°", f"Turn {target} upside down", lambda: tool.turn(2))
        self.actions = [self.flip_horizontal_action, self.flip_vertical_action,
                        self.rotate_cw_action, self.rotate_ccw_action, self.rotate_180_action]
        self.menu = QMenu("Trans&form", window)
        self.menu.setToolTipsVisible(True)
        for action in self.actions[:2]:
            self.menu.addAction(action)
        self.menu.addSeparator()
        for action in self.actions[2:]:
            self.menu.addAction(action)
        self.angle_spin = QDoubleSpinBox()
        self.angle_spin.setRange(-180.0, 180.0)
        self.angle_spin.setDecimals(1)
        self.angle_spin.setSuffix("°")
        self.angle_spin.setWrapping(True)
        self.angle_spin.setKeyboardTracking(False)  # typed: applies on Enter or leaving
        self.angle_spin.setToolTip("Rotation of the transform frame, clockwise (drag outside "
                                   "the frame to rotate by hand; Shift snaps to 15°)")
        self.angle_spin.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.angle_spin.valueChanged.connect(self._on_angle)
        tool.changed.connect(self._follow_tool)

    def _action(self, text: str, short: str, tip: str, slot: Callable[[], object]) -> QAction:
        """A command named ``text`` in menus and ``short`` on the tool options bar."""
        action = QAction(text, self.window)
        action.setIconText(short)
        action.setToolTip(f"{text}: {tip}")
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.window.addAction(action)
        return action

    def install(self, layer_menu: QMenu, options: ToolOptionsBar) -> None:
        """Layer → Transform submenu, and the transform options in the tool options bar."""
        layer_menu.addSeparator()
        layer_menu.addMenu(self.menu)
        start = len(options.actions())
        options.addSeparator()
        label = QLabel(" Angle ")
        label.setToolTip(self.angle_spin.toolTip())
        options.addWidget(label)
        options.addWidget(self.angle_spin)
        for action in self.actions:
            options.addAction(action)
        for action in options.actions()[start:]:
            options.option_tools[action] = TRANSFORM_ONLY
        options.show_for(options.tool_state.tool)

    def _on_angle(self, degrees: float) -> None:
        state = self.tool.tool_state
        if self.tool.session is None and state.tool != "transform":
            state.set_tool("transform")  # typing an angle starts the tool
        self.tool.set_angle(degrees)

    def _follow_tool(self) -> None:
        session = self.tool.session
        self.angle_spin.blockSignals(True)
        self.angle_spin.setValue(session.angle if session is not None else 0.0)
        self.angle_spin.blockSignals(False)
