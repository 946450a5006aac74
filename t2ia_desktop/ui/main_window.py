"""The main window: canvas in the middle, generate, layers and queue docks, brush toolbar."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QProgressBar,
    QSlider,
    QSpinBox,
    QWidget,
)

from t2ia_desktop.core.document import Document
from t2ia_desktop.core.errors import BadInput, Cancelled
from t2ia_desktop.core.jobs import Job, JobState
from t2ia_desktop.core.request import GenerationRequest
from t2ia_desktop.runtime.runner import JobFailed, JobRunner
from t2ia_desktop.ui.canvas import MAX_BRUSH_SIZE, MIN_BRUSH_SIZE, CanvasView
from t2ia_desktop.ui.generate_panel import GeneratePanel, ModelEntry
from t2ia_desktop.ui.layers_panel import LayersPanel
from t2ia_desktop.ui.queue_panel import QueuePanel
from t2ia_desktop.ui.widgets import ModelConnections

log = logging.getLogger(__name__)

WINDOW_TITLE = "t2ia desktop"
DEFAULT_SIZE = QSize(1400, 900)


class MainWindow(QMainWindow):
    """The app's one window; ``generate()`` queues a job and adds its image as a new layer."""

    def __init__(
        self,
        document: Document,
        runner: JobRunner,
        models: list[ModelEntry],
        *,
        status_message: str = "",
        history_folder: Path | None = None,
    ) -> None:
        super().__init__()
        self.history_folder = history_folder
        self.document = document
        self.runner = runner
        self.pending_tasks: set[asyncio.Future[None]] = set()
        self.setWindowTitle(WINDOW_TITLE)
        self.resize(DEFAULT_SIZE)

        self.canvas = CanvasView(document)
        self.setCentralWidget(self.canvas)
        self.generate_panel = GeneratePanel(models)
        self.layers_panel = LayersPanel(document)
        self.queue_panel = QueuePanel(runner.queue, runner)
        self.generate_dock = self._dock("Generate", self.generate_panel)
        self.layers_dock = self._dock("Layers", self.layers_panel)
        self.queue_dock = self._dock("Queue", self.queue_panel)
        self.resizeDocks(
            [self.generate_dock, self.layers_dock, self.queue_dock],
            [440, 160, 300],
            Qt.Orientation.Vertical,
        )
        self.resizeDocks([self.generate_dock], [380], Qt.Orientation.Horizontal)

        self._build_actions()
        self._build_toolbar()
        self._build_status_bar()
        self._build_menus()

        self.generate_panel.generate_requested.connect(self.generate)
        self.canvas.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.connections = ModelConnections()
        self.connections.connect(runner.queue.job_changed, self._on_job_changed)
        self.connections.connect(runner.queue.job_added, self._on_job_changed)
        self.connections.drop_with(self)
        if status_message:
            self.statusBar().showMessage(status_message)
        self.canvas.setFocus()

    # -- building -----------------------------------------------------------------------------
    def _dock(self, title: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{title.lower()}_dock")
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        return dock

    def _action(
        self, text: str, tip: str, shortcuts: list[str], slot: Callable[[], object]
    ) -> QAction:
        action = QAction(text, self)
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
        keys = ", ".join(
            QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText) for s in shortcuts
        )
        action.setToolTip(f"{tip} ({keys})" if keys else tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work wherever the focus is in the window
        return action

    def _build_actions(self) -> None:
        canvas = self.canvas
        self.brush_action = self._action(
            "Brush", "Draw on the sketch layer", ["B"], lambda: canvas.set_tool("brush")
        )
        self.eraser_action = self._action(
            "Eraser", "Erase from the sketch layer", ["E"], lambda: canvas.set_tool("eraser")
        )
        tools = QActionGroup(self)
        for action in (self.brush_action, self.eraser_action):
            action.setCheckable(True)
            tools.addAction(action)
        self.brush_action.setChecked(True)
        canvas.tool_changed.connect(self._on_tool_changed)
        self.shrink_action = self._action(
            "Smaller brush", "Smaller brush", ["["], canvas.shrink_brush
        )
        self.grow_action = self._action("Larger brush", "Larger brush", ["]"], canvas.grow_brush)
        self.clear_action = self.layers_panel.clear_sketch_action
        self.addAction(self.clear_action)
        self.generate_action = self._action(
            "Generate",
            "Queue a picture with the current settings",
            ["Ctrl+Return", "Ctrl+Enter"],
            self.generate,
        )
        self.export_action = self._action(
            "Export image…",
            "Save the visible layers as a PNG",
            ["Ctrl+Shift+E"],
            self._ask_export,
        )
        self.quit_action = self._action("Quit", "Close t2ia desktop", ["Ctrl+Q"], self.close)

    def _build_toolbar(self) -> None:
        toolbar = self.addToolBar("Tools")
        toolbar.setObjectName("tools_toolbar")
        toolbar.setMovable(False)
        toolbar.addAction(self.brush_action)
        toolbar.addAction(self.eraser_action)
        toolbar.addSeparator()
        size_label = QLabel(" Size ")
        tip = "Brush size in canvas pixels ([ smaller, ] larger)"
        size_label.setToolTip(tip)
        self.size_spin = QSpinBox()
        self.size_spin.setRange(MIN_BRUSH_SIZE, MAX_BRUSH_SIZE)
        self.size_spin.setSuffix(" px")
        self.size_spin.setToolTip(tip)
        self.size_slider = QSlider(Qt.Orientation.Horizontal)
        self.size_slider.setRange(MIN_BRUSH_SIZE, MAX_BRUSH_SIZE)
        self.size_slider.setFixedWidth(160)
        self.size_slider.setToolTip(tip)
        for widget in (self.size_spin, self.size_slider):
            widget.setValue(self.canvas.brush_size)
            widget.valueChanged.connect(self.canvas.set_brush_size)
            widget.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.canvas.brush_size_changed.connect(self._on_brush_size_changed)
        toolbar.addWidget(size_label)
        toolbar.addWidget(self.size_spin)
        toolbar.addWidget(self.size_slider)
        toolbar.addSeparator()
        toolbar.addAction(self.clear_action)
        toolbar.addSeparator()
        toolbar.addAction(self.generate_action)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.job_label = QLabel()
        self.job_label.setToolTip("The job that is generating now, and how many wait")
        self.progress_bar = QProgressBar()
        self.progress_bar.setFixedWidth(180)
        self.progress_bar.setMaximumHeight(14)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setToolTip("Denoising steps of the running job")
        self.progress_bar.hide()
        bar.addPermanentWidget(self.job_label)
        bar.addPermanentWidget(self.progress_bar)

    def _build_menus(self) -> None:
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        file_menu.addAction(self.export_action)
        if self.history_folder is not None:
            history_action = file_menu.addAction("Open &history folder")
            history_action.setToolTip("Every finished image is saved here as it finishes")
            history_action.triggered.connect(self.open_history_folder)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        tools_menu = menus.addMenu("&Tools")
        for action in (
            self.brush_action,
            self.eraser_action,
            self.shrink_action,
            self.grow_action,
            self.clear_action,
        ):
            tools_menu.addAction(action)
        menus.addMenu("&Generate").addAction(self.generate_action)
        view_menu = menus.addMenu("&View")
        for dock in (self.generate_dock, self.layers_dock, self.queue_dock):
            view_menu.addAction(dock.toggleViewAction())

    def open_history_folder(self) -> None:
        assert self.history_folder is not None
        self.history_folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.history_folder)))

    # -- generating ---------------------------------------------------------------------------
    def generate(self) -> Job | None:
        """Queue a job from the panel's settings; its image becomes a new layer when done."""
        try:
            request = self.generate_panel.build_request(self.document)
            job = self.runner.submit(request)
        except BadInput as error:
            self.statusBar().showMessage(f"Cannot generate: {error}")
            return None
        task = asyncio.ensure_future(self._deliver(job, request))
        self.pending_tasks.add(task)
        task.add_done_callback(self.pending_tasks.discard)
        return job

    async def _deliver(self, job: Job, request: GenerationRequest) -> None:
        try:
            image = await self.runner.wait(job)
            self.document.add_result(image, request)
        except JobFailed as error:
            self.statusBar().showMessage(f"Generation failed: {error}")
        except Cancelled:
            self.statusBar().showMessage("Generation cancelled.")
        except Exception as error:  # a result that cannot be shown must not end the app
            log.exception("could not add the result of job %s", job.id)
            self.statusBar().showMessage(f"Could not add the result: {error}")
        else:
            if job.warning:
                self.statusBar().showMessage(f"Done, but: {job.warning}")
            elif job.saved_to:
                self.statusBar().showMessage(f"Done, saved to {job.saved_to}", 10000)
            else:
                self.statusBar().showMessage(f"Done: {request.summary()}", 10000)

    def _on_job_changed(self, _job: Job) -> None:
        queue = self.runner.queue
        running = queue.running()
        waiting = sum(1 for job in queue if job.state is JobState.QUEUED)
        parts = []
        if running is not None:
            total = max(running.total_steps, 1)
            parts.append(f"Generating {running.step}/{total}")
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(running.step)
        if waiting:
            parts.append(f"{waiting} waiting")
        self.progress_bar.setVisible(running is not None)
        self.job_label.setText(" · ".join(parts))

    # -- tools --------------------------------------------------------------------------------
    def _on_tool_changed(self, tool: str) -> None:
        (self.brush_action if tool == "brush" else self.eraser_action).setChecked(True)

    def _on_brush_size_changed(self, size: int) -> None:
        for widget in (self.size_spin, self.size_slider):
            if widget.value() != size:
                widget.blockSignals(True)
                widget.setValue(size)
                widget.blockSignals(False)

    # -- files --------------------------------------------------------------------------------
    def export_image(self, path: str | Path) -> None:
        """Save the visible layers, as seen on the canvas, to an image file."""
        image = self.canvas.composite_image()
        if not image.save(str(path)):
            raise BadInput(f"could not write {path}: check the folder and the file extension")

    def _ask_export(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, "Export image", "t2ia.png", "PNG image (*.png);;JPEG image (*.jpg *.jpeg)"
        )
        if not path:
            return
        try:
            self.export_image(path)
        except BadInput as error:
            self.statusBar().showMessage(str(error))
        else:
            self.statusBar().showMessage(f"Saved {path}", 6000)

    def closeEvent(self, event: QCloseEvent) -> None:
        for task in list(self.pending_tasks):
            task.cancel()
        for panel in (self.canvas, self.layers_panel, self.queue_panel, self):
            panel.connections.disconnect_all()
        super().closeEvent(event)
