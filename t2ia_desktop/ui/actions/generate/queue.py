"""The window's side of the queue: Generate-menu entries, results of retried jobs, and at launch
the offer to restore the jobs the last session left waiting (from the queue file)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.files.state_file import keep_copy
from t2ia_desktop.core.generation.jobs import Job, JobQueue
from t2ia_desktop.core.generation.queue_file import SavedQueue
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.runtime.queue_keeper import AddInTurns, QueueKeeper
from t2ia_desktop.session.session import Session
from t2ia_desktop.ui.common.widgets import ask_restore_or_discard, open_warning_box
from t2ia_desktop.ui.queue.panel import QueuePanel

log = logging.getLogger(__name__)
APP_TITLE = "t2ia desktop"


class QueueControl(QObject):
    """Wires ``panel`` (drawing ``queue``) to the rest of the app and keeps the queue file
    through ``keeper``.

    Jobs queued again (Retry, or restored at launch) go to ``deliver`` so that their pictures
    become layers of ``session``'s document; ``say`` shows a message in the status bar and
    ``show_status(text, timeout_ms)`` the words of an error, whose dialog opens over
    ``parent``. Pause and Clear finished go at the end of ``generate_menu``.
    ``ask_restore(description) -> bool`` asks whether to restore a saved queue; tests replace
    it, as they do ``ProjectFiles.ask_restore``.
    """

    offered = Signal(list)
    """The launch's offer of the saved queue is over: the jobs restored (empty when none)."""

    def __init__(self, panel: QueuePanel, queue: JobQueue, session: Session,
                 deliver: Callable[[Job], None], say: Callable[[str], None],
                 show_status: Callable[[str, int], None], parent: QWidget,
                 keeper: QueueKeeper | None = None, *,
                 generate_menu: QMenu | None = None) -> None:
        super().__init__(parent)
        self.parent_widget = parent
        self.queue, self.session, self.keeper = queue, session, keeper
        self.deliver, self.say, self.show_status = deliver, say, show_status
        self.ask_restore: Callable[[str], bool] = self._ask_restore
        self._restoring: AddInTurns | None = None
        self.error_box: QMessageBox | None = None
        panel.retried.connect(deliver)
        panel.message.connect(say)
        queue.paused_changed.connect(self._on_paused_changed)
        if generate_menu is not None:
            generate_menu.setToolTipsVisible(True)
            generate_menu.addSeparator()
            generate_menu.addAction(panel.pause_action)
            generate_menu.addAction(panel.clear_action)
        if keeper is not None:
            keeper.failed.connect(say)

    def _on_paused_changed(self, paused: bool) -> None:
        self.say("Queue paused: the running job finishes, no new job starts."
                 if paused else "Queue resumed.")

    def offer_restore(self) -> None:
        """At launch: offer the jobs the last session left waiting; :attr:`offered` then
        gives the restored jobs.

        The file is read on the queue keeper's thread and the jobs are queued a few
        milliseconds per turn of the event loop, so the window answers while 10 000 come back.
        A file that cannot be read (damaged, or from a newer version) is renamed aside, kept,
        and told. Afterwards the queue file follows this session's queue. In a second
        instance on the same data folder, the queue file is the first one's: it is neither
        offered nor written, and that is said; this one's jobs are kept in its own folder.
        """
        keeper = self.keeper
        if keeper is None:
            self.offered.emit([])
            return
        if keeper.other_instance is not None:
            who = keeper.other_instance.describe()
            self.say(f"Another t2ia desktop{f' ({who})' if who else ''} is using this data "
                     "folder: the jobs it has waiting stay with it. The jobs queued in this "
                     f"window are kept apart ({keeper.store.folder}) and offered at the first "
                     "launch after both have closed.")
            self._finish_offer([])
            return
        keeper.saved_read.connect(self._on_saved_read)
        keeper.read_saved()

    def _on_saved_read(self, saved: SavedQueue | BadInput | None) -> None:
        keeper = self.keeper
        keeper.saved_read.disconnect(self._on_saved_read)
        if isinstance(saved, BadInput):
            self._set_aside(str(saved))
            self._finish_offer([])
            return
        if saved is not None and saved.skipped:
            self._keep_copy(saved.skipped_words())
        if saved is not None and saved.requests:
            if self.ask_restore(saved.describe()):
                self._restore_in_turns(saved.requests, saved.paused)
                return
            self.say(f"Discarded {len(saved.requests)} waiting job(s) from the last session.")
        self._finish_offer([])

    def _finish_offer(self, restored: list[Job]) -> None:
        self.keeper.start()  # from now on the file follows the queue (a discarded one goes)
        self.offered.emit(restored)

    def _restore_in_turns(self, requests: list[GenerationRequest], paused: bool) -> None:
        if paused:
            self.queue.set_paused(True)
        restored: list[Job] = []
        elsewhere = [0]

        def add(request: GenerationRequest) -> None:
            job, delivered = self._add_restored(request)
            restored.append(job)
            elsewhere[0] += not delivered

        def finished() -> None:
            if self._restoring is not None:
                self._restoring.deleteLater()
            self._restoring = None
            self._say_restored(len(restored), elsewhere[0], paused)
            self._finish_offer(restored)

        self._restoring = AddInTurns(requests, add, parent=self)
        self._restoring.finished.connect(finished)
        self._restoring.start()

    def restore(self, requests: list[GenerationRequest], paused: bool) -> list[Job]:
        """Queue ``requests`` again (paused first when the last session's queue was): the
        pictures of the document's size or of its generation area's become layers, the others
        go only to the history folder. Returns the jobs and tells how many there are."""
        if paused:
            self.queue.set_paused(True)
        jobs, elsewhere = [], 0
        for request in requests:
            job, delivered = self._add_restored(request)
            jobs.append(job)
            elsewhere += not delivered
        self._say_restored(len(jobs), elsewhere, paused)
        return jobs

    def _add_restored(self, request: GenerationRequest) -> tuple[Job, bool]:
        """The job queued for ``request``, and whether its picture becomes a layer."""
        document = self.session.document
        job = self.queue.add(request)
        size = (request.width, request.height)
        if size in ((document.width, document.height), document.generation_area.size):
            self.deliver(job)  # its picture also becomes a layer (at the area) here
            return job, True
        return job, False

    def _say_restored(self, count: int, elsewhere: int, paused: bool) -> None:
        text = f"Restored {count} waiting job(s) from the last session"
        if elsewhere:
            text += (f"; {elsewhere} of another canvas size go only to the history folder "
                     "(File → Open history folder)")
        self.say(text + ("; the queue is paused: Resume to run them." if paused else "."))

    def _set_aside(self, reason: str) -> None:
        store = self.keeper.store
        try:
            aside = store.set_aside()
            kept = f"The file is kept in {aside}; new jobs are saved afresh."
        except OSError as error:
            log.warning("queue file: cannot set aside %s: %s", store.folder, error)
            kept = f"It stays in {store.folder} ({error.strerror or error})."
        self.show_error("Cannot restore the waiting jobs", f"{reason}\n\n{kept}")

    def _keep_copy(self, skipped: str) -> None:
        """Some jobs could not be read: the queue folder as it was is copied aside (the queue
        file soon follows this session's queue) and the artist is told once."""
        folder = self.keeper.store.folder
        try:
            kept = f"The saved queue as it was is kept in {keep_copy(folder)}."
        except OSError as error:
            log.warning("queue file: cannot copy %s aside: %s", folder, error)
            kept = f"A copy could not be kept ({error.strerror or error})."
        self.show_error("Some waiting jobs cannot be restored", f"{skipped}.\n\n{kept}")

    def show_error(self, title: str, text: str) -> None:
        """A dialog that does not block, and the same words in the status bar."""
        self.error_box = open_warning_box(self.parent_widget, self.error_box, title, text,
                                          self.show_status)

    def _ask_restore(self, found: str) -> bool:
        return ask_restore_or_discard(
            self.parent_widget, APP_TITLE,
            "Jobs were still waiting in the queue when t2ia desktop last closed. "
            "Restore them?", found)
