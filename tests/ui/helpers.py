"""Helpers for UI tests: widgets shown on screen, mouse drags with a held button, file drops,
running the qasync loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import qasync
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QAction, QDragEnterEvent, QDragMoveEvent, QDropEvent, QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from t2ia_desktop.core.conditions.plugins import PluginHost
from t2ia_desktop.core.conditions.registry import default_registry
from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.core.generation.jobs import Job
from t2ia_desktop.core.generation.request import DEFAULT_SDXL_MODEL
from t2ia_desktop.core.generation.settings import GenerationSettings
from t2ia_desktop.core.settings import SettingsStore
from t2ia_desktop.runtime.condition_updates import ConditionUpdater
from t2ia_desktop.runtime.downloads import WeightDownloads
from t2ia_desktop.runtime.previews import PreviewScheduler
from t2ia_desktop.runtime.runner import JobRunner
from t2ia_desktop.session.session import Session
from t2ia_desktop.session.tool_state import ToolState
from t2ia_desktop.ui.canvas.view import PAPER_MARGIN, CanvasView
from t2ia_desktop.ui.dialogs.model_manager import ModelsController
from t2ia_desktop.ui.dialogs.plugins import PluginsController
from t2ia_desktop.ui.dialogs.settings import SettingsController
from t2ia_desktop.ui.generate.panel import GeneratePanel
from t2ia_desktop.ui.tools.painting import painting_tools
from t2ia_desktop.ui.window.main_window import MainWindow

Shown = TypeVar("Shown", bound=QWidget)


def shown(qtbot: QtBot, widget: Shown) -> Shown:
    """``widget`` shown and exposed on screen; qtbot closes it after the test."""
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def generate_panel(document: Document, models: list | tuple) -> GeneratePanel:
    """A Generate panel on ``document`` offering ``models`` (the first chosen), with its own
    settings and a session of its own that knows the built-in conditions."""
    session = Session(document, registry=default_registry())
    return GeneratePanel(GenerationSettings.for_models(models), session)


def painting_canvas(shows: Document | Session, tool_state: ToolState) -> CanvasView:
    """A canvas on a session (or a new session of a document, with its own history) with the
    brush, eraser, fill and picker registered, as the window registers them."""
    session = shows if isinstance(shows, Session) else Session(shows)
    view = CanvasView(session, tool_state)
    for name, tool in painting_tools(view, tool_state).items():
        view.add_tool(name, tool)
    return view


def main_window(document: Document, runner: JobRunner, models: list | tuple, *,
                updater: ConditionUpdater | None = None,
                scheduler: PreviewScheduler | None = None, **options: Any) -> MainWindow:
    """The window as app.py assembles it around ``document``: a session whose condition
    layers follow ``updater`` (or a new one on ``scheduler`` with the built-in conditions),
    Generate settings offering ``models``, a tool state and weight downloads of its own unless
    ``options`` give them."""
    if updater is None:
        assert scheduler is not None, "give the window an updater or a detector scheduler"
        updater = ConditionUpdater(document, default_registry(), scheduler)
    options.setdefault("tool_state", ToolState())
    options.setdefault("downloads", WeightDownloads())
    return MainWindow(Session(document, updater), runner, GenerationSettings.for_models(models),
                      **options)


def plugins_controller(window: MainWindow, host: PluginHost) -> PluginsController:
    """Help → Plugins… for ``host``'s plugins in ``window``, wired as app.py wires it."""
    controller = PluginsController(host, window.updater, window.menuBar(), window.show_message,
                                   window)
    controller.reloaded.connect(window.condition_actions.fill_add_condition_menu)
    controller.reloaded.connect(window.condition_panel.rebuild)
    return controller


def settings_controller(window: MainWindow, store: SettingsStore,
                        say: Callable[[str], None] | None = None) -> SettingsController:
    """Edit → Settings… on ``store`` in ``window``, wired as app.py wires it; ``say`` instead
    of the window's status bar when given."""
    autosaver = window.autosaver
    return SettingsController(
        store, window.runner.queue, window.edit_menu, say or window.show_message, window,
        set_autosave_interval=autosaver.set_interval if autosaver is not None else None,
        set_live_opacity=window.live.set_opacity, set_live_steps=window.live.set_live_steps)


