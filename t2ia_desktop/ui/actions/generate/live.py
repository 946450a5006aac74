"""The window's side of live mode: the Live toggle, the live picture over the canvas, the
"Live: updating…" indicator and Keep live result.

While Live is on, every finished change to the document (a stroke, any undoable edit, a control
image the detector updated) and every change of a generation setting asks the
:class:`LiveSession` for a new picture; it keeps the latest only. The live picture is drawn over
the canvas by :class:`LiveOverlay`; it is no layer, no undo step and is not saved, until the
artist keeps it (Generate → Keep live result), which adds a result layer as one undo step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PIL import Image
from PySide6.QtCore import QObject, QRectF, Qt, QTimer
from PySide6.QtGui import QAction, QImage, QKeySequence, QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QMenu, QStatusBar, QToolBar, QWidget

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.core.generation.settings import GenerationSettings
from t2ia_desktop.runtime.live import LiveSession
from t2ia_desktop.runtime.runner import JobRunner
from t2ia_desktop.session.session import Session
from t2ia_desktop.ui.canvas.view import CanvasView
from t2ia_desktop.ui.common.widgets import ModelConnections

log = logging.getLogger(__name__)

LIVE_OPACITY = 0.85
"""How strongly the live picture covers the canvas: the strokes under it still show a little."""


def pil_to_qimage(image: Image.Image) -> QImage:
    rgba = image.convert("RGBA")
    data = rgba.tobytes()
    qimage = QImage(data, rgba.width, rgba.height, rgba.width * 4, QImage.Format.Format_RGBA8888)
    return qimage.copy()  # owns its pixels


class LiveOverlay(QWidget):
    """The live picture drawn over the canvas paper, following zoom, pan and rotation; mouse
    events go through to the canvas."""

    def __init__(self, canvas: QWidget) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self.image: QImage | None = None
        self.opacity = LIVE_OPACITY
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setGeometry(canvas.rect())
        canvas.installEventFilter(self)
        view_changed = getattr(canvas, "view_changed", None)
        if view_changed is not None:
            view_changed.connect(self.update)
        self.hide()

    def eventFilter(self, watched: QObject, event) -> bool:
        if watched is self.canvas and event.type() == event.Type.Resize:
            self.setGeometry(self.canvas.rect())
        return False

    def set_image(self, image: Image.Image | None) -> None:
        self.image = None if image is None else pil_to_qimage(image)
        self.setVisible(self.image is not None)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        if self.image is None:
            return
        document = self.canvas.document
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.setOpacity(self.opacity)
        view = getattr(self.canvas, "view", None)
        if view is not None:
            painter.setTransform(view.transform())
            area = document.generation_area  # a live picture of the area lands on it
            if (self.image.width(), self.image.height()) == area.size:
                painter.drawImage(QRectF(*area.rect), self.image)
            else:
                painter.drawImage(QRectF(0, 0, document.width, document.height), self.image)
        else:
            painter.drawImage(self.canvas.paper_rect(), self.image)
        painter.end()


class LiveController(QObject):
    """Live mode for ``session``'s document: pictures from ``settings`` made on ``runner``,
    drawn over ``canvas``. Its actions work anywhere in ``parent`` (their shortcuts);
    :meth:`install` puts them in a toolbar and a menu and the indicator in the status bar;
    ``say`` shows a message in the status bar."""

    def __init__(self, session: Session, settings: GenerationSettings, runner: JobRunner,
                 canvas: CanvasView, say: Callable[[str], None], parent: QWidget) -> None:
        super().__init__(parent)
        self.document_session = session
        """The open document, its edits and its condition updates (``session`` is live's)."""
        self.settings, self.canvas, self.say = settings, canvas, say
        self.session = LiveSession(runner, self)
        self.overlay = LiveOverlay(canvas)
        self._last_submitted: dict | None = None
        self._failure = ""

        self.live_action = QAction("Live", parent)
        self.live_action.setCheckable(True)
        self.live_action.setShortcut(QKeySequence("Ctrl+L"))
        tip = ("Live mode: a new picture after every stroke or setting change, with a fixed "
               "seed, shown over the canvas (Ctrl+L)")
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
        self.indicator.setToolTip("Live mode: whether the live picture is being updated")
        self.indicator.hide()

        # Changes arrive in bursts (a stroke ends, a detector finishes, a slider moves): one
        # request per pass of the event loop is enough, the session keeps the latest anyway.
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.submit_now)
        self.session.updating_changed.connect(self._show_state)
        self.session.result_ready.connect(self._on_result)
        self.session.failed.connect(self._on_failed)
        self.connections = ModelConnections()
        self.connections.connect(session.undo.changed, self.schedule)
        self.connections.drop_with(parent)
        self.connections.connect(settings.events.all, self.schedule)
        if session.updater is not None:
            session.updater.layer_busy.connect(self._on_detector_busy)
        parent.destroyed.connect(self._timer.stop)

    def install(self, toolbar: QToolBar | None, generate_menu: QMenu | None,
                status_bar: QStatusBar) -> None:
        """Put Live in ``toolbar``, Live and Keep live result at the end of ``generate_menu``,
        and the "Live: updating…" indicator at the right of ``status_bar``."""
        status_bar.addPermanentWidget(self.indicator)
        if toolbar is not None:
            toolbar.addAction(self.live_action)
        if generate_menu is not None:
            generate_menu.addSeparator()
            generate_menu.addAction(self.live_action)
            generate_menu.addAction(self.keep_action)

    @property
    def live(self) -> bool:
        return self.session.enabled

    def set_opacity(self, opacity: float) -> None:
        """How strongly the live picture covers the canvas, 0–1 (Settings)."""
        self.overlay.opacity = min(1.0, max(0.0, opacity))
        self.overlay.update()

    def set_live(self, live: bool) -> None:
        """Turn live mode on (a first picture is asked for at once) or off."""
        if self.live_action.isChecked() != live:
            self.live_action.setChecked(live)  # comes back here through toggled
            return
        self.session.set_enabled(live)
        self._last_submitted = None
        if live:
            self.schedule()
        else:
            self._timer.stop()
            self.overlay.set_image(None)
        self.keep_action.setEnabled(live and self.session.result is not None)
        self._show_state()

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
            described = request.to_metadata()
            if described == self._last_submitted:
                return
            self.session.submit(request)
        except BadInput as error:
            self.indicator.setText(f"Live: cannot generate: {error}")
            self.indicator.setToolTip(str(error))
            self.indicator.show()
            return
        self._last_submitted = described

    def _build_request(self) -> GenerationRequest:
        """The Generate settings' request, with their seed: live keeps the seed."""
        session = self.document_session
        request, _skipped = self.settings.build_request(session.document, session.registry)
        return request

    def keep_live_result(self) -> None:
        """Generate → Keep live result: the live picture becomes a result layer (undoable)."""
        if self.session.result is None:
            self.say("No live picture yet: turn Live on (Ctrl+L) and draw.")
            return
        layer = self.document_session.edits.add_result(self.session.result,
                                                       self.session.result_request)
        self.say(f"Kept the live picture as “{layer.name}”.")

    def _on_detector_busy(self, _layer, busy: bool) -> None:
        if not busy:
            self.schedule()

    def _on_result(self, image: Image.Image, _request: GenerationRequest) -> None:
        self._failure = ""
        if self.session.enabled:
            self.overlay.set_image(image)
            self.keep_action.setEnabled(True)

    def _on_failed(self, message: str) -> None:
        self._failure = message
        self._show_state()

    def _show_state(self, *_args) -> None:
        if not self.session.enabled:
            self.indicator.hide()
            return
        if self._failure and not self.session.updating:
            self.indicator.setText(f"Live: failed: {self._failure}")
            self.indicator.setToolTip(self._failure)
        else:
            self.indicator.setToolTip("Live mode: whether the live picture is being updated")
            self.indicator.setText(
                "Live: updating…" if self.session.updating else "Live: up to date")
        self.indicator.show()
