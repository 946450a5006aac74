"""Where the canvas's pointer events go: navigation first (Space+drag, the middle button,
R+drag), then the left button to the current tool, which keeps the pointer from its press to its
release when it asks for it."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, Qt

from t2ia_desktop.ui.canvas.navigation import Navigator
from t2ia_desktop.ui.common.canvas_tool import CanvasTool, Cursor, Pointer


class PointerRouter:
    """Routes presses, moves and releases (widget points) of one canvas."""

    def __init__(self, navigator: Navigator, current_tool: Callable[[], CanvasTool | None],
                 to_document: Callable[[QPointF], QPointF]) -> None:
        self.navigator = navigator
        self.current_tool = current_tool
        self.to_document = to_document
        self.holder: CanvasTool | None = None
        """The tool holding the pointer (from a press it took to the release)."""

    def pointer(self, position: QPointF, modifiers: Qt.KeyboardModifier,
                pressure: float | None) -> Pointer:
        return Pointer(self.to_document(position), QPointF(position), modifiers, pressure)

    def press(self, position: QPointF, button: Qt.MouseButton,
              modifiers: Qt.KeyboardModifier, pressure: float | None) -> bool:
        """True when the press was used."""
        if self.navigator.press(position, button):
            return True
        if button != Qt.MouseButton.LeftButton:
            return False
        tool = self.current_tool()
        if tool is None:
            return False
        held = tool.press(self.pointer(position, modifiers, pressure))
        self.holder = tool if held else None
        return True

    def move(self, position: QPointF, modifiers: Qt.KeyboardModifier,
             pressure: float | None) -> bool:
        if self.navigator.move(position):
            return True
        if self.holder is not None:
            self.holder.move(self.pointer(position, modifiers, pressure))
            return True
        return False

    def release(self, position: QPointF, button: Qt.MouseButton,
                modifiers: Qt.KeyboardModifier, pressure: float | None) -> bool:
        if self.navigator.release():
            return True
        if button == Qt.MouseButton.LeftButton and self.holder is not None:
            tool, self.holder = self.holder, None
            tool.release(self.pointer(position, modifiers, pressure))
            return True
        return False

    def hover_cursor(self, position: QPointF) -> Cursor | None:
        """The current tool's cursor over ``position`` with no button held (a handle, a
        frame…); None while something holds the pointer or the tool has no preference."""
        tool = self.current_tool()
        if tool is None or self.holder is not None or self.navigator.dragging:
            return None
        return tool.cursor(position)

    def let_go(self) -> None:
        """Whatever held the pointer no longer does (its work was finished elsewhere)."""
        self.holder = None
