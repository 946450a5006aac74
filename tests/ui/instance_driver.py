"""Runs the real app (``t2ia_desktop.cli.main.main``) in a process of its own, for the test of two
instances on one data folder. Not a test module: ``python tests/ui/instance_driver.py MODE``.

Every line the window says is printed as ``said TEXT``; every question at launch as ``asked
recovery TEXT`` or ``asked queue TEXT``.

hold      answer no question; pause the queue, queue 5 jobs and paint a stroke; once the queue
          file and the autosave are written print ``ready`` and keep running (the test kills it)
discard   answer Discard to every question; once the launch offered what it found, queue one
          job in a paused queue, print ``state {...}`` and close the window (a clean exit)
restore   the same, answering Restore
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
from tests.ui.app_driver import mouse, the_window

JOBS = 5


def hold() -> None:
    done = {"queue": False, "autosave": False}

    def ready_when(part: str) -> None:
        if not done[part]:
            done[part] = True
            if all(done.values()):
                print("ready", flush=True)

    def work() -> None:
        window = the_window()
        if window is None:
            QTimer.singleShot(50, work)
            return
        window.autosaver.written.connect(lambda _path: ready_when("autosave"))
        keeper = window.queue_control.keeper
        window.runner.queue.set_paused(True)
        window.generate_panel.prompt_edit.setPlainText("kept by the first window")
        keeper.written.connect(
            lambda: len(keeper.queue.pending()) == JOBS and ready_when("queue"))
        for _ in range(JOBS):
            window.generate()
        canvas, height = window.canvas, window.document.height
        from PySide6.QtCore import QEvent

        mouse(canvas, QEvent.Type.MouseButtonPress, 40, height / 2)
        for x in range(60, 200, 20):
            mouse(canvas, QEvent.Type.MouseMove, x, height / 2)
        mouse(canvas, QEvent.Type.MouseButtonRelease, 200, height / 2)

    QTimer.singleShot(0, work)


def answer(restore: bool) -> None:
    asked: dict[str, list[str]] = {"recovery": [], "queue": []}

    def ask(kind: str):
        def asking(_self, found: str) -> bool:
            asked[kind].append(found)
            print(f"asked {kind} {found}", flush=True)
            return restore
        return asking

    ProjectFiles._ask_restore = ask("recovery")
    QueueControl._ask_restore = ask("queue")
    ProjectFiles._ask_save_changes = lambda _self, _name: "discard"
    original_offer = QueueControl.offer_restore

    def offer_and_report(control: QueueControl) -> None:
        window: MainWindow = control.parent_widget

        def report(restored: list) -> None:
            if not restore:
                window.runner.queue.set_paused(True)
                window.generate_panel.prompt_edit.setPlainText("kept by the second window")
                window.generate()
            state = {"asked": asked, "restored": [job.request.prompt for job in restored],
                     "paused": window.runner.queue.paused,
                     "ink": int(window.document.sketch_layer().pixels[..., 3].sum())}
            print(f"state {json.dumps(state)}", flush=True)
            QTimer.singleShot(0, window.close)

        control.offered.connect(report)
        original_offer(control)

    QueueControl.offer_restore = offer_and_report


def say_lines() -> None:
    original_say = MainWindow.show_message

    def say(window: MainWindow, text: str) -> None:
        print(f"said {text}", flush=True)
        original_say(window, text)

    MainWindow.show_message = say


if __name__ == "__main__":
    mode = sys.argv[1]
    app = QApplication([sys.argv[0]])
    say_lines()
    if mode == "hold":
        hold()
    else:
        answer(restore=mode == "restore")
    sys.exit(main([]))
