"""The window's side of the queue: Generate-menu entries, results of retried jobs, and at launch
the offer to restore the jobs the last session left waiting (from the queue file)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.jobs import Job
from t2ia_desktop.runtime.queue_keeper import QueueKeeper
from t2ia_desktop.ui.common.widgets import ask_restore_or_discard, open_error_box

if TYPE_CHECKING:
    from t2ia_desktop.ui.window.main_window import MainWindow

log = logging.getLogger(__name__)
APP_TITLE = "t2ia desktop"


class QueueControl(QObject):
    """Wires the queue panel into ``window`` and keeps the queue file through ``keeper``.

    ``ask_restore(description) -> bool`` asks whether to restore a saved queue; tests replace
    it, as they do ``ProjectFiles.ask_restore``.
    """

    def __init__(self, window: MainWindow, keeper: QueueKeeper | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.keeper = keeper
        self.ask_restore: Callable[[str], bool] = self._ask_restore
        self.error_box: QMessageBox | None = None
        panel = window.queue_panel
        panel.retried.connect(window.deliver)
        panel.message.connect(window.show_message)
        window.runner.queue.paused_changed.connect(self._on_paused_changed)
        menu = getattr(window, "generate_menu", None)
        if menu is not None:
            menu.setToolTipsVisible(True)
            menu.addSeparator()
            menu.addAction(panel.pause_action)
            menu.addAction(panel.clear_action)
        if keeper is not None:
            keeper.failed.connect(window.show_message)

    def _on_paused_changed(self, paused: bool) -> None:
        self.window._on_job_changed(None)  # the status bar says "queue paused"
        self.window.show_message("Queue paused: the running job finishes, no new job starts."
                                 if paused else "Queue resumed.")

    def offer_restore(self) -> list[Job]:
        """At launch: offer the jobs the last session left waiting; the restored jobs.

        A file that cannot be read (damaged, or from a newer version) is renamed aside, kept,
        and told. Afterwards the queue file follows this session's queue.
        """
        keeper = self.keeper
        if keeper is None:
            return []
        restored: list[Job] = []
        try:
            saved = keeper.store.read()
        except BadInput as error:
            self._set_aside(str(error))
            keeper.start()
            return []
        if saved is not None and saved.requests:
            if self.ask_restore(saved.describe()):
                restored = self._restore(saved.requests, saved.paused)
            else:
                self.window.show_message(f"Discarded {len(saved.requests)} waiting job(s) "
                                         "from the last session.")
        keeper.start()  # from now on the file follows the queue (a discarded one is removed)
        return restored

    def _restore(self, requests, paused: bool) -> list[Job]:
        window = self.window
        queue = window.runner.queue
        if paused:
            queue.set_paused(True)
        document = window.document
        jobs, elsewhere = [], 0
        for request in requests:
            job = queue.add(request)
            jobs.append(job)
            size = (request.width, request.height)
            if size in ((document.width, document.height), document.generation_area.size):
                window.deliver(job)  # its picture also becomes a layer (at the area) here
            else:
                elsewhere += 1
        text = f"Restored {len(jobs)} waiting job(s) from the last session"
        if elsewhere:
            text += (f"; {elsewhere} of another canvas size go only to the history folder "
                     "(File → Open history folder)")
        window.show_message(text + ("; the queue is paused: Resume to run them." if paused
                                    else "."))
        return jobs

    def _set_aside(self, reason: str) -> None:
        store = self.keeper.store
        try:
            aside = store.set_aside()
            kept = f"The file is kept in {aside}; new jobs are saved afresh."
        except OSError as error:
            log.warning("queue file: cannot set aside %s: %s", store.folder, error)
            kept = f"It stays in {store.folder} ({error.strerror or error})."
        self.show_error("Cannot restore the waiting jobs", f"{reason}\n\n{kept}")

    def show_error(self, title: str, text: str) -> None:
        """A dialog that does not block, and the same words in the status bar."""
        self.error_box = open_error_box(self.window, self.error_box, title, text)

    def _ask_restore(self, found: str) -> bool:
        return ask_restore_or_discard(
            self.window, APP_TITLE,
            "Jobs were still waiting in the queue when t2ia desktop last closed. "
            "Restore them?", found)
