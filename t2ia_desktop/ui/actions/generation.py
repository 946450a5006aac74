"""The window's side of generating: queue a job, deliver its image as an undoable layer."""

from __future__ import annotations

import asyncio
import logging

from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.errors import BadInput, Cancelled
from t2ia_desktop.core.generation.jobs import Job, JobState
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.core.generation.settings import skipped_note
from t2ia_desktop.runtime.runner import JobFailed
from t2ia_desktop.ui.queue.job_phase import loading_now, status_words

log = logging.getLogger("t2ia_desktop.ui.window.main_window")


class GenerationMixin:
    """Part of :class:`MainWindow`: uses its document, runner, panels, edits and status bar."""

    def generate(self) -> Job | None:
        """Queue a job from the panel's settings (Batch: that many, seeds s, s+1, …); each
        image becomes a new layer when done. Returns the first job."""
        settings = self.generation_settings
        try:
            settings.seed_for_next_run()
            request, skipped = settings.build_request(self.document, self.registry)
            jobs = self.runner.queue.add_batch(request, settings.batch)
        except BadInput as error:
            self.statusBar().showMessage(f"Cannot generate: {error}")
            return None
        note = skipped_note(skipped, request.family)
        origin = self.document.generation_area.origin  # where the frame is now
        for job in jobs:
            if note:
                self._notes[job.id] = note
            self.deliver(job, origin)
        if note:
            self.statusBar().showMessage(f"Queued. {note}", 10000)
        return jobs[0] if jobs else None

    def deliver(self, job: Job, origin: tuple[int, int] | None = None) -> None:
        """Add ``job``'s image to the current document as a layer when it is done (jobs
        queued by Generate, Retry, or restored from the last session), its top-left corner at
        ``origin`` (None: at the generation area when the sizes match, see
        :meth:`Document.result_layer`)."""
        task = asyncio.ensure_future(self._deliver(job, job.request, self.document, origin))
        self.pending_tasks.add(task)
        task.add_done_callback(self.pending_tasks.discard)

    async def _deliver(self, job: Job, request: GenerationRequest, document: Document,
                       origin: tuple[int, int] | None = None) -> None:
        try:
            image = await self.runner.wait(job)
            if document is not self.document:  # a New or Open came in between
                where = f", saved to {job.saved_to}" if job.saved_to else ""
                self.statusBar().showMessage(
                    f"A picture finished for the document you closed{where}.", 10000)
                return
            self.edits.add_result(image, request, origin)  # one undoable "Add Result n" step
        except JobFailed as error:
            self.statusBar().showMessage(f"Generation failed: {error}")
        except Cancelled:
            self.statusBar().showMessage("Generation cancelled.")
        except Exception as error:  # a result that cannot be shown must not end the app
            log.exception("could not add the result of job %s", job.id)
            self.statusBar().showMessage(f"Could not add the result: {error}")
        else:
            note = self._notes.get(job.id, "")
            if job.warning:
                text, timeout = f"Done, but: {job.warning}", 0
            elif job.saved_to:
                text, timeout = f"Done, saved to {job.saved_to}", 10000
            else:
                text, timeout = f"Done: {request.summary()}", 10000
            self.statusBar().showMessage(f"{text}. {note}" if note else text, timeout)
        finally:
            self._notes.pop(job.id, None)

    def _on_job_changed(self, _job: Job) -> None:
        queue = self.runner.queue
        running = queue.running()
        waiting = sum(1 for job in queue if job.state is JobState.QUEUED)
        parts = []
        if running is not None:
            total = max(running.total_steps, 1)
            parts.append(status_words(running))  # "Loading model…", "Generating 3/20"…
            self.progress_bar.setRange(0, 0 if loading_now(running) else total)  # 0: busy
            self.progress_bar.setValue(running.step)
        if waiting:
            parts.append(f"{waiting} waiting")
        if queue.paused:
            parts.append("queue paused")
        self.progress_bar.setVisible(running is not None)
        self.job_label.setText(" · ".join(parts))

