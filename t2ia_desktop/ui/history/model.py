"""The image history as a Qt list model: filtered entries, newest first, thumbnails loaded lazily.

Only the thumbnails a view asks for are read from disk, a few per event-loop turn, so a history of
thousands of pictures opens at once and scrolls without stalls.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtGui import QColor, QImage, QPixmap

from t2ia_desktop.core.conditions.guides import ADAPTER, guide_label
from t2ia_desktop.core.image_history.index_file import entry_guides
from t2ia_desktop.core.image_history.query import HistoryFilter, search
from t2ia_desktop.core.image_history.store import History, HistoryEntry

ICON_SIZE = 128
THUMBNAILS_PER_TURN = 12
"""Thumbnails read from disk per event-loop turn: enough to fill a view quickly, few enough
that one turn stays short."""
STAR = "★"

ModelIndex = QModelIndex | QPersistentModelIndex


def entry_tooltip(entry: HistoryEntry, starred: bool) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.created))
    conditions = ", ".join(
        condition if guide == ADAPTER else f"{condition} ({guide_label(guide)})"
        for condition, guide in zip(entry.conditions, entry_guides(entry), strict=True)
    ) or "no controls"
    star = f"{STAR} starred\n" if starred else ""
    return (f"{star}{entry.prompt or '(no prompt)'}\n{entry.model} · seed {entry.seed} · "
            f"{conditions}\n{when} · {entry.image.name}")


class HistoryListModel(QAbstractListModel):
    """The entries of a :class:`History` that pass a :class:`HistoryFilter`."""

    EntryRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, history: History, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self.query = HistoryFilter()
        self.all_entries: list[HistoryEntry] = []
        self.entries: list[HistoryEntry] = []
        self.starred: set[str] = set()
        self.notes: list[str] = []
        self._rows: dict[str, int] = {}
        self._thumbnails: dict[str, QPixmap] = {}
        self._wanted: dict[str, None] = {}  # ids whose thumbnail a view asked for, in order
        self._placeholder = QPixmap(ICON_SIZE, ICON_SIZE)
        self._placeholder.fill(QColor(80, 82, 88))
        self._loader = QTimer(self)
        self._loader.setSingleShot(True)
        self._loader.setInterval(0)
        self._loader.timeout.connect(self._load_some)

    # -- contents -------------------------------------------------------------------------------
    def reload(self) -> list[str]:
        """Read the history folder again; returns notes for the artist (entries skipped)."""
        scan = self.history.scan()
        self.all_entries = scan.entries
        self.starred = self.history.starred()
        self.notes = scan.notes
        self._refilter()
        return self.notes

    def add_new(self) -> list[HistoryEntry]:
        """Pick up entries written since the last look (a job finished); returns them."""
        known = {entry.id for entry in self.all_entries}
        scan = self.history.scan()
        new = [entry for entry in scan.entries if entry.id not in known]
        if new:
            self.all_entries = scan.entries
            self._refilter()
        return new

    def set_query(self, query: HistoryFilter) -> None:
        if query != self.query:
            self.query = query
            self._refilter()

    def set_starred(self, entry: HistoryEntry, starred: bool) -> None:
        """Star or unstar (raises T2IAError when the folder cannot be written)."""
        self.starred = self.history.set_starred(entry.id, starred)
        if self.query.starred_only:
            self._refilter()
        elif entry.id in self._rows:
            index = self.index(self._rows[entry.id])
            self.dataChanged.emit(index, index)

    def forget(self, entry: HistoryEntry) -> None:
        """Drop an entry the history no longer shows (it was deleted)."""
        self.all_entries = [e for e in self.all_entries if e.id != entry.id]
        self._thumbnails.pop(entry.id, None)
        row = self._rows.get(entry.id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self.entries[row]
        self._rows = {e.id: number for number, e in enumerate(self.entries)}
        self.endRemoveRows()

    def entry_at(self, row: int) -> HistoryEntry | None:
        return self.entries[row] if 0 <= row < len(self.entries) else None

    def row_of(self, entry_id: str) -> int:
        return self._rows.get(entry_id, -1)

    @property
    def thumbnails_loaded(self) -> int:
        return len(self._thumbnails)

    def _refilter(self) -> None:
        self.beginResetModel()
        self.entries = search(self.all_entries, self.query, self.starred)
        self._rows = {entry.id: row for row, entry in enumerate(self.entries)}
        self._wanted.clear()
        self.endResetModel()

    # -- QAbstractListModel ---------------------------------------------------------------------
    def rowCount(self, parent: ModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.entries)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        entry = self.entry_at(index.row()) if index.isValid() else None
        if entry is None:
            return None
        starred = entry.id in self.starred
        if role == Qt.ItemDataRole.DisplayRole:
            prompt = " ".join(entry.prompt.split()) or "(no prompt)"
            return f"{STAR} {prompt}" if starred else prompt
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnail(entry)
        if role == Qt.ItemDataRole.ToolTipRole:
            return entry_tooltip(entry, starred)
        if role == self.EntryRole:
            return entry
        return None

    # -- lazy thumbnails ------------------------------------------------------------------------
    def _thumbnail(self, entry: HistoryEntry) -> QPixmap:
        pixmap = self._thumbnails.get(entry.id)
        if pixmap is not None:
            return pixmap
        if entry.id not in self._wanted:
            self._wanted[entry.id] = None
            if not self._loader.isActive():
                self._loader.start()
        return self._placeholder

    def _load_some(self) -> None:
        for _ in range(min(THUMBNAILS_PER_TURN, len(self._wanted))):
            entry_id = next(iter(self._wanted))
            del self._wanted[entry_id]
            row = self._rows.get(entry_id)
            if row is None:
                continue
            self._thumbnails[entry_id] = load_thumbnail(self.entries[row])
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])
        if self._wanted:
            self._loader.start()


def load_thumbnail(entry: HistoryEntry) -> QPixmap:
    """The entry's thumbnail at icon size; made from the picture itself when the thumbnail file
    is gone; a grey square when neither can be read."""
    for path, scale in ((entry.thumbnail, False), (entry.image, True)):
        image = QImage(str(Path(path)))
        if not image.isNull():
            if scale or max(image.width(), image.height()) > ICON_SIZE:
                image = image.scaled(ICON_SIZE, ICON_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                                     Qt.TransformationMode.SmoothTransformation)
            return QPixmap.fromImage(image)
    missing = QPixmap(ICON_SIZE, ICON_SIZE)
    missing.fill(QColor(120, 60, 60))
    return missing
