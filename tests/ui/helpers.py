"""Helpers for UI tests: mouse drags with a held button, file drops, running the qasync loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import qasync
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from t2ia_desktop.runtime.runner import JobRunner
from t2ia_desktop.ui.main_window import MainWindow


def drag(widget: QWidget, points: list[QPoint]) -> None:
    """Press at the first point, move through the others with the left button held, release.

    QTest's mouseMove carries no buttons, so the held-button moves are sent as QMouseEvents.
    """
    QtBot.mousePress(widget, Qt.MouseButton.LeftButton, pos=points[0])
    for point in points[1:]:
        local = QPointF(point)
        event = QMouseEvent(
            QEvent.Type.MouseMove,
            local,
            QPointF(widget.mapToGlobal(point)),
            Qt.MouseButton.NoButton,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(widget, event)
    QtBot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=points[-1])


def run_until(loop: qasync.QEventLoop, runner: JobRunner, done: Callable[[], bool]) -> None:
    """Run the event loop until ``done()`` holds, checking whenever a job changes."""

    async def wait() -> None:
        future = loop.create_future()

        def check(*_args: object) -> None:
            if not future.done() and done():
                future.set_result(None)

        runner.queue.job_changed.connect(check)
        try:
            check()
            await asyncio.wait_for(future, timeout=20)
        finally:
            runner.queue.job_changed.disconnect(check)

    loop.run_until_complete(wait())


def finish_pending(loop: qasync.QEventLoop, window: MainWindow) -> None:
    """Let every result-delivery task of the window run to its end."""
    loop.run_until_complete(asyncio.gather(*window.pending_tasks))


def drop_files(widget: QWidget, paths: list[str], point: QPoint) -> bool:
    """Drag files from a file manager over ``widget`` and drop them at ``point``.

    Returns whether the widget accepted the drag when it entered.
    """
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(path) for path in paths])
    actions = Qt.DropAction.CopyAction
    left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(point, actions, data, left, none)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    QApplication.sendEvent(widget, QDragMoveEvent(point, actions, data, left, none))
    QApplication.sendEvent(widget, QDropEvent(QPointF(point), actions, data, left, none))
    return True
