"""Safe mode offered after a start that did not finish (see core/start_marker.py).

Safe mode loads the bundled plugins only: the Plugins dialog lists the others, where the artist
turns off the one that stopped the app, and the next normal start loads the rest again.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget

from t2ia_desktop.core.start_marker import StartMarker

QUESTION = (
    "The last start of t2ia desktop did not finish: a plugin may have stopped it.\n\n"
    "Start in safe mode? Only the bundled plugins are loaded; Help → Plugins… lists the others, "
    "where you can turn off the one at fault. The next start loads them again.")


def safe_mode_box(question: str, parent: QWidget | None = None) -> QMessageBox:
    """The question, with "Start in safe mode" (the default) and "Start normally"."""
    box = QMessageBox(QMessageBox.Icon.Warning, "t2ia desktop", question,
                      QMessageBox.StandardButton.NoButton, parent)
    safe = box.addButton("Start in safe mode", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Start normally", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(safe)
    return box


def ask_safe_mode(question: str) -> bool:
    box = safe_mode_box(question)
    box.exec()
    return box.clickedButton() is box.defaultButton()


class StartCheck:
    """Marks the start, and offers safe mode when the last start did not finish."""

    def __init__(self, marker: StartMarker) -> None:
        self.marker = marker
        self.ask_safe_mode: Callable[[str], bool] = ask_safe_mode
        """Asks the artist whether to start in safe mode; tests answer it."""

    def begin(self, safe_mode: bool = False) -> bool:
        """Whether to start in safe mode: asked for (``safe_mode``), or chosen by the artist
        after a start that did not finish. Marks this start as under way."""
        if not safe_mode and self.marker.left_over():
            safe_mode = self.ask_safe_mode(QUESTION)
        self.marker.write()
        return safe_mode

    def finished(self) -> None:
        """The window shows: this start finished."""
        self.marker.remove()
