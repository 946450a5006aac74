"""The window's side of live mode: the Live toggle, the Live dock with the live picture beside
the canvas, the "Live: updating…" indicator and Keep live result.

While Live is on, every finished change to the document (a stroke, any undoable edit, a control
image the detector updated) and every change of a generation setting asks the
:class:`LiveSession` for a new picture in a few steps; it keeps the latest only. The picture
shows in the Live dock (and over the canvas too when the dock's *Over canvas* is ticked); it is
no layer, no undo step and is not saved, until the artist keeps it (Keep, Generate → Keep live
result), which adds a result layer as one undo step. Turning Live off keeps the last picture in
the dock, and a live job at least half done finishes there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PIL import Image
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMenu, QStatusBar, QToolBar, QWidget

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.phases import LOADING_PHASES
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.core.generation.settings import GenerationSettings
from t2ia_desktop.core.settings import LIVE_STEPS_RANGE
from t2ia_desktop.runtime.live import LiveSession, live_request
from t2ia_desktop.runtime.runner import JobRunner
from t2ia_desktop.session.session import Session
from t2ia_desktop.ui.canvas.live_overlay import LiveOverlay, pil_to_qimage
from t2ia_desktop.ui.canvas.view import CanvasView
from t2ia_desktop.ui.common.widgets import ModelConnections
from t2ia_desktop.ui.generate.live_panel import LivePanel

log = logging.getLogger(__name__)

INDICATOR_TIP = "Live mode: whether the live picture is being updated"


def take_height(heights: list[int], below: list[bool], wanted: int,
                minimums: list[int]) -> list[int]:
    """The heights of a dock column once ``wanted`` pixels are taken for a new dock: from the
    docks ``below`` it first, then from the others, none under its minimum."""
    sizes = list(heights)
    for first in (True, False):
        for index, height in enumerate(sizes):
            if wanted <= 0:
                return sizes
            if below[index] is first:
                taken = min(wanted, max(0, height - minimums[index]))
                sizes[index] -= taken
                wanted -= taken
    return sizes


class LiveController(QObject):
    """Live mode for ``session``'s document: pictures from ``settings`` made on ``runner``,
    shown in the Live dock (:attr:`dock`) beside ``canvas``. Its actions work anywhere in
    ``parent`` (their shortcuts); :meth:`install` puts them in a toolbar and a menu, the dock
    in the window and the indicator in the status bar; ``say`` shows a message in the status
    bar."""

    live_steps_changed = Signal(int)  # the artist set Live steps in the dock (to be saved)

    def __init__(self, session: Session, settings: GenerationSettings, runner: JobRunner,
                 canvas: CanvasView, say: Callable[[str], None], parent: QWidget) -> None:
        super().__init__(parent)
        self.document_session = session
        """The open document, its edits and its condition updates (``session`` is live's)."""
        self.settings, self.canvas, self.say = settings, canvas, say
        self.session = LiveSession(runner, self)
        self.overlay = LiveOverlay(canvas)
        self.over_canvas = False
        """Whether the live picture is drawn over the canvas as well as in the dock."""
        self._last_submitted: dict | None = None
        self._failure = ""
        self._step = (0, 0, "")  # the running live job's step, steps and phase
        self._window: QMainWindow | None = None
        self._beside: QDockWidget | None = None  # the dock the Live dock is placed under

        self.live_action = QAction("Live", parent)
        self.live_action.setCheckable(True)
        self.live_action.setShortcut(QKeySequence("Ctrl+L"))
        tip = ("Live mode: a new picture in a few steps after every stroke or setting change, "
               "with a fixed seed, shown in the Live dock (Ctrl+L)")
        self.live_action.setToolTip(tip)
        self.live_action.setStatusTip(tip)
        self.live_action.toggled.connect(self.set_live)
        parent.addAction(self.live_action)
        self.keep_action = QAction("Keep live result", parent)
        self.keep_action.setShortcut(QKeySequence("Ctrl+Shift+L"))
        keep_tip = "Add the live picture as a result layer (one undo step) (Ctrl+Shift+L)"
        self.keep_action.setToolTip(keep_tip)
        self.keep_action.setStatusTip(keep_tip)
        self.keep_action.setEnabled(False)
        self.keep_action.triggered.connect(self.keep_live_result)
        parent.addAction(self.keep_action)

        self.indicator = QLabel()
        self.indicator.setToolTip(INDICATOR_TIP)
        self.indicator.hide()
        self.panel = LivePanel(self.live_action, self.keep_action, LIVE_STEPS_RANGE,
                               self.session.steps)
        self.dock = QDockWidget("Live", parent)
        self.dock.setObjectName("live_dock")
        self.dock.setWidget(self.panel)
        self.dock.setToolTip("The live picture beside the canvas: your strokes stay visible")
        self.panel.steps_changed.connect(self._on_steps_edited)
        self.panel.over_canvas_changed.connect(self.set_over_canvas)

        # Changes arrive in bursts (a stroke ends, a detector finishes, a slider moves): one
        # request per pass of the event loop is enough, the session keeps the latest anyway.
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.submit_now)
        self.session.updating_changed.connect(self._show_state)
        self.session.progress.connect(self._on_progress)
        self.session.result_ready.connect(self._on_result)
        self.session.failed.connect(self._on_failed)
        self.connections = ModelConnections()
        self.connections.connect(session.undo.changed, self.schedule)
        self.connections.drop_with(parent)
        self.connections.connect(settings.events.all, self.schedule)
        session.document_changed.connect(self._on_document_changed)
        if session.updater is not None:
            session.updater.layer_busy.connect(self._on_detector_busy)
        parent.destroyed.connect(self._timer.stop)
        self._show_state()

    def install(self, window: QMainWindow, beside: QDockWidget | None, toolbar: QToolBar | None,
                menus: tuple[QMenu | None, QMenu | None], status_bar: QStatusBar) -> None:
        """Put the Live dock under ``beside`` (hidden until Live is turned on), Live in
        ``toolbar``, Live and Keep live result at the end of the Generate menu and the dock's
        toggle in the View menu (``menus``), and the "Live: updating…" indicator at the right
        of ``status_bar``."""
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        if beside is not None:
            window.splitDockWidget(beside, self.dock, Qt.Orientation.Vertical)
        self.dock.hide()
        self._window, self._beside = window, beside
        status_bar.addPermanentWidget(self.indicator)
        if toolbar is not None:
            toolbar.addAction(self.live_action)
        generate_menu, view_menu = menus
        if generate_menu is not None:
            generate_menu.addSeparator()
            generate_menu.addAction(self.live_action)
            generate_menu.addAction(self.keep_action)
        if view_menu is not None:
            view_menu.addAction(self.dock.toggleViewAction())

    @property
    def live(self) -> bool:
        return self.session.enabled

    def set_opacity(self, opacity: float) -> None:
        """How strongly the live picture covers the canvas, 0–1 (Settings)."""
        self.overlay.opacity = min(1.0, max(0.0, opacity))
        self.overlay.update()

    def set_live_steps(self, steps: int) -> None:
        """The Live steps setting (Settings), shown in the dock; a change asks again."""
        if steps != self.session.steps:
            self.session.set_steps(steps)
            self.schedule()
        self.panel.show_steps(self.session.steps)

    def set_over_canvas(self, over: bool) -> None:
        """Draw the live picture over the canvas as well as in the dock."""
        self.over_canvas = over
        if self.panel.over_canvas_check.isChecked() != over:
            self.panel.over_canvas_check.setChecked(over)
        self._show_overlay()

    def set_live(self, live: bool) -> None:
        """Turn live mode on (the Live dock shows, a first picture is asked for at once) or
        off (a live job at least half done finishes, in the dock)."""
        if self.live_action.isChecked() != live:
            self.live_action.setChecked(live)  # comes back here through toggled
            return
        self.session.set_enabled(live)
        self._last_submitted = None
        if live:
            self._show_dock()
            self.schedule()
        else:
            self._timer.stop()
        self._show_overlay()
        self.keep_action.setEnabled(self.session.result is not None)
        self._show_state()

    def _show_dock(self) -> None:
        """Show the Live dock with a picture as wide as its column (at most half of it high),
        its height taken from the docks below it first."""
        window = self._window
        if self.dock.isVisible() or window is None:
            return
        area = window.dockWidgetArea(self.dock)
        column = sorted((dock for dock in window.findChildren(QDockWidget)
                         if dock is not self.dock and dock.isVisible() and not dock.isFloating()
                         and window.dockWidgetArea(dock) == area),
                        key=lambda dock: dock.geometry().y())
        heights = [dock.height() for dock in column]
        top = self._beside.geometry().y() if self._beside is not None else -1
        below = [dock.geometry().y() > top for dock in column]  # placed under Generate
        self.dock.show()
        self.dock.raise_()
        if self.dock.isFloating() or not column:
            return
        total = sum(heights)
        want = max(200, min(self.dock.width() + 90, total // 2))
        minimums = [max(dock.minimumSizeHint().height(), dock.minimumHeight())
                    for dock in column]
        sizes = take_height(heights, below, want, minimums)
        window.resizeDocks([*column, self.dock], [*sizes, want], Qt.Orientation.Vertical)

    def _show_overlay(self) -> None:
        image = self.panel.picture.image
        self.overlay.set_image(image if self.live and self.over_canvas else None)

    def schedule(self, *_args) -> None:
        """Ask for a live picture once the current burst of changes is over."""
        if self.session.enabled:
            self._timer.start()

    def flush(self) -> None:
        """Send what is scheduled now instead of at the next turn of the event loop (tests show
        with it that nothing was scheduled, without waiting)."""
        if self._timer.isActive():
            self._timer.stop()
            self.submit_now()

    @property
    def scheduled(self) -> bool:
        """Whether a new live picture is waiting to be asked for."""
        return self._timer.isActive()

    def submit_now(self) -> None:
        """Send the current settings to the live session, unless nothing changed."""
        if not self.session.enabled or self.canvas.stroking:
            return  # a stroke being drawn asks again when it ends (its undo step)
        try:
            request = self._build_request()
            described = live_request(request, self.session.steps).to_metadata()
            if described == self._last_submitted:
                return
            self.session.submit(request)
        except BadInput as error:
            self._failure = f"cannot generate: {error}"
            self._show_state()
            return
        self._last_submitted = described

    def _build_request(self) -> GenerationRequest:
        """The Generate settings' request, with their seed: live keeps the seed."""
        session = self.document_session
        request, _skipped = self.settings.build_request(session.document, session.registry)
        return request

    def keep_live_result(self) -> None:
        """Keep (Generate → Keep live result): the live picture becomes a result layer
        (undoable)."""
        if self.session.result is None:
            self.say("No live picture yet: turn Live on (Ctrl+L) and draw.")
            return
        layer = self.document_session.edits.add_result(self.session.result,
                                                       self.session.result_request)
        self.say(f"Kept the live picture as “{layer.name}” (Ctrl+Z undoes).")

    def _on_steps_edited(self, steps: int) -> None:
        self.session.set_steps(steps)
        self.schedule()
        self.live_steps_changed.emit(self.session.steps)

    def _on_detector_busy(self, _layer, busy: bool) -> None:
        if not busy:
            self.schedule()

    def _on_document_changed(self, _document) -> None:
        """Another document is open: the last live picture belonged to the old one."""
        self.session.clear_result()
        self.panel.set_image(None)
        self._show_overlay()
        self.keep_action.setEnabled(False)
        self._last_submitted = None
        self.schedule()

    def _on_progress(self, step: int, total: int, phase: str) -> None:
        self._step = (step, total, phase)
        self._show_state()

    def _on_result(self, image: Image.Image, _request: GenerationRequest) -> None:
        self._failure = ""
        self.panel.set_image(pil_to_qimage(image))
        self._show_overlay()
        self.keep_action.setEnabled(True)
        self._show_state()

    def _on_failed(self, message: str) -> None:
        self._failure = f"failed: {message}"
        self._show_state()

    def _show_state(self, *_args) -> None:
        """The indicator in the status bar (while Live is on) and the dock's status line."""
        session = self.session
        self.panel.set_waiting(session.updating)
        step, total, phase = self._step if session.job is not None else (0, 0, "")
        steps = f" step {step}/{total}" if total else ""
        if not step and phase in LOADING_PHASES:
            steps = f" {phase}"  # starting the engine, loading the model…
        if not session.enabled:
            self.indicator.hide()
            if session.job is not None:
                self.panel.set_status(f"Live is off: finishing this picture…{steps}")
            elif session.result is not None:
                self.panel.set_status("Live is off. Keep adds the last picture as a layer.")
            else:
                self.panel.set_status("Live is off.")
            return
        if self._failure and not session.updating:
            text, tip = f"Live: {self._failure}", self._failure
        else:
            text = "Live: updating…" if session.updating else "Live: up to date"
            tip = INDICATOR_TIP
        self.indicator.setText(text)
        self.indicator.setToolTip(tip)
        self.indicator.show()
        self.panel.set_status(text + steps if session.updating else text, tip)
