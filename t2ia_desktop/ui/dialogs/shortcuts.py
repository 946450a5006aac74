"""Help → Keyboard shortcuts: every action of the window that has a shortcut, read from the
actions themselves (so the list is never out of date), with a filter box."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


def action_name(action: QAction) -> str:
    return action.text().replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…. ")


def shortcut_rows(actions: Iterable[QAction]) -> list[tuple[str, str, str]]:
    """(action, keys, what it does) for each action with a shortcut, once per name and keys,
    sorted by name."""
    rows: dict[tuple[str, str], str] = {}
    for action in actions:
        keys = ", ".join(key.toString(QKeySequence.SequenceFormat.NativeText)
                         for key in action.shortcuts() if not key.isEmpty())
        name = action_name(action)
        if not keys or not name:
            continue
        tip = action.statusTip() or action.toolTip()
        rows.setdefault((name, keys), "" if tip.replace("&", "") == name else tip)
    return sorted(((name, keys, tip) for (name, keys), tip in rows.items()),
                  key=lambda row: row[0].lower())


class ShortcutsDialog(QDialog):
    """The shortcuts of ``window``'s actions (its own and its children's), searchable."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setWindowTitle("Keyboard shortcuts")
        self.setObjectName("shortcuts_dialog")
        self.resize(640, 520)
        self.rows = shortcut_rows(window.findChildren(QAction))
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Search actions or keys…")
        self.filter_edit.setClearButtonEnabled(True)
        self.table = QTableWidget(len(self.rows), 3)
        self.table.setHorizontalHeaderLabels(["Action", "Keys", "What it does"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        for row, cells in enumerate(self.rows):
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.filter_edit.textChanged.connect(self.apply_filter)
        self.filter_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def apply_filter(self, text: str) -> None:
        """Show the rows whose action, keys or description hold every word of ``text``."""
        words = text.lower().split()
        for row, cells in enumerate(self.rows):
            haystack = " ".join(cells).lower()
            self.table.setRowHidden(row, not all(word in haystack for word in words))

    def shown_actions(self) -> list[str]:
        return [self.rows[row][0] for row in range(len(self.rows))
                if not self.table.isRowHidden(row)]
