"""Generate: queue jobs from the Generate settings, deliver their images as undoable layers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QCheckBox, QMessageBox, QWidget

from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.core.errors import BadInput, Cancelled
from t2ia_desktop.core.generation.jobs import Job
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.core.generation.settings import GenerationSettings, skipped_note
from t2ia_desktop.core.settings import SettingsStore
from t2ia_desktop.runtime.runner import JobFailed, JobRunner
from t2ia_desktop.session.session import Session

log = logging.getLogger(__name__)


def failed_conditions(document: Document) -> list[Layer]:
    """Condition layers ticked "Use" that cannot give a control image (their detector
    failed and they have none to keep): Generate leaves them out."""
    return [layer for layer in document.condition_layers()
            if layer.condition is not None and layer.condition.enabled
            and layer.condition.error and layer.is_blank()]

NOTE_MS = 10_000
"""How long a "Queued" or "Done" message stays in the status bar."""


class GenerationController(QObject):
    """Queues jobs built from ``settings`` for ``session``'s document on ``runner`` and adds
    each finished image to that document as a result layer (one undo step).

    ``show_status(text, timeout_ms)`` puts a message in the status bar (0: until the next
    one): queued, done, failed, cancelled, or why nothing was queued.
    """

    def __init__(self, session: Session, settings: GenerationSettings, runner: JobRunner,
                 show_status: Callable[[str, int], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.settings = settings
        self.runner = runner
        self.show_status = show_status
        self.pending_tasks: set[asyncio.Future[None]] = set()
        """The deliveries still waiting for their job to finish."""
        self._notes: dict[int, str] = {}  # job id → what its request left out
        self.preferences: SettingsStore | None = None
        """The artist's settings, where "don't ask again" is kept (app.py sets it)."""
        self.ask_without: Callable[[list[str]], tuple[bool, bool]] = self._ask_without
        """Asks whether to generate without the named failed condition layers: (go on,
        don't ask again); tests replace it."""
        self._asking = True  # without a settings store: for this session

    def generate(self) -> Job | None:
        """Queue a job from the Generate settings (Batch: that many, seeds s, s+1, …); each
        image becomes a new layer when done. Returns the first job. Condition layers that
        cannot give a control image are left out, after asking (unless told not to ask)."""
        settings, document = self.settings, self.session.document
        failed = failed_conditions(document)
        if failed and not self._confirm_without(failed):
            self.show_status("Not generated: fix or untick the condition layer that has no "
                             "control image.", NOTE_MS)
            return None
        try:
            settings.seed_for_next_run()
            request, skipped = settings.build_request(document, self.session.registry)
            jobs = self.runner.queue.add_batch(request, settings.batch)
        except BadInput as error:
            self.show_status(f"Cannot generate: {error}", 0)
            return None
        note = skipped_note(skipped, request.family)
        origin = document.generation_area.origin  # where the frame is now
        for job in jobs:
            if note:
                self._notes[job.id] = note
            self.deliver(job, origin)
        if note:
            self.show_status(f"Queued. {note}", NOTE_MS)
        return jobs[0] if jobs else None

    def _confirm_without(self, failed: list[Layer]) -> bool:
        store = self.preferences
        asking = store.settings.ask_before_leaving_out if store is not None else self._asking
        if not asking:
            return True
        go_on, never_again = self.ask_without([layer.name for layer in failed])
        if go_on and never_again:
            self._asking = False
            if store is not None:
                try:
                    store.save(replace(store.settings, ask_before_leaving_out=False))
                except (OSError, ValueError) as error:
                    log.warning("could not keep “don't ask again”: %s", error)
        return go_on

    def _ask_without(self, names: list[str]) -> tuple[bool, bool]:
        parent = self.parent()
        box = QMessageBox(parent if isinstance(parent, QWidget) else None)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Generate without a control?")
        listed = ", ".join(f"“{name}”" for name in names)
        box.setText(f"{listed} {'has' if len(names) == 1 else 'have'} no control image "
                    "(see the Condition dock). Generate without "
                    f"{'it' if len(names) == 1 else 'them'}?")
        without = box.addButton("Generate without it" if len(names) == 1
                                else "Generate without them", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(without)
        never = QCheckBox("Don't ask again")
        box.setCheckBox(never)
        box.exec()
        return box.clickedButton() is without, never.isChecked()

    def deliver(self, job: Job, origin: tuple[int, int] | None = None) -> None:
        """Add ``job``'s image to the current document as a layer when it is done (jobs
        queued by Generate, Retry, or restored from the last session), its top-left corner at
        ``origin`` (None: at the generation area when the sizes match, see
        :meth:`Document.result_layer`)."""
        task = asyncio.ensure_future(
            self._deliver(job, job.request, self.session.document, origin))
        self.pending_tasks.add(task)
        task.add_done_callback(self.pending_tasks.discard)

    def cancel_deliveries(self) -> None:
        """Stop waiting for the jobs queued so far (the window closes): their images are
        still saved to the history, but no longer become layers."""
        for task in list(self.pending_tasks):
            task.cancel()

    async def _deliver(self, job: Job, request: GenerationRequest, document: Document,
                       origin: tuple[int, int] | None = None) -> None:
        try:
            image = await self.runner.wait(job)
            if document is not self.session.document:  # a New or Open came in between
                where = f", saved to {job.saved_to}" if job.saved_to else ""
                self.show_status(
                    f"A picture finished for the document you closed{where}.", NOTE_MS)
                return
            self.session.edits.add_result(image, request, origin)  # one "Add Result n" step
        except JobFailed as error:
            self.show_status(f"Generation failed: {error}", 0)
        except Cancelled:
            self.show_status("Generation cancelled.", 0)
        except Exception as error:  # a result that cannot be shown must not end the app
            log.exception("could not add the result of job %s", job.id)
            self.show_status(f"Could not add the result: {error}", 0)
        else:
            self.show_status(*self._done_words(job, request))
        finally:
            self._notes.pop(job.id, None)

    def _done_words(self, job: Job, request: GenerationRequest) -> tuple[str, int]:
        """The status message for a delivered job, and how long it stays."""
        note = self._notes.get(job.id, "")
        if job.warning:
            text, timeout = f"Done, but: {job.warning}", 0
        elif job.saved_to:
            text, timeout = f"Done, saved to {job.saved_to}", NOTE_MS
        else:
            text, timeout = f"Done: {request.summary()}", NOTE_MS
        return (f"{text}. {note}" if note else text), timeout
