"""The generation area's window actions: the *Generation area* tool (A) beside the painting
tools, View → Show generation area and Dim outside it, Generate → Generation area: whole canvas,
and Generate → Generation area size with the sizes the models were trained at, centred.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from t2ia_desktop.core.document.generation_area import GenerationArea, centered
from t2ia_desktop.core.undo.area_command import SetGenerationArea
from t2ia_desktop.session.edits import DocumentEdits
from t2ia_desktop.session.tool_state import ToolState
from t2ia_desktop.ui.canvas.generation_area import TOOL, AreaFrame
from t2ia_desktop.ui.canvas.view import CanvasView
from t2ia_desktop.ui.dialogs.new_document import PRESETS


class GenerationAreaActions(QObject):
    """Builds the frame on ``canvas`` (registered as its ``area`` tool) and its actions, and
    puts them in the window's menus; the tool joins the tool box's ``tool_group``; changes go
    through ``edits``, and ``say`` shows a hint in the status bar."""

    def __init__(self, window: QMainWindow, canvas: CanvasView, tool_state: ToolState,
                 edits: DocumentEdits, tool_group: QActionGroup | None,
                 say: Callable[[str], None]) -> None:
        super().__init__(window)
        self.window = window
        self.canvas, self.edits, self.say = canvas, edits, say
        self.frame = AreaFrame(canvas, tool_state, edits)
        canvas.add_tool(TOOL, self.frame)
        self.frame.message.connect(say)

        self.tool_action = self._action(
            "Generation area", "Move and resize the frame a generation fills: drag inside it, "
            "drag its handles, or drag a new one", "A", lambda: tool_state.set_tool(TOOL))
        self.tool_action.setCheckable(True)
        if tool_group is not None:
            tool_group.addAction(self.tool_action)
        tool_state.tool_changed.connect(
            lambda tool: self.tool_action.setChecked(True) if tool == TOOL else None)

        self.show_action = self._action(
            "Show generation area", "Draw the generation area's frame on the canvas", "",
            None)
        self.show_action.setCheckable(True)
        self.show_action.setChecked(self.frame.shown)
        self.show_action.toggled.connect(self.frame.set_shown)
        self.dim_action = self._action(
            "Dim outside generation area", "Darken the canvas outside the generation area", "",
            None)
        self.dim_action.setCheckable(True)
        self.dim_action.setChecked(self.frame.dim_outside)
        self.dim_action.toggled.connect(self.frame.set_dim_outside)

        self.whole_action = self._action(
            "Generation area: whole canvas", "Generate over the whole canvas again (it then "
            "follows canvas resizes)", "", lambda: self.set_area(None))
        self.size_menu = QMenu("Generation area size", window)
        self.size_menu.setToolTipsVisible(True)
        self.size_menu.aboutToShow.connect(self._update_sizes)
        self.size_actions: dict[tuple[int, int], QAction] = {}
        for width, height, words in PRESETS:
            action = self.size_menu.addAction(f"{width} × {height}  ({words})")
            action.setObjectName(f"area_{width}x{height}")
            action.setToolTip(f"A {width} × {height} generation area in the middle of the "
                              "canvas")
            action.triggered.connect(lambda _=False, size=(width, height): self.set_size(size))
            self.size_actions[(width, height)] = action
        self._install()

    def _action(self, text: str, tip: str, shortcut: str,
                slot: Callable[[], object] | None) -> QAction:
        action = QAction(text, self.window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(f"{tip} ({shortcut})" if shortcut else tip)
        action.setStatusTip(tip)
        if slot is not None:
            action.triggered.connect(slot)
        self.window.addAction(action)  # the shortcut works wherever the focus is
        return action

    def _install(self) -> None:
        window = self.window
        tools_menu = self._menu("&Tools")
        if tools_menu is not None:
            tools_menu.addAction(self.tool_action)
        view_menu = getattr(window, "view_menu", None)
        if view_menu is not None:
            view_menu.addSeparator()
            view_menu.addAction(self.show_action)
            view_menu.addAction(self.dim_action)
        generate_menu = getattr(window, "generate_menu", None)
        if generate_menu is not None:
            generate_menu.addSeparator()
            generate_menu.addAction(self.whole_action)
            generate_menu.addMenu(self.size_menu)

    def _menu(self, title: str) -> QMenu | None:
        for action in self.window.menuBar().actions():
            if action.text() == title and action.menu() is not None:
                return action.menu()
        return None

    def _update_sizes(self) -> None:
        """Sizes larger than the canvas are greyed out."""
        document = self.canvas.document
        for (width, height), action in self.size_actions.items():
            action.setEnabled(width <= document.width and height <= document.height)

    # -- changes --------------------------------------------------------------------------------
    def set_area(self, area: GenerationArea | None) -> None:
        """Set the generation area as one undo step (None: the whole canvas)."""
        self.canvas.end_stroke()
        if self.edits.push(SetGenerationArea(area)):
            shown = self.canvas.document.generation_area
            self.say(f"Generation area {shown.label()} at {shown.x}, {shown.y}")

    def set_size(self, size: tuple[int, int]) -> None:
        """A generation area of ``size`` in the middle of the canvas."""
        document = self.canvas.document
        if size[0] > document.width or size[1] > document.height:
            self.say(
                f"The canvas ({document.width} × {document.height}) is smaller than "
                f"{size[0]} × {size[1]}: enlarge it (Image → Canvas size…) first.")
            return
        self.set_area(centered(size, document.width, document.height))
