"""Runs the real app (``t2ia_desktop.cli.main.main``) in a process of its own and drives it, for the
crash-recovery test. Not a test module: ``python tests/ui/app_driver.py MODE [ARGS…]``.

crash    paint a stroke and type a prompt, wait for the autosave, print ``autosaved PATH`` and
         keep running (the test kills the process with SIGKILL)
restore  accept the recovery the app offers at launch, print the window's state as JSON
         (``state {...}``), then close the window, discarding (a clean exit)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QEvent, QPointF, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from t2ia_desktop.cli.main import main
from t2ia_desktop.ui.actions.projects import ProjectFiles
from t2ia_desktop.ui.window.main_window import MainWindow


def the_window() -> MainWindow | None:
    return next((w for w in QApplication.topLevelWidgets()
                 if isinstance(w, MainWindow) and w.isVisible()), None)


def mouse(canvas, kind: QEvent.Type, x: float, y: float) -> None:
    point = canvas.from_document(QPointF(x, y))
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease \
        else Qt.MouseButton.LeftButton
    event = QMouseEvent(kind, point, canvas.mapToGlobal(point), Qt.MouseButton.LeftButton
                        if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton,
                        buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(canvas, event)


def crash_mode() -> None:
    def paint() -> None:
        window = the_window()
        if window is None:
            QTimer.singleShot(50, paint)
            return
        window.autosaver.written.connect(lambda path: print(f"autosaved {path}", flush=True))
        window.generate_panel.prompt_edit.setPlainText("a lighthouse, recovered")
        canvas = window.canvas
        window.tool_state.set_brush_size(12)
        height = window.document.height
        mouse(canvas, QEvent.Type.MouseButtonPress, 40, height / 2)
        for x in range(60, 300, 20):
            mouse(canvas, QEvent.Type.MouseMove, x, height / 2)
        mouse(canvas, QEvent.Type.MouseButtonRelease, 300, height / 2)
        print(f"painted {int(window.document.sketch_layer().pixels[..., 3].sum())}", flush=True)

    QTimer.singleShot(0, paint)


def restore_mode() -> None:
    offered: list[str] = []

    def accept(_self, found: str) -> bool:
        offered.append(found)
        return True

    ProjectFiles._ask_restore = accept
    ProjectFiles._ask_save_changes = lambda _self, _name: "discard"
    original = MainWindow.offer_recovery

    def offer_and_report(window: MainWindow) -> bool:
        restored = original(window)
        sketch = window.document.sketch_layer()
        state = {
            "restored": restored,
            "offered": offered,
            "title": window.windowTitle(),
            "ink": int(sketch.pixels[..., 3].sum()) if sketch is not None else 0,
            "prompt": window.generate_panel.prompt_edit.toPlainText(),
            "size": [window.document.width, window.document.height],
            "folder": str(window.autosaver.folder),
        }
        print(f"state {json.dumps(state)}", flush=True)
        QTimer.singleShot(0, window.close)
        return restored

    MainWindow.offer_recovery = offer_and_report


if __name__ == "__main__":
    mode, *rest = sys.argv[1:]
    app = QApplication([sys.argv[0]])
    {"crash": crash_mode, "restore": restore_mode}[mode]()
    sys.exit(main(rest))
