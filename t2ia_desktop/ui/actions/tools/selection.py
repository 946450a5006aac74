"""The window's Select menu and the selection and transform tools as actions: Rectangle
selection (M), Lasso (L), Transform (Ctrl+T, V), Select all (Ctrl+A), Deselect (Ctrl+D,
Ctrl+Shift+A), Invert (Ctrl+Shift+I) (each selection change is an undo step named in the
History panel), Selection → inpaint mask, Clear selected area (Delete on the canvas) and Fill
selection (Shift+Backspace).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.session.tool_state import ToolState
from t2ia_desktop.ui.canvas.view import CanvasView
from t2ia_desktop.ui.tools.selection import SelectionTools
from t2ia_desktop.ui.tools.transform import TransformTool

if TYPE_CHECKING:
    from t2ia_desktop.ui.generate.panel import GeneratePanel


class SelectionActions(QObject):
    """Builds the selection and transform tools, registers them with ``canvas``, and makes
    their actions in ``window``'s menus (the tools join the tool box's ``tool_group``). A
    selection made the inpaint mask switches ``generate_panel`` to Inpaint; ``say`` shows a
    hint in the status bar."""

    def __init__(self, window: QMainWindow, canvas: CanvasView, tool_state: ToolState,
                 tool_group: QActionGroup | None, generate_panel: GeneratePanel,
                 say: Callable[[str], None]) -> None:
        super().__init__(window)
        self.window = window
        self.generate_panel = generate_panel
        state = tool_state
        self.tools = SelectionTools(canvas, state, self)
        self.transform = TransformTool(canvas, state, self)
        for name, tool in self.tools.canvas_tools().items():
            canvas.add_tool(name, tool)
        canvas.add_tool("transform", self.transform)
        self.tools.message.connect(say)
        self.tools.mask_created.connect(self._on_mask_created)

        self.rectangle_action = self._action(
            "Rectangle selection", "Drag to select a rectangle; Shift adds, Alt subtracts, a "
            "click deselects", ["M"], lambda: state.set_tool("rect_select"))
        self.lasso_action = self._action(
            "Lasso selection", "Draw around an area to select it; Shift adds, Alt subtracts",
            ["L"], lambda: state.set_tool("lasso"))
        self.transform_action = self._action(
            "Transform", "Move (drag), scale (drag a corner; Shift keeps the proportions) and "
            "rotate (drag outside the frame; Shift snaps to 15°) the selection or the selected "
            "layer's content; Enter applies, Esc cancels", ["Ctrl+T", "V"],
            lambda: state.set_tool("transform"))
        self.tool_actions = {"rect_select": self.rectangle_action, "lasso": self.lasso_action,
                             "transform": self.transform_action}
        for action in self.tool_actions.values():
            action.setCheckable(True)
            if tool_group is not None:
                tool_group.addAction(action)
        state.tool_changed.connect(self._on_tool_changed)

        self.select_all_action = self._action(
            "Select all", "Select the whole canvas", ["Ctrl+A"], self.tools.select_all)
        self.deselect_action = self._action(
            "Deselect", "Select nothing: tools work on the whole layer again",
            ["Ctrl+D", "Ctrl+Shift+A"], self.tools.deselect)
        self.invert_action = self._action(
            "Invert selection", "Select what is not selected, and the other way round",
            ["Ctrl+Shift+I"], self.tools.invert)
        self.to_mask_action = self._action(
            "Selection → inpaint mask", "Make the selection the inpaint mask layer (white = "
            "repaint); Generate → Inpaint then repaints only there", [],
            self.tools.to_inpaint_mask)
        self.clear_action = self._action(
            "Clear selected area", "Erase the selected area of the selected layer (Delete on "
            "the canvas)", [], self.tools.clear_selected)
        self.fill_action = self._action(
            "Fill selection", "Fill the selected area of the selected layer with the brush "
            "colour", ["Shift+Backspace"], self.tools.fill_selected)
        self.tools.changed.connect(self._on_selection_changed)
        self._on_selection_changed()
        self.menu = self._install()

    @property
    def selection(self):
        return self.tools.selection

    def _action(self, text: str, tip: str, shortcuts: list[str],
                slot: Callable[[], object]) -> QAction:
        action = QAction(text, self.window)
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
        keys = ", ".join(QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText)
                         for s in shortcuts)
        action.setToolTip(f"{tip} ({keys})" if keys else tip)
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.window.addAction(action)  # shortcuts work wherever the focus is in the window
        return action

    def _install(self) -> QMenu:
        window = self.window
        menus = window.menuBar()
        menu = QMenu("&Select", menus)
        menu.setToolTipsVisible(True)
        for action in (self.rectangle_action, self.lasso_action, None, self.select_all_action,
                       self.deselect_action, self.invert_action, None, self.to_mask_action,
                       self.clear_action, self.fill_action):
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        generate_menu = getattr(window, "generate_menu", None)
        if generate_menu is not None:
            menus.insertMenu(generate_menu.menuAction(), menu)
        else:
            menus.addMenu(menu)
        for action in menus.actions():
            if action.text() == "&Tools" and action.menu() is not None:
                action.menu().addSeparator()
                for tool in self.tool_actions.values():
                    action.menu().addAction(tool)
        return menu

    def set_document(self, document: Document) -> None:
        """Another document: its own selection (nothing selected in a new one, what was saved
        in an opened project), no transform in progress."""
        self.transform.cancel()
        self.tools.set_document(document)

    def _on_tool_changed(self, tool: str) -> None:
        action = self.tool_actions.get(tool)
        if action is not None:
            action.setChecked(True)
        if tool == "transform":
            self.transform.begin()

    def _on_selection_changed(self) -> None:
        selected = not self.selection.is_empty()
        for action in (self.deselect_action, self.to_mask_action, self.clear_action,
                       self.fill_action):
            action.setEnabled(selected)

    def _on_mask_created(self, _layer: Layer) -> None:
        self.generate_panel.update_summary()  # Inpaint becomes available ...
        self.generate_panel.settings.mode = "inpaint"  # ... and what the artist asked for