def models_controller(window: MainWindow, **options: Any) -> ModelsController:
    """Models → Manage models… and Memory in ``window``, as app.py builds them; ``options``
    (models, downloads, settings) go to the controller."""
    controller = ModelsController(
        window.generation_settings, window.registry, window.weights_offer.downloads,
        menus=window.menuBar(), status_bar=window.statusBar(), say=window.show_message,
        parent=window, **options)
    window.first_run.get_model_requested.connect(  # the first-run banner's button
        lambda: controller.open_dialog(select=DEFAULT_SDXL_MODEL))
    return controller


def shown_canvas(qtbot: QtBot, shows: Document | Session, tool_state: ToolState) -> CanvasView:
    """A painting canvas on a session (or a document) at scale 2: the paper fills it but for
    the desk margin."""
    view = painting_canvas(shows, tool_state)
    document = view.document
    view.resize(2 * document.width + 2 * PAPER_MARGIN, 2 * document.height + 2 * PAPER_MARGIN)
    return shown(qtbot, view)


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
    loop.run_until_complete(asyncio.gather(*window.generation.pending_tasks))


def generate_and_wait(loop: qasync.QEventLoop, window: MainWindow) -> tuple[Job | None, list[int]]:
    """Press Generate and run the loop until the result is delivered.

    Returns the job and every step the queue reported on the way.
    """
    progress: list[int] = []
    window.runner.queue.job_changed.connect(lambda job: progress.append(job.step))
    job = window.generate()
    finish_pending(loop, window)
    return job, progress


def ask_for_batch(window: MainWindow, prompt: str, first_seed: int, count: int) -> None:
    """Type ``prompt`` and set Generate to queue ``count`` pictures, seeds counting up from
    ``first_seed``."""
    panel = window.generate_panel
    panel.prompt_edit.setPlainText(prompt)
    panel.new_seed_check.setChecked(False)
    panel.seed_spin.setValue(first_seed)
    panel.batch_spin.setValue(count)


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


# -- condition layers in the window ----------------------------------------------------------
DETECT_TIMEOUT = 60_000  # the first run imports the detectors (and torch) in their thread
EDGE = 30
"""Canny's 1-pixel edges, found at its detect resolution (512) and scaled back to this small
canvas, are faint grey lines: anything above this is an edge."""


INDICATOR = QPoint(8, 8)
"""Where a checkbox's box is: a click there toggles it, wherever its text ends."""


def click_row(qtbot, window: MainWindow, layer: Layer) -> None:
    """Select ``layer`` in Layers with the mouse (on its name line)."""
    panel = window.layers_panel
    panel.list_widget.scrollToItem(panel.item_for(layer))
    box = panel.list_widget.visualItemRect(panel.item_for(layer))
    qtbot.mouseClick(panel.list_widget.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(box.center().x(), box.top() + 8))
    assert panel.selected_layer() is layer


def menu_action(window: MainWindow, condition: str) -> QAction:
    """The Add condition layer menu's entry for ``condition``, as the menu shows it now."""
    actions = window.condition_actions
    actions.add_condition_menu.aboutToShow.emit()  # what opening the menu does
    (action,) = [a for a in actions.add_condition_menu.actions()
                 if a.objectName() == f"add_{condition}"]
    return action


def detected(qtbot, document: Document, layer: Layer | None = None):
    """Wait for a detector's result to land in ``layer`` (any condition layer when None)."""
    return qtbot.waitSignal(
        document.pixels_changed, timeout=DETECT_TIMEOUT,
        check_params_cb=lambda changed, _rect: (changed is layer if layer
                                                else changed.kind == "condition"),
    )


def add_canny(qtbot, window: MainWindow, photo_path: str) -> tuple[Layer, Layer]:
    """Import ``photo_path``, select it, and add a canny layer from it with the menu."""
    photo = window.import_photo(photo_path)
    click_row(qtbot, window, photo)
    with detected(qtbot, window.document) as got:
        menu_action(window, "canny").trigger()
    edges = got.args[0]
    assert edges.condition.condition == "canny"
    assert edges.condition.source_id == photo.id
    return photo, edges
