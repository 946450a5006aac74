"""The History dock: the document's undo steps, oldest first; a click goes back (or forward)
to that step.

The first row is the document as it was opened or created; each further row is the state after
that step. The current state is selected; steps after it (undone, still redoable) are greyed.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QBrush, QPalette
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from t2ia_desktop.core.undo.stack import UndoStack
from t2ia_desktop.ui.common.widgets import ModelConnections

START_LABEL = "New document"


class HistoryPanel(QWidget):
    """Lists ``undo``'s steps; ``step_chosen(index)`` asks to go to the state after ``index``
    steps (0: the start)."""

    step_chosen = Signal(int)

    def __init__(self, undo: UndoStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.undo = undo
        self.start_label = START_LABEL
        self._refreshing = False
        self.list_widget = QListWidget()
        self.list_widget.setToolTip(
            "Every change to the document, oldest first. Click a step to go back to it; the "
            "greyed steps after it can be redone until you change something."
        )
        self.list_widget.setUniformItemSizes(True)
        self.list_widget.currentRowChanged.connect(self._on_row_changed)
        self.memory_label = QLabel()
        self.memory_label.setEnabled(False)
        self.memory_label.setToolTip(
            "Memory the undo history keeps; the oldest steps are dropped past its limit"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list_widget, 1)
        layout.addWidget(self.memory_label)
        self.connections = ModelConnections()
        self.connections.connect(undo.changed, self.refresh)
        self.connections.drop_with(self)
        self.refresh()

    def set_start_label(self, text: str) -> None:
        """What the first row says: how the document began ("Opened x.t2ia", "New document")."""
        self.start_label = text
        self.refresh()

    def refresh(self) -> None:
        """Redraw from the stack; rows are reused, so a long history costs little per step."""
        labels = [self.start_label, *self.undo.labels]
        widget = self.list_widget
        self._refreshing = True
        try:
            while widget.count() > len(labels):
                widget.takeItem(widget.count() - 1)
            muted = QBrush(self.palette().color(QPalette.ColorGroup.Disabled,
                                                QPalette.ColorRole.Text))
            for row, label in enumerate(labels):
                item = widget.item(row)
                if item is None:
                    item = QListWidgetItem()
                    widget.addItem(item)
                if item.text() != label:
                    item.setText(label)
                redo = row > self.undo.index
                item.setForeground(muted if redo else QBrush())
                item.setToolTip(f"Redo up to here: {label}" if redo else
                                f"Go back to just after: {label}" if row else
                                "Go back to the start: undo everything")
            widget.setCurrentRow(self.undo.index)
            current = widget.item(self.undo.index)
            if current is not None:
                widget.scrollToItem(current)
        finally:
            self._refreshing = False
        megabytes = self.undo.nbytes / 2**20
        self.memory_label.setText(f"{len(labels) - 1} steps · {megabytes:.1f} MB")

    def _on_row_changed(self, row: int) -> None:
        if not self._refreshing and row >= 0 and row != self.undo.index:
            self.step_chosen.emit(row)

