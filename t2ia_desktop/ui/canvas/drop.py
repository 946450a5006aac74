"""Picture files dragged from the file manager onto the canvas.

The canvas highlights itself while local files hover over it and hands the dropped paths on
with its ``files_dropped`` signal (local paths, global position); what happens to them (a
photo layer or a remix) is the window's choice.
"""

from __future__ import annotations

from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent, QDropEvent


class FileDropMixin:
    """Drag-and-drop of local files for a widget with ``files_dropped`` and ``_drop_hover``."""

    @staticmethod
    def _local_files(event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> list[str]:
        data = event.mimeData()
        if data is None or not data.hasUrls():
            return []
        return [url.toLocalFile() for url in data.urls() if url.isLocalFile()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._local_files(event):
            event.acceptProposedAction()
            self._drop_hover = True
            self.update()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._local_files(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._drop_hover = False
        self.update()
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self._drop_hover = False
        self.update()
        files = self._local_files(event)
        if not files:
            event.ignore()
            return
        event.acceptProposedAction()
        self.files_dropped.emit(files, self.mapToGlobal(event.position().toPoint()))
