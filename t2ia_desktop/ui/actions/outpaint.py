"""Image → Extend canvas (outpaint)…: grow the canvas and set up Inpaint for the new area."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from t2ia_desktop.core.document.outpaint import DEFAULT_OVERLAP, FAMILY_SIDE, ExtendCanvas, Margins
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.ui.dialogs.outpaint import ask_outpaint

if TYPE_CHECKING:
    from t2ia_desktop.ui.window.main_window import MainWindow

SHORTCUT = "Ctrl+Alt+O"


class OutpaintActions(QObject):
    """The Extend canvas action; ``choose_margins`` asks the artist (tests replace it)."""

    message = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.choose_margins: Callable[[int, int, int], tuple[Margins, int] | None] = (
            lambda width, height, side: ask_outpaint(window, width, height, side))
        self.message.connect(window.show_message)
        tip = ("Grow the canvas and paint the new area: masks it, frames it with some of the "
               f"picture and switches Generate to Inpaint ({SHORTCUT})")
        self.extend_action = QAction("Extend canvas (outpaint)…", window)
        self.extend_action.setShortcut(QKeySequence(SHORTCUT))
        self.extend_action.setToolTip(tip)
        self.extend_action.setStatusTip(tip)
        self.extend_action.triggered.connect(lambda _checked=False: self.ask_extend())
        window.addAction(self.extend_action)
        self._install()

    def _install(self) -> None:
        """Right after Image → Canvas size…"""
        canvas_size = self.window.layer_actions.canvas_size_action
        for menu in canvas_size.associatedObjects():
            if isinstance(menu, QMenu):
                actions = menu.actions()
                index = actions.index(canvas_size) + 1
                menu.insertAction(actions[index] if index < len(actions) else None,
                                  self.extend_action)

    def family_side(self) -> int:
        return FAMILY_SIDE.get(self.window.generation_settings.family, FAMILY_SIDE["sdxl"])

    def ask_extend(self) -> None:
        document = self.window.document
        answer = self.choose_margins(document.width, document.height, self.family_side())
        if answer is not None:
            self.extend(*answer)

    def extend(self, margins: Margins, overlap: int = DEFAULT_OVERLAP) -> bool:
        """Grow the canvas by ``margins`` for outpainting (one undo step) and switch Generate to
        Inpaint; a message says what is wrong instead when it cannot."""
        window = self.window
        window.canvas.end_stroke()
        document = window.document
        old = (document.width, document.height)
        try:
            ExtendCanvas.check(document, margins)
            command = ExtendCanvas(margins, overlap, self.family_side())
            window.edits.push(command)
        except BadInput as error:
            self.message.emit(f"Cannot extend the canvas: {error}")
            return False
        window.generate_panel.update_summary()  # Inpaint becomes available ...
        window.generation_settings.mode = "inpaint"  # ... and is what outpainting needs
        area = document.generation_area
        self.message.emit(
            f"Canvas is {document.width}×{document.height} now (was {old[0]}×{old[1]}); the "
            f"new area is masked and the generation area ({area.label()}) covers it. Generate "
            "paints it (Strength 1 ignores the blurred fill). Undo (Ctrl+Z) takes it all back.")
        return True
