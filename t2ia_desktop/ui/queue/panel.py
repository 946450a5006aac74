"""The queue panel: the jobs in the order they run, each drawn by a :class:`JobRow`.

Artists steer it: drag a waiting job up or down, Move to top, Cancel (Del), Retry a failed or
cancelled job, Pause / Resume the queue (the running job finishes, no new one starts), Clear
finished. The same actions are in the context menu and the buttons below the list.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QMimeData, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QDrag, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from t2ia_desktop.core.generation.jobs import Job, JobQueue, JobState
from t2ia_desktop.runtime.runner import JobRunner
from t2ia_desktop.ui.common.widgets import ModelConnections
from t2ia_desktop.ui.queue.job_row import (
    JobRow,
    PixmapCache,
    prompt_excerpt,
)

JOB_MIME = "application/x-t2ia-job-ids"
PAUSED_TEXT = "Queue paused: the running job finishes, no new job starts. Resume to go on."
_DELETE_KEYS = (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
ROW_BUDGET_S = 0.008
"""Time per turn of the event loop spent building rows: a batch of 50 jobs gets its rows over
several turns, so the canvas never waits for them."""
MIN_ROWS_PER_TURN = 4
"""Rows always built at once (a Generate, a small batch), whatever the budget says."""
LAYOUT_BATCH = 100
"""Items placed per turn while many jobs arrive (Qt places them all at each insert)."""
BUILT_AROUND_VIEW = 40
"""Rows built around those in view; the others as the artist scrolls near them (each row
widget slows every later change of the list: 10 000 of them would take minutes)."""


def _is_move_to_top(event: QKeyEvent) -> bool:
    return (event.key() == Qt.Key.Key_Home
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier) != 0


class JobList(QListWidget):
    """The list of jobs. A waiting job can be dragged to another place; Del and Ctrl+Home act
    on the selected job while the list has the focus (before the window's own shortcuts)."""

    job_dropped = Signal(int, int)  # job id, the row it was dropped before
    delete_pressed = Signal()
    move_to_top_pressed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setBatchSize(LAYOUT_BATCH)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setToolTip("Jobs in the order they run. Drag a waiting job to reorder; right-click "
                        "for more; Del cancels the selected job")

    def mimeTypes(self) -> list[str]:
        return [JOB_MIME]

    def mimeData(self, items: list[QListWidgetItem]) -> QMimeData:
        data = QMimeData()
        ids = ",".join(str(item.data(Qt.ItemDataRole.UserRole)) for item in items)
        data.setData(JOB_MIME, ids.encode("ascii"))
        return data

    def startDrag(self, actions: Qt.DropAction) -> None:
        items = self.selectedItems()
        if not items:
            return
        drag = QDrag(self)
        drag.setMimeData(self.mimeData(items))
        drag.exec(Qt.DropAction.MoveAction)  # the drop moves the job in the queue model

    def drop_row(self, position: QPoint) -> int:
        """The row a drop at ``position`` (viewport coordinates) goes before."""
        index = self.indexAt(position)
        if not index.isValid():
            return self.count()
        rect = self.visualRect(index)
        return index.row() + (1 if position.y() > rect.center().y() else 0)

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(JOB_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasFormat(JOB_MIME):
            super().dragMoveEvent(event)  # draws the drop indicator
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        if not event.mimeData().hasFormat(JOB_MIME):
            event.ignore()
            return
        row = self.drop_row(event.position().toPoint())
        text = bytes(event.mimeData().data(JOB_MIME).data()).decode("ascii", "replace")
        event.acceptProposedAction()
        for part in text.split(","):
            if part.strip().isdigit():
                self.job_dropped.emit(int(part), row)

    def event(self, event: QEvent) -> bool:
        # Del deletes layers elsewhere in the window: here it cancels the selected job.
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) and (
                event.key() in _DELETE_KEYS or _is_move_to_top(event)):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in _DELETE_KEYS:
            self.delete_pressed.emit()
        elif _is_move_to_top(event):
            self.move_to_top_pressed.emit()
        else:
            super().keyPressEvent(event)


class QueuePanel(QWidget):
    """Draws a :class:`JobQueue` in run order and steers it; the runner cancels jobs."""

    retried = Signal(object)  # the new Job queued by Retry
    message = Signal(str)

    def __init__(self, queue: JobQueue, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue = queue
        self.runner = runner
        self.rows: dict[int, JobRow] = {}
        self._items: dict[int, QListWidgetItem] = {}
        self._pixmaps = PixmapCache()
        self._unbuilt: dict[int, Job] = {}  # jobs whose item waits for its row widget
        self._budget_ends = 0.0
        self._built_this_turn = 0
        self._build_timer = QTimer(self)
        self._build_timer.setSingleShot(True)
        self._build_timer.setInterval(0)
        self._build_timer.timeout.connect(self._build_rows)
        self._turn_timer = QTimer(self)
        self._turn_timer.setSingleShot(True)
        self._turn_timer.setInterval(0)
        self._turn_timer.timeout.connect(self._on_turn_ended)
        self._added_this_turn = 0
        self._row_size: QSize | None = None  # the last row built: the size of rows to come

        self.list_widget = JobList()
        self.list_widget.job_dropped.connect(self._on_dropped)
        self.list_widget.delete_pressed.connect(self.cancel_selected)
        self.list_widget.move_to_top_pressed.connect(self.move_selected_to_top)
        self.list_widget.customContextMenuRequested.connect(self._show_menu)
        self.list_widget.currentRowChanged.connect(lambda _row: self._update_footer())
        scroll_bar = self.list_widget.verticalScrollBar()
        scroll_bar.valueChanged.connect(self._on_scrolled)
        scroll_bar.rangeChanged.connect(self._on_scrolled)
        self.empty_label = QLabel("No jobs yet: draw, write a prompt and press Generate.")
        self.empty_label.setWordWrap(True)
        self.empty_label.setEnabled(False)
        self.paused_label = QLabel(PAUSED_TEXT)
        self.paused_label.setWordWrap(True)
        self.paused_label.setStyleSheet("color: #b07000; font-weight: bold;")
        self.paused_label.hide()

        self.cancel_action = self._action("Cancel", "Stop the selected job (Del)",
                                          self.cancel_selected)
        self.top_action = self._action("Move to top", "Run the selected waiting job next "
                                       "(Ctrl+Home)", self.move_selected_to_top)
        self.retry_action = self._action("Retry", "Queue the selected failed or cancelled job "
                                         "again with the same settings and seed",
                                         self.retry_selected)
        self.remove_action = self._action("Remove from list", "Take the selected finished job "
                                          "off the list (its picture stays in the history)",
                                          self.remove_selected)
        self.pause_action = self._action("Pause queue", "Pause: the running job finishes, no "
                                         "new job starts until you resume", self.toggle_paused)
        self.pause_action.setCheckable(True)
        self.clear_action = self._action("Clear finished", "Remove done, failed and cancelled "
                                         "jobs from this list", self.queue.clear_finished)

        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip(self.pause_action.toolTip())
        self.pause_button.clicked.connect(self.set_paused)
        self.top_button = self._button("Move to top", self.top_action)
        self.retry_button = self._button("Retry", self.retry_action)
        self.clear_button = self._button("Clear finished", self.clear_action)

        buttons = QHBoxLayout()
        buttons.addWidget(self.pause_button)
        buttons.addWidget(self.top_button)
        buttons.addWidget(self.retry_button)
        buttons.addStretch(1)
        buttons.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.paused_label)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.list_widget, 1)
        layout.addLayout(buttons)

        for job in queue:
            self._on_job_added(job)
        self.connections = ModelConnections()
        self.connections.connect(queue.job_added, self._on_job_added)
        self.connections.connect(queue.job_changed, self._on_job_changed)
        self.connections.connect(queue.job_removed, self._on_job_removed)
        self.connections.connect(queue.job_moved, self._on_job_moved)
        self.connections.connect(queue.paused_changed, self._on_paused_changed)
        self.connections.drop_with(self)
        self._on_paused_changed(queue.paused)
        self._update_footer()

    def closeEvent(self, event) -> None:
        self.connections.disconnect_all()
        self._build_timer.stop()
        super().closeEvent(event)

    def _action(self, text: str, tip: str, slot) -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(lambda *_: slot())
        return action

    @staticmethod
    def _button(text: str, action: QAction) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(action.toolTip())
        button.clicked.connect(action.trigger)
        return button

    # -- what the artist does ---------------------------------------------------------------
    def selected_job(self) -> Job | None:
        item = self.list_widget.currentItem()
        if item is None or not item.isSelected():
            return None
        return self.queue.get(item.data(Qt.ItemDataRole.UserRole))

    def select(self, job: Job) -> None:
        item = self._items.get(job.id)
        if item is not None:
            self.list_widget.setCurrentItem(item)

    def cancel(self, job: Job) -> None:
        self.runner.cancel(job)

    def cancel_selected(self) -> None:
        job = self.selected_job()
        if job is not None and not job.state.finished:
            self.cancel(job)
            row = self.rows.get(job.id)
            if row is not None:
                row.refresh()

    def move_selected_to_top(self) -> None:
        job = self.selected_job()
        if job is not None and self.queue.move_to_top(job):
            self.select(job)

    def retry(self, job: Job) -> Job | None:
        new = self.queue.retry(job)
        if new is not None:
            self.retried.emit(new)
            self.message.emit(f"Queued again: {prompt_excerpt(new)}")
        return new

    def retry_selected(self) -> None:
        job = self.selected_job()
        if job is not None:
            self.retry(job)

    def remove_selected(self) -> None:
        job = self.selected_job()
        if job is not None:
            self.queue.remove(job)

    def set_paused(self, paused: bool) -> None:
        self.queue.set_paused(paused)

    def toggle_paused(self) -> None:
        self.set_paused(not self.queue.paused)

    def drop(self, job: Job, row: int) -> bool:
        """A drag of ``job`` that ended before list row ``row``: it runs from that place."""
        current = self.queue.index(job)
        target = row - 1 if row > current else row
        moved = self.queue.move(job, target)
        if moved:
            self.select(job)
        elif job.state is not JobState.QUEUED:
            self.message.emit("Only waiting jobs can be moved.")
        return moved

    def context_menu(self) -> QMenu:
        """The menu for the selected job (and the queue)."""
        self._update_footer()
        menu = QMenu(self)
        menu.setToolTipsVisible(True)
        for action in (self.cancel_action, self.top_action, self.retry_action,
                       self.remove_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.pause_action)
        menu.addAction(self.clear_action)
        return menu

    def _show_menu(self, position: QPoint) -> None:
        item = self.list_widget.itemAt(position)
        if item is not None:
            self.list_widget.setCurrentItem(item)
        menu = self.context_menu()
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.list_widget.viewport().mapToGlobal(position))

    # -- following the queue ----------------------------------------------------------------
    def _on_dropped(self, job_id: int, row: int) -> None:
        job = self.queue.get(job_id)
        if job is not None:
            self.drop(job, row)

    def _make_row(self, job: Job, index: int) -> None:
        """The job's list item at ``index``, and its row widget now if this turn of the event
        loop has time left, else in a later turn."""
        if not self._turn_timer.isActive():  # the first row of this turn of the event loop
            self._budget_ends = time.perf_counter() + ROW_BUDGET_S
            self._built_this_turn = self._added_this_turn = 0
            self._turn_timer.start()  # fires (and stops) when the event loop turns
        self._added_this_turn += 1
        if self._added_this_turn > MIN_ROWS_PER_TURN:  # many at once: place them in batches
            self.list_widget.setLayoutMode(QListView.LayoutMode.Batched)
        item = QListWidgetItem(prompt_excerpt(job))
        item.setData(Qt.ItemDataRole.UserRole, job.id)
        if self._row_size is not None:  # as tall as its row will be: the view stays put
            item.setSizeHint(self._row_size)
        self.list_widget.insertItem(index, item)
        self._items[job.id] = item
        self._unbuilt[job.id] = job
        self._fit(job)
        if self._build_timer.isActive():
            return  # rows are being built turn by turn: this one follows
        if time.perf_counter() < self._budget_ends or (
                self._built_this_turn < MIN_ROWS_PER_TURN):
            self._built_this_turn += 1
            self._build_row(job)
        else:
            self._build_timer.start()

    def row_for(self, job: Job) -> JobRow:
        """The row widget of ``job`` (built now if it was still waiting for its turn)."""
        if job.id in self._unbuilt:
            self._build_row(job)
        return self.rows[job.id]

    def _build_row(self, job: Job) -> None:
        del self._unbuilt[job.id]
        item = self._items[job.id]
        item.setText("")  # the row widget draws everything
        row = JobRow(job, self.cancel, self.retry, self._pixmaps)
        self.list_widget.setItemWidget(item, row)
        self.rows[job.id] = row
        self._fit(job)

    def _build_rows(self) -> None:
        self._budget_ends = time.perf_counter() + ROW_BUDGET_S
        near = self._unbuilt_near_view()
        while near and time.perf_counter() < self._budget_ends:
            self._build_row(near.pop(0))
        if near:
            self._build_timer.start()
        self._update_footer()

    def _unbuilt_near_view(self) -> list[Job]:
        """The jobs still without a row widget whose items are in view or near it."""
        widget = self.list_widget
        if not self._unbuilt:
            return []
        top = max(widget.indexAt(QPoint(1, 1)).row(), 0)
        bottom = max(widget.indexAt(QPoint(1, widget.viewport().height() - 1)).row(), top)
        rows = range(max(top - BUILT_AROUND_VIEW, 0),
                     min(bottom + BUILT_AROUND_VIEW + 1, widget.count()))
        ids = (widget.item(row).data(Qt.ItemDataRole.UserRole) for row in rows)
        return [self._unbuilt[job_id] for job_id in ids if job_id in self._unbuilt]

    def _on_turn_ended(self) -> None:
        # In one pass again: a batched layout that starts again as rows are built would move
        # the view back up while the artist scrolls down.
        self.list_widget.setLayoutMode(QListView.LayoutMode.SinglePass)

    def _on_scrolled(self, *_args: object) -> None:
        if self._unbuilt and not self._build_timer.isActive():
            self._build_timer.start()  # rows come into view: build them

    def _fit(self, job: Job) -> None:
        """Only a waiting job can be dragged; the item is as tall as its row."""
        item, row = self._items.get(job.id), self.rows.get(job.id)
        if item is None:
            return
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if job.state is JobState.QUEUED:
            flags |= Qt.ItemFlag.ItemIsDragEnabled
        if item.flags() != flags:
            item.setFlags(flags)
        if row is None:
            return
        hint = self._row_size = row.sizeHint()
        if item.sizeHint() != hint:
            item.setSizeHint(hint)

    def _on_job_added(self, job: Job) -> None:
        if job.id in self._items:
            return
        try:
            index = self.queue.index(job)
        except ValueError:
            index = self.list_widget.count()
        self._make_row(job, min(index, self.list_widget.count()))
        # A new job is waiting or running: only the empty note can change (the whole footer
        # looks at every job, too slow for each of 10 000 restored jobs).
        self.empty_label.setVisible(False)

    def _on_job_changed(self, job: Job) -> None:
        row = self.rows.get(job.id)
        if row is not None:
            row.refresh()
        self._fit(job)
        if job.state.finished or job.step <= 1:
            self._update_footer()

    def _on_job_removed(self, job: Job) -> None:
        item = self._items.pop(job.id, None)
        self.rows.pop(job.id, None)
        self._unbuilt.pop(job.id, None)
        if item is not None:
            self.list_widget.removeItemWidget(item)
            self.list_widget.takeItem(self.list_widget.row(item))
        self._update_footer()

    def _on_job_moved(self, job: Job, index: int) -> None:
        item = self._items.get(job.id)
        if item is None:
            return
        selected = self.selected_job() is job
        self.list_widget.removeItemWidget(item)  # a new row widget is made at its new place
        self.list_widget.takeItem(self.list_widget.row(item))
        del self._items[job.id]
        self.rows.pop(job.id, None)
        self._unbuilt.pop(job.id, None)
        self._make_row(job, index)
        if selected:
            self.select(job)
        self._update_footer()

    def _on_paused_changed(self, paused: bool) -> None:
        self.paused_label.setVisible(paused)
        self.pause_button.setChecked(paused)
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pause_action.setChecked(paused)
        self.pause_action.setText("Resume queue" if paused else "Pause queue")

    def _update_footer(self) -> None:
        self.empty_label.setVisible(not self._items)
        self.clear_action.setEnabled(any(job.state.finished for job in self.queue))
        job = self.selected_job()
        state = job.state if job is not None else None
        self.cancel_action.setEnabled(
            job is not None and not job.state.finished and not job.cancel_event.is_set())
        self.top_action.setEnabled(state is JobState.QUEUED)
        self.retry_action.setEnabled(state in (JobState.FAILED, JobState.CANCELLED))
        self.remove_action.setEnabled(state is not None and state.finished)
        for button, action in ((self.top_button, self.top_action),
                               (self.retry_button, self.retry_action),
                               (self.clear_button, self.clear_action)):
            button.setEnabled(action.isEnabled())
