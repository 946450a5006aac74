"""Image → Extend canvas (outpaint)…: grow the canvas and set up Inpaint for the new area."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from t2ia_desktop.core.document.outpaint import DEFAULT_OVERLAP, FAMILY_SIDE, ExtendCanvas, Margins
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.settings import GenerationSettings
from t2ia_desktop.session.session import Session
from t2ia_desktop.ui.canvas.view import CanvasView
from t2ia_desktop.ui.dialogs.outpaint import ask_outpaint
from t2ia_desktop.ui.generate.panel import GeneratePanel

SHORTCUT = "Ctrl+Alt+O"


class OutpaintActions(QObject):
    """The Extend canvas action; ``choose_margins`` asks the artist (tests replace it).

    It grows ``session``'s document (one undo step) after the stroke ``canvas`` is painting,
    switches ``settings`` to Inpaint once ``generate_panel`` offers it, and tells what it did
    with ``say``. The action goes right after ``after`` (Image → Canvas size…) in each menu
    that holds it; its shortcut works anywhere in ``parent``."""

    message = Signal(str)

    def __init__(self, session: Session, settings: GenerationSettings,
                 generate_panel: GeneratePanel, canvas: CanvasView, after: QAction,
                 say: Callable[[str], None], parent: QWidget) -> None:
        super().__init__(parent)
        self.session = session
        self.settings = settings
        self.generate_panel = generate_panel
        self.canvas = canvas
        self.choose_margins: Callable[[int, int, int], tuple[Margins, int] | None] = (
            lambda width, height, side: ask_outpaint(parent, width, height, side))
        self.message.connect(say)
        tip = ("Grow the canvas and paint the new area: masks it, frames it with some of the "
               f"picture and switches Generate to Inpaint ({SHORTCUT})")
        self.extend_action = QAction("Extend canvas (outpaint)…", parent)
        self.extend_action.setShortcut(QKeySequence(SHORTCUT))
        self.extend_action.setToolTip(tip)
        self.extend_action.setStatusTip(tip)
        self.extend_action.triggered.connect(lambda _checked=False: self.ask_extend())
        parent.addAction(self.extend_action)
        self._install(after)

    def _install(self, after: QAction) -> None:
        for menu in after.associatedObjects():
            if isinstance(menu, QMenu):
                actions = menu.actions()
                index = actions.index(after) + 1
                menu.insertAction(actions[index] if index < len(actions) else None,
                                  self.extend_action)

    def family_side(self) -> int:
        return FAMILY_SIDE.get(self.settings.family, FAMILY_SIDE["sdxl"])

    def ask_extend(self) -> None:
        document = self.session.document
        answer = self.choose_margins(document.width, document.height, self.family_side())
        if answer is not None:
            self.extend(*answer)

    def extend(self, margins: Margins, overlap: int = DEFAULT_OVERLAP) -> bool:
        """Grow the canvas by ``margins`` for outpainting (one undo step) and switch Generate to
        Inpaint; a message says what is wrong instead when it cannot."""
        self.canvas.end_stroke()
        document = self.session.document
        old = (document.width, document.height)
        try:
            ExtendCanvas.check(document, margins)
            command = ExtendCanvas(margins, overlap, self.family_side())
            self.session.edits.push(command)
        except BadInput as error:
            self.message.emit(f"Cannot extend the canvas: {error}")
            return False
        self.generate_panel.update_summary()  # Inpaint becomes available ...
        self.settings.mode = "inpaint"  # ... and is what outpainting needs
        area = document.generation_area
        self.message.emit(
            f"Canvas is {document.width}×{document.height} now (was {old[0]}×{old[1]}); the "
            f"new area is masked and the generation area ({area.label()}) covers it. Generate "
            "paints it (Strength 1 ignores the blurred fill). Undo (Ctrl+Z) takes it all back.")
        return True
