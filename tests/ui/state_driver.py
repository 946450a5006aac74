"""Runs the real app (``t2ia_desktop.cli.main.main``) in a process of its own on a data folder
whose state files may be damaged, for the start-up test. Not a test module:
``python tests/ui/state_driver.py``.

Every line the window says is printed as ``said TEXT``; the saved queue's question is answered
Restore; once the launch has offered what the last session left, the window's state is printed
as ``state {...}`` (JSON) and the window closes (a clean exit).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from t2ia_desktop.cli.main import main
from t2ia_desktop.ui.actions.generate.queue import QueueControl
from t2ia_desktop.ui.actions.projects import ProjectFiles
from t2ia_desktop.ui.window.main_window import MainWindow


def report(window: MainWindow, restored: list) -> None:
    control = window.queue_control
    history = window.results.image_history
    panel = history.panel if history is not None else None
    state = {
        "restored": [job.request.seed for job in restored],
        "queue_error": control.error_box.text() if control.error_box is not None else "",
        "history": sorted(entry.image.name for entry in panel.model.all_entries) if panel else [],
        "history_note": panel.note_label.text() if panel else "",
        "models": [model[1] for model in window.generation_settings.models],
        "recent": window.files.recent_menu.actions()[0].text(),
    }
    print(f"state {json.dumps(state)}", flush=True)
    QTimer.singleShot(0, window.close)


def drive() -> None:
    original_say = MainWindow.show_message
    original_offer = QueueControl.offer_restore

    def say(window: MainWindow, text: str) -> None:
        print(f"said {text}", flush=True)
        original_say(window, text)

    def offer_and_report(control: QueueControl) -> None:
        window = control.parent_widget
        control.offered.connect(lambda restored: report(window, restored))
        original_offer(control)

    MainWindow.show_message = say
    QueueControl.offer_restore = offer_and_report
    QueueControl._ask_restore = lambda _self, found: print(f"asked {found}", flush=True) or True
    ProjectFiles._ask_save_changes = lambda _self, _name: "discard"
    ProjectFiles._ask_restore = lambda _self, _found: False


if __name__ == "__main__":
    app = QApplication([sys.argv[0]])
    drive()
    sys.exit(main(sys.argv[1:]))
