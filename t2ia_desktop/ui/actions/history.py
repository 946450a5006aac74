"""Edit → Undo and Redo, and a click in the History dock: travel through the session's undo
history, a stroke in progress finished first, condition layers whose settings came back
detected again."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from t2ia_desktop.session.edits import detection_inputs, stale_condition_layers
from t2ia_desktop.session.session import Session
from t2ia_desktop.ui.common.widgets import ModelConnections

UNDO_KEYS = ("Ctrl+Z",)
REDO_KEYS = ("Ctrl+Shift+Z", "Ctrl+Y")


class UndoActions(QObject):
    """The Undo and Redo actions (their text names the step), and going to a History step."""

    def __init__(self, session: Session, end_stroke: Callable[[], None],
                 parent: QWidget) -> None:
        """``end_stroke`` finishes a stroke being painted: it becomes the step undo reverts."""
        super().__init__(parent)
        self.session = session
        self._end_stroke = end_stroke
        self.undo_action = self._action("Undo", "Undo the last change to the document",
                                        UNDO_KEYS, self.undo_step, parent)
        self.redo_action = self._action("Redo", "Redo the change last undone", REDO_KEYS,
                                        self.redo_step, parent)
        self.connections = ModelConnections()
        self.connections.connect(session.undo.changed, self.show_steps)
        self.connections.drop_with(parent)
        self.show_steps()

    @staticmethod
    def _action(text: str, tip: str, keys: tuple[str, ...], slot: Callable[[], None],
                parent: QWidget) -> QAction:
        action = QAction(text, parent)
        action.setShortcuts([QKeySequence(key) for key in keys])
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        parent.addAction(action)  # the shortcut works wherever the focus is in the window
        return action

    def undo_step(self) -> None:
        """Edit → Undo (Ctrl+Z)."""
        self._travel(self.session.undo.undo)

    def redo_step(self) -> None:
        """Edit → Redo (Ctrl+Shift+Z, Ctrl+Y)."""
        self._travel(self.session.undo.redo)

    def go_to_step(self, index: int) -> None:
        """A click in History: undo or redo until ``index`` steps are applied."""
        self._travel(lambda: self.session.undo.goto(index))

    def _travel(self, move: Callable[[], None]) -> None:
        self._end_stroke()
        document = self.session.document
        before = detection_inputs(document)
        move()
        # Detector output is not in the history: what it depends on is. A following condition
        # layer whose settings came back from another step is detected again from them.
        updater = self.session.updater
        if updater is not None:
            for layer in stale_condition_layers(document, before):
                updater.redetect(layer)

    def show_steps(self, *_args: object) -> None:
        """Name the step each action would undo or redo; grey out the one with none."""
        undo = self.session.undo
        for action, verb, label, keys in (
            (self.undo_action, "Undo", undo.undo_label, UNDO_KEYS[0]),
            (self.redo_action, "Redo", undo.redo_label, REDO_KEYS[0]),
        ):
            action.setEnabled(label is not None)
            action.setText(f"{verb} {label}" if label else verb)
            action.setIconText(verb)  # the toolbar keeps its short word
            tip = f"{verb} “{label}”" if label else f"Nothing to {verb.lower()}"
            action.setToolTip(f"{tip} ({keys})")
            action.setStatusTip(tip)
