"""The main window: canvas in the middle, generate, layers and queue docks on the right, preview
and condition docks on the left, the tool box and toolbars (placed by ``window_layout.py``).

The *current condition layer* is the condition layer last selected in Layers: the Preview and
Condition docks show it and the canvas overlay draws it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QDockWidget, QFileDialog, QMainWindow, QWidget

from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.core.files.photo import PHOTO_FILTER
from t2ia_desktop.core.generation.jobs import Job
from t2ia_desktop.core.generation.settings import GenerationSettings
from t2ia_desktop.runtime.downloads import WeightDownloads
from t2ia_desktop.runtime.queue_keeper import QueueKeeper
from t2ia_desktop.runtime.runner import JobRunner
from t2ia_desktop.session.session import Session
from t2ia_desktop.session.tool_state import ToolState
from t2ia_desktop.ui.actions.conditions import ConditionActions
from t2ia_desktop.ui.actions.control_images import ControlImageActions
from t2ia_desktop.ui.actions.generate.generation import GenerationController
from t2ia_desktop.ui.actions.generate.live import LiveController
from t2ia_desktop.ui.actions.generate.queue import QueueControl
from t2ia_desktop.ui.actions.history import UndoActions
from t2ia_desktop.ui.actions.layers import LayerActions
from t2ia_desktop.ui.actions.outpaint import OutpaintActions
from t2ia_desktop.ui.actions.projects import ProjectFiles
from t2ia_desktop.ui.actions.settings_from_image import SettingsFromImage
from t2ia_desktop.ui.actions.tools.canvas import CanvasActions
from t2ia_desktop.ui.actions.tools.generation_area import GenerationAreaActions
from t2ia_desktop.ui.actions.tools.selection import SelectionActions
from t2ia_desktop.ui.actions.tools.transform import TransformActions
from t2ia_desktop.ui.canvas.view import CanvasView
from t2ia_desktop.ui.common.wheel_guard import WheelGuard
from t2ia_desktop.ui.conditions.panel import ConditionPanel
from t2ia_desktop.ui.conditions.preview_panel import PreviewPanel
from t2ia_desktop.ui.conditions.weights_offer import WeightsOffer
from t2ia_desktop.ui.generate.panel import GeneratePanel
from t2ia_desktop.ui.layers.panel import LayersPanel
from t2ia_desktop.ui.layers.undo_steps import HistoryPanel
from t2ia_desktop.ui.queue.job_status import JobStatus
from t2ia_desktop.ui.queue.panel import QueuePanel
from t2ia_desktop.ui.window.autosave import Autosaver, offer_recovery
from t2ia_desktop.ui.window.layout import Arrangement, Docks, WindowLayout, scrolling
from t2ia_desktop.ui.window.result_tools import ResultTools
from t2ia_desktop.ui.window.status_info import StatusInfo

log = logging.getLogger(__name__)

WINDOW_TITLE = "t2ia desktop"


class MainWindow(QMainWindow):
    """The app's one window; ``generate()`` queues a job and adds its image as a new layer."""

    def __init__(
        self,
        session: Session,
        runner: JobRunner,
        generation_settings: GenerationSettings,
        *,
        tool_state: ToolState,
        downloads: WeightDownloads,
        status_message: str = "",
        history_folder: Path | None = None,
        autosave_seconds: float | None = None,
        queue_keeper: QueueKeeper | None = None,
    ) -> None:
        """The window shows ``session`` (the open document, its history and condition
        updates); ``tool_state`` is the tool, brush and colours the canvas and tool widgets
        share; ``downloads`` fetches detector weights when the artist asks.
        ``autosave_seconds`` turns on autosave (unsaved work written at most that long after
        it changes, for crash recovery)."""
        super().__init__()
        if session.updater is None:
            raise ValueError("the window needs a session that detects conditions")
        self.history_folder = history_folder
        self.session = session
        self.runner = runner
        self.updater = conditions = session.updater
        self.registry = conditions.registry
        self.choose_photo: Callable[[], str] = self._ask_photo_path
        """Asks for a picture file to import ("" when cancelled); tests replace it."""
        self.wheel_guard = WheelGuard(self)
        """A wheel over an unfocused slider or spin box in a panel scrolls the panel."""
        self.setWindowTitle(WINDOW_TITLE)
        self.undo = session.undo
        """The document's history: every change made here is a step of it."""
        self.edits = session.edits

        self.tool_state = tool_state
        self.canvas = CanvasView(session, tool_state)
        self.setCentralWidget(self.canvas)
        self.generation_settings = generation_settings
        """Every Generate input; the panel shows it, Generate builds requests from it."""
        self.generation = GenerationController(session, generation_settings, runner,
                                               self.statusBar().showMessage, self)
        """Generate: queues jobs and adds their pictures to the document as layers."""
        self.generate_panel = GeneratePanel(generation_settings, session)
        runner.worker.executor.device_memory.connect(  # the estimate beside Generate
            self.generate_panel.vram_label.set_device_facts)
        self.layers_panel = LayersPanel(session)
        self.queue_panel = QueuePanel(runner.queue, runner)
        self.preview_panel = PreviewPanel(session)
        self.condition_panel = ConditionPanel(session)
        self.weights_offer = WeightsOffer(self.condition_panel, downloads, self)
        """The Condition dock's "Download weights" button for detectors that lack them."""
        self.history_panel = HistoryPanel(self.undo)
        self.generate_dock = self._dock("Generate", scrolling(self.generate_panel))
        self.layers_dock = self._dock("Layers", self.layers_panel)
        self.queue_dock = self._dock("Queue", self.queue_panel)
        self.preview_dock = self._dock("Preview", self.preview_panel,
                                       Qt.DockWidgetArea.LeftDockWidgetArea)
        self.condition_dock = self._dock("Condition", scrolling(self.condition_panel),
                                         Qt.DockWidgetArea.LeftDockWidgetArea)
        self.history_dock = self._dock("History", self.history_panel,
                                       Qt.DockWidgetArea.LeftDockWidgetArea)

        self.condition_actions = ConditionActions(
            session, lambda: generation_settings.family, self.layers_panel.selected_layer, self,
            self.layers_panel.select)
        self.layers_panel.set_add_condition_menu(self.condition_actions.add_condition_menu)
        self.layers_panel.set_remix_menu(self.condition_actions.remix_menu)
        self._build_actions()
        self.files = ProjectFiles(session, generation_settings, canvas=self.canvas,
                                  history_panel=self.history_panel, say=self.show_message,
                                  parent=self)
        """New, Open, Save, Export, recent files and the title's unsaved-changes marker."""
        self.export_action = self.files.export_action
        self.autosaver = Autosaver(session, generation_settings, self.files, self.canvas,
                                   autosave_seconds) if autosave_seconds else None
        if self.autosaver is not None:
            # once, saying what to do; it stays until another message replaces it
            self.autosaver.failed.connect(lambda text: self.statusBar().showMessage(text))
            self.autosaver.recovered.connect(self.show_message)
        self.window_layout = WindowLayout(
            self, tool_state, Docks(self.generate_dock, self.layers_dock, self.queue_dock,
                                    self.preview_dock, self.condition_dock, self.history_dock),
            undo_action=self.undo_action, redo_action=self.redo_action,
            generate_action=self.generate_action, overlay_action=self.overlay_action,
            say=self.show_message)
        """Tool box, toolbars and docks where painters expect them; saved between launches."""
        self._build_status_bar()
        self._build_menus()
        self.layer_actions = LayerActions(session, self.layers_panel, self.canvas,
                                          self.show_message, self)
        """Merge down, canvas size, paste, and imports keeping size or PSD layers."""
        self.layer_actions.install(self.menuBar(), self.file_menu, self.edit_menu,
                                   self.layer_menu, self.export_action)
        self.outpaint_actions = OutpaintActions(
            session, generation_settings, self.generate_panel, self.canvas,
            self.layer_actions.canvas_size_action, self.show_message, self)
        """Image → Extend canvas (outpaint)…: grow the canvas, mask the new area, Inpaint."""
        status = StatusInfo(generation_settings, runner.worker.executor.engine_ready,
                            self.statusBar(), self)
        self.results = ResultTools(
            self, session, runner, generation_settings, canvas=self.canvas,
            layers_panel=self.layers_panel, condition_actions=self.condition_actions,
            generate_dock=self.generate_dock, queue_dock=self.queue_dock,
            view_menu=self.view_menu, status=status, say=self.show_message,
            history_folder=history_folder, settings_path=self.window_layout.path)
        self.first_run = self.results.first_run
        """The demo model's truth over the canvas, and its "Get SDXL" button."""
        self.settings_from_image = SettingsFromImage(
            generation_settings, self.generate_panel, self.generate_dock, say=self.show_message,
            parent=self, session=session)
        """File → Open settings from image…, and pictures dropped on the Generate panel."""
        self.settings_from_image.install(self.file_menu, self.import_action)
        """Image history dock, compare view (C), device/model/memory status, Help menu."""
        self.queue_control = QueueControl(
            self.queue_panel, runner.queue, session, self.generation.deliver, self.show_message,
            self.statusBar().showMessage, self, queue_keeper, generate_menu=self.generate_menu)
        """Queue entries of the Generate menu, retried jobs' results, the saved queue."""
        self.canvas_actions = CanvasActions(self, self.canvas, self.tool_state,
                                            self.brush_action.actionGroup())
        """Fill (G), picker (I), colours (X), tool options bar, zoom/pan/rotate in View."""
        self.selection_actions = SelectionActions(
            self, self.canvas, self.tool_state, self.brush_action.actionGroup(),
            self.generate_panel, self.show_message)
        """Selections (M, L), the Select menu (selection → inpaint mask…), Transform (Ctrl+T)."""
        self.transform_actions = TransformActions(self, self.selection_actions.transform)
        """Layer → Transform: flips and quarter turns; the transform tool's angle option."""
        self.transform_actions.install(self.layer_menu, self.canvas_actions.options_bar)
        self.live = LiveController(session, generation_settings, runner, self.canvas,
                                   self.show_message, self)
        """Live mode (Ctrl+L): a new picture after every change, in the Live dock."""
        self.live.install(self, self.preview_dock, self.window_layout.tools_toolbar,
                          (self.generate_menu, self.view_menu), self.statusBar())
        self.area_actions = GenerationAreaActions(
            self, self.canvas, self.tool_state, self.edits, self.brush_action.actionGroup(),
            self.show_message)
        """The generation area: its frame and tool (A), View and Generate menu entries."""

        self.generate_panel.generate_requested.connect(self.generation.generate)
        generation_settings.events.family.connect(self._on_family_changed)
        self._on_family_changed(generation_settings.family)
        self.canvas.message.connect(self.show_message)
        self.canvas.files_dropped.connect(self.offer_drop)
        self.condition_actions.message.connect(self.show_message)
        images = self.control_images
        self.condition_actions.condition_added.connect(images.show_added)
        self.condition_actions.remixed.connect(images.show_remix)
        self.layers_panel.selection_changed.connect(images.show_selected)
        self.layers_panel.message.connect(self.show_message)
        self.condition_panel.paint_requested.connect(images.paint_on_condition)
        self.history_panel.step_chosen.connect(self.undo_actions.go_to_step)
        session.document_changed.connect(self._on_document_changed)
        session.document_changed.connect(self.selection_actions.set_document)
        canvas_tools, selection, history = (self.canvas_actions, self.selection_actions,
                                            self.results.image_history)
        self.window_layout.arrange(Arrangement(
            {"brush": self.brush_action, "eraser": self.eraser_action,
             "fill": canvas_tools.fill_action, "picker": canvas_tools.picker_action,
             "rect_select": selection.rectangle_action, "lasso": selection.lasso_action,
             "transform": selection.transform_action,
             "generation_area": self.area_actions.tool_action},
            canvas_tools.options_bar, canvas_tools.swap_colors_action, self.view_menu,
            self.results.compare, history.dock if history is not None else None))
        if status_message:
            self.statusBar().showMessage(status_message)
        self.canvas.setFocus()

    # -- building -----------------------------------------------------------------------------
    def _dock(self, title: str, widget: QWidget,
              area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{title.lower()}_dock")
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(area, dock)
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
        state = self.tool_state
        self.undo_actions = UndoActions(self.session, self.canvas.end_stroke, self)
        """Edit → Undo and Redo, and History's steps."""
        self.undo_action = self.undo_actions.undo_action
        self.redo_action = self.undo_actions.redo_action
        self.brush_action = self._action(
            "Brush", "Draw on the sketch layer", ["B"], lambda: state.set_tool("brush")
        )
        self.eraser_action = self._action(
            "Eraser", "Erase from the sketch layer", ["E"], lambda: state.set_tool("eraser")
        )
        tools = QActionGroup(self)
        for action in (self.brush_action, self.eraser_action):
            action.setCheckable(True)
            tools.addAction(action)
        self.brush_action.setChecked(True)
        state.tool_changed.connect(self._on_tool_changed)
        self.shrink_action = self._action(
            "Smaller brush", "Smaller brush", ["["], state.shrink_brush
        )
        self.grow_action = self._action("Larger brush", "Larger brush", ["]"], state.grow_brush)
        self.clear_action = self.layers_panel.clear_sketch_action
        self.addAction(self.clear_action)
        self.generate_action = self._action(
            "Generate",
            "Queue a picture with the current settings",
            ["Ctrl+Return", "Ctrl+Enter"],
            self.generate,
        )
        self.quit_action = self._action("Quit", "Close t2ia desktop", ["Ctrl+Q"], self.close)
        self.import_action = self._action(
            "Import photo…",
            "Add a picture file as a photo layer, fitted to the canvas",
            ["Ctrl+I"],
            self._ask_import,
        )
        self.control_images = ControlImageActions(
            self.session, state, self.canvas.setFocus, self.layers_panel.select,
            self.show_message, self)
        """The condition overlay (O), Paint on control image, the current condition layer."""
        self.overlay_action = self.control_images.overlay_action
        self.redetect_action = self.layers_panel.redetect_action
        self.addAction(self.redetect_action)
        self.delete_action = self.layers_panel.delete_action
        self.delete_action.setShortcut(QKeySequence("Del"))
        self.addAction(self.delete_action)
        self.new_paint_action = self.layers_panel.new_paint_action
        self.addAction(self.new_paint_action)
        self.duplicate_action = self.layers_panel.duplicate_action
        self.addAction(self.duplicate_action)
        self.paint_condition_action = self.control_images.paint_action

    def _build_status_bar(self) -> None:
        self.job_status = JobStatus(self.runner.queue, self.statusBar())
        """The running job's words and steps and how many wait, at the status bar's right."""

    def _build_menus(self) -> None:
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        file_menu.setToolTipsVisible(True)
        files = self.files
        file_menu.addAction(files.new_action)
        file_menu.addAction(files.open_action)
        file_menu.addMenu(files.recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(files.save_action)
        file_menu.addAction(files.save_as_action)
        file_menu.addSeparator()
        file_menu.addAction(self.import_action)
        file_menu.addAction(self.export_action)
        self.file_menu = file_menu
        if self.history_folder is not None:
            history_action = file_menu.addAction("Open &history folder")
            history_action.setToolTip("Every finished image is saved here as it finishes")
            history_action.triggered.connect(self.open_history_folder)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = menus.addMenu("&Edit")
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        edit_menu.addSeparator()
        edit_menu.addAction(self.history_dock.toggleViewAction())
        self.edit_menu = edit_menu
        tools_menu = menus.addMenu("&Tools")
        for action in (
            self.brush_action,
            self.eraser_action,
            self.shrink_action,
            self.grow_action,
            self.clear_action,
        ):
            tools_menu.addAction(action)
        layer_menu = menus.addMenu("&Layer")
        layer_menu.setToolTipsVisible(True)
        layer_menu.addAction(self.new_paint_action)
        layer_menu.addAction(self.import_action)
        layer_menu.addMenu(self.condition_actions.add_condition_menu)
        layer_menu.addMenu(self.condition_actions.remix_menu)
        layer_menu.addAction(self.redetect_action)
        layer_menu.addAction(self.paint_condition_action)
        layer_menu.addSeparator()
        layer_menu.addAction(self.duplicate_action)
        layer_menu.addAction(self.clear_action)
        layer_menu.addAction(self.delete_action)
        self.layer_menu = layer_menu
        self.generate_menu = menus.addMenu("&Generate")
        self.generate_menu.addAction(self.generate_action)
        view_menu = menus.addMenu("&View")
        self.view_menu = view_menu
        view_menu.addAction(self.overlay_action)
        view_menu.addSeparator()
        for dock in (self.generate_dock, self.layers_dock, self.queue_dock, self.preview_dock,
                     self.condition_dock, self.history_dock):
            view_menu.addAction(dock.toggleViewAction())

    def generate(self) -> Job | None:
        """Generate (Ctrl+Return): see :meth:`GenerationController.generate`."""
        return self.generation.generate()

    def open_history_folder(self) -> None:
        assert self.history_folder is not None
        self.history_folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.history_folder)))

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    # -- conditions ---------------------------------------------------------------------------
    @property
    def document(self) -> Document:
        """The open document (the session's)."""
        return self.session.document

    @property
    def current_condition(self) -> Layer | None:
        """The condition layer the Preview and Condition docks and the overlay show."""
        return self.session.current_condition

    def offer_drop(self, paths: list[str], position: QPoint) -> None:
        self.condition_actions.offer_drop(paths, position)

    # -- the document -------------------------------------------------------------------------
    def _on_document_changed(self, document: Document) -> None:
        """Another document is open (File → New, Open): the session's views follow it on
        their own; the canvas takes the keyboard. Results still generating for the old
        document are not added to it."""
        self.canvas.setFocus()

    def offer_recovery(self) -> bool:
        """At launch: offer the unsaved work a crashed session left; True when restored."""
        return offer_recovery(self.files, self.autosaver, self.show_message)

    def _on_family_changed(self, family: str) -> None:
        self.layers_panel.set_family(family)
        self.condition_panel.set_family(family)

    # -- photos -------------------------------------------------------------------------------
    def import_photo(self, path: str | Path) -> Layer | None:
        return self.condition_actions.import_photo(path)

    def _ask_import(self) -> None:
        path = self.choose_photo()
        if path:
            self.import_photo(path)

    def _ask_photo_path(self) -> str:
        path, _filter = QFileDialog.getOpenFileName(self, "Import photo", "", PHOTO_FILTER)
        return path

    # -- tools --------------------------------------------------------------------------------
    def _on_tool_changed(self, tool: str) -> None:
        if tool in ("brush", "eraser"):  # the other tools' actions: canvas_actions
            (self.brush_action if tool == "brush" else self.eraser_action).setChecked(True)

    # -- closing ------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.files.confirm_discard():  # "Save changes?" answered Cancel
            event.ignore()
            return
        if self.autosaver is not None:  # saved or discarded: nothing left to recover
            self.autosaver.finish()
        self.generation.cancel_deliveries()
        self.generate_panel.unbind()
        for panel in (self.canvas, self.layers_panel, self.queue_panel, self.preview_panel,
                      self.condition_panel, self.generate_panel, self.history_panel, self.files):
            panel.connections.disconnect_all()
        self.weights_offer.shutdown()
        self.session.close()
        self.window_layout.save()
        super().closeEvent(event)
