"""Runs the real app (``t2ia_desktop.cli.main.main``) on the demo model in a process of its own and
queues a batch, for the kill-during-a-job test. Not a test module:
``python tests/ui/queue_driver.py COUNT [ARGS…]``.

Once the app has offered (nothing) to restore, it switches to a 128×128 canvas, queues COUNT
jobs of 4 steps with seeds 7, 8, … and prints ``finished SEED PATH`` as each one's picture is
in the history, then ``ready`` after the second one; it keeps running (the test kills it).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from t2ia_desktop.cli.main import main
from t2ia_desktop.core.document.document import Document
from t2ia_desktop.ui.window.main_window import MainWindow

FIRST_SEED = 7


def the_window() -> MainWindow | None:
    return next((w for w in QApplication.topLevelWidgets()
                 if isinstance(w, MainWindow) and w.isVisible()), None)


def queue_batch(count: int) -> None:
    window = the_window()
    if window is None or not window.queue_control.keeper.started:
        QTimer.singleShot(50, lambda: queue_batch(count))  # after the launch's offers
        return
    window.session.set_document(Document.with_sketch_layer(128, 128))
    panel = window.generate_panel
    panel.prompt_edit.setPlainText("a lighthouse, killed mid-run")
    panel.steps_spin.setValue(4)
    panel.new_seed_check.setChecked(False)
    panel.seed_spin.setValue(FIRST_SEED)
    panel.batch_spin.setValue(count)
    finished: list[int] = []

    def on_finished(job) -> None:
        print(f"finished {job.request.seed} {job.state.value} {job.saved_to}", flush=True)
        finished.append(job.request.seed)
        if len(finished) == 2:
            print("ready", flush=True)

    window.runner.job_finished.connect(on_finished)
    window.generate()
    print(f"queued {count}", flush=True)


if __name__ == "__main__":
    jobs, *rest = sys.argv[1:]
    app = QApplication([sys.argv[0]])
    QTimer.singleShot(0, lambda: queue_batch(int(jobs)))
    sys.exit(main(rest))
