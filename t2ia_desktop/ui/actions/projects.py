"""Documents on disk, from the window: New, Open, Save, Save As, Export, recent files, the dirty
marker in the title and "Save changes?".

A project (``.t2ia``) keeps the document and the Generate panel's settings, so it reopens with
its prompt, seed and steps. An OpenRaster file (``.ora``) opens as layers; saving it asks where
to write a project. Any error (a damaged or newer file, a read-only folder, a full disk) is told
in a dialog and the status bar, and the open document stays as it was.

The questions are hooks (``ask_*`` attributes) so tests answer them without a modal dialog.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from PIL import Image
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from t2ia_desktop.core.document.composite import active_result, flatten
from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.document.outpaint import FAMILY_SIDE
from t2ia_desktop.core.errors import BadInput, T2IAError
from t2ia_desktop.core.files.imageio import save_png
from t2ia_desktop.core.files.ora import export_ora, read_ora
from t2ia_desktop.core.files.project import SUFFIX, load_project, save_project
from t2ia_desktop.core.generation.request import DEMO_MODEL
from t2ia_desktop.core.generation.settings import GenerationSettings
from t2ia_desktop.session.session import Session
from t2ia_desktop.ui.actions.recent_files import RecentFiles
from t2ia_desktop.ui.canvas.view import CanvasView
from t2ia_desktop.ui.common.widgets import (
    ModelConnections,
    ask_restore_or_discard,
    open_error_box,
)
from t2ia_desktop.ui.dialogs.new_document import ask_new_size
from t2ia_desktop.ui.layers.undo_steps import HistoryPanel

log = logging.getLogger(__name__)

SaveAnswer = Literal["save", "discard", "cancel"]
APP_TITLE = "t2ia desktop"
UNTITLED = "Untitled"
OPEN_FILTER = ("Projects and OpenRaster (*.t2ia *.ora);;t2ia project (*.t2ia);;"
               "OpenRaster (*.ora)")
SAVE_FILTER = "t2ia project (*.t2ia)"
EXPORT_FILTER = "PNG image (*.png);;OpenRaster, layered (*.ora);;JPEG image (*.jpg *.jpeg)"
EXPORT_SUFFIXES = (".png", ".ora", ".jpg", ".jpeg")


def export_document(document: Document, path: str | Path) -> None:
    """Write ``document`` flattened (PNG with the active result's request in its metadata,
    or JPEG on white) or layered (OpenRaster); errors are :class:`BadInput`."""
    out = Path(path)
    kind = out.suffix.lower()
    if kind not in EXPORT_SUFFIXES:
        raise BadInput(f"{out.name}: export to .png, .ora or .jpg")
    if kind == ".ora":
        export_ora(document, out)
        return
    try:
        picture = flatten(document)
        if kind == ".png":
            result = active_result(document)
            save_png(picture, out, result.request if result else None)
        else:
            paper = Image.new("RGB", picture.size, "white")
            paper.paste(picture, mask=picture.getchannel("A"))
            paper.save(out, "JPEG", quality=95)
    except OSError as error:
        raise BadInput(f"Could not export {out}: {error.strerror or error}. Nothing was "
                       "written; choose another folder.") from None


def shortcut_action(parent: QWidget, text: str, tip: str, shortcuts: list[str],
                    slot: Callable[[], object]) -> QAction:
    """An action whose ``shortcuts`` work wherever the focus is in ``parent``'s window; its
    tooltip names them."""
    action = QAction(text, parent)
    action.setShortcuts([QKeySequence(s) for s in shortcuts])
    keys = ", ".join(
        QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText) for s in shortcuts
    )
    action.setToolTip(f"{tip} ({keys})" if keys else tip)
    action.setStatusTip(tip)
    action.triggered.connect(slot)
    parent.addAction(action)
    return action


def native_side(model: str, family: str) -> int:
    """The square side a model was trained at: SDXL 1024, SD 1.5 512; the demo model's
    random weights paint noise at any size, so it gets the small, fast 512."""
    return 512 if model == DEMO_MODEL else FAMILY_SIDE.get(family, 1024)


class ProjectFiles(QObject):
    """The session's document on disk: its path, whether it changed since, and the File menu's
    actions (the window places them)."""

    state_changed = Signal()  # the path or the unsaved-changes state changed
    saved = Signal(object)  # Path: the document was saved there
    replaced = Signal()  # another document (New, Open, a recovery) is in the window now

    def __init__(self, session: Session, generation_settings: GenerationSettings, *,
                 canvas: CanvasView, history_panel: HistoryPanel, say: Callable[[str], None],
                 parent: QWidget, recent: RecentFiles | None = None) -> None:
        """Files hold ``session``'s document and ``generation_settings``; a stroke on
        ``canvas`` is finished before a save; ``history_panel``'s first row says how the
        document began; ``say`` puts a line in the status bar. ``parent`` is the window:
        dialogs open over it, its title shows the document's name and unsaved marker, and
        the File shortcuts work wherever the focus is in it."""
        super().__init__(parent)
        self.session = session
        self.generation_settings = generation_settings
        self.canvas = canvas
        self.history_panel = history_panel
        self.say = say
        self.parent_widget = parent
        self.recent = recent or RecentFiles()
        self.path: Path | None = None
        """The project file Save writes (None: not saved yet, or opened from an .ora)."""
        self.name = UNTITLED
        self.recovered = False
        """Restored after a crash: unsaved, whatever the history says, until saved."""
        self._saved_settings = self._settings()
        self.error_box: QMessageBox | None = None
        """The last error dialog (it does not block: tests read it)."""
        self.ask_open_path: Callable[[], str] = self._ask_open_path
        self.ask_save_path: Callable[[str, str, str], str] = self._ask_save_path
        """(title, suggested path, filter) → a path, "" when cancelled."""
        self.ask_new_size: Callable[[int, int], tuple[int, int] | None] = self._ask_new_size
        self.ask_save_changes: Callable[[str], SaveAnswer] = self._ask_save_changes
        """(document name) → "save", "discard" or "cancel"."""
        self.ask_restore: Callable[[str], bool] = self._ask_restore
        """(what was found) → whether to restore unsaved work left by a crash."""
        self._build_actions()
        self.connections = ModelConnections()
        self.connections.connect(session.undo.changed, self._on_changed)
        self.connections.drop_with(self)
        generation_settings.events.all.connect(self._on_changed)
        self.update_title()

    # -- actions --------------------------------------------------------------------------------
    def _build_actions(self) -> None:
        parent = self.parent_widget
        self.new_action = shortcut_action(
            parent, "New…", "Start a new document (choose its size)", ["Ctrl+N"],
            self.new_document)
        self.open_action = shortcut_action(
            parent, "Open…", "Open a t2ia project or an OpenRaster file", ["Ctrl+O"], self.open)
        self.save_action = shortcut_action(
            parent, "Save", "Save the document as a t2ia project", ["Ctrl+S"], self.save)
        self.save_as_action = shortcut_action(
            parent, "Save as…", "Save the document as a new t2ia project file",
            ["Ctrl+Shift+S"], self.save_as)
        self.export_action = shortcut_action(
            parent, "Export…", "Save the visible layers flattened as PNG (with the result's "
            "generation settings) or JPEG, or all layers as OpenRaster for Krita, GIMP or "
            "MyPaint", ["Ctrl+Shift+E"], self.ask_export)
        self.recent_menu = QMenu("Open &recent", parent)
        self.recent_menu.setToolTipsVisible(True)
        self.recent_menu.aboutToShow.connect(self.fill_recent_menu)
        self.fill_recent_menu()

    def fill_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        paths = self.recent.paths()
        if self.recent.note:  # the list could not be read and was set aside: told once
            self.say(self.recent.note)
            self.recent.note = ""
        for number, path in enumerate(paths, 1):
            action = menu.addAction(f"&{number % 10}  {path.name}")
            action.setToolTip(str(path))
            action.setStatusTip(str(path))
            action.triggered.connect(lambda _checked=False, p=path: self.open_path(p))
        if not paths:
            menu.addAction("No recent files").setEnabled(False)
        menu.addSeparator()
        clear: QAction = menu.addAction("Clear the list")
        clear.setToolTip("Forget the recent files (the files themselves stay)")
        clear.setEnabled(bool(paths))
        clear.triggered.connect(self._clear_recent)

    def _clear_recent(self) -> None:
        self.recent.clear()
        self.fill_recent_menu()

    # -- state ----------------------------------------------------------------------------------
    def _settings(self) -> dict[str, Any]:
        return self.generation_settings.to_dict()

    def is_dirty(self) -> bool:
        """Whether closing now would lose something: the document or its settings changed
        since they were last saved or opened."""
        return (self.recovered or not self.session.undo.is_clean
                or self._settings() != self._saved_settings)

    def update_title(self) -> None:
        dirty = self.is_dirty()
        self.parent_widget.setWindowTitle(f"{self.name}{'*' if dirty else ''} — {APP_TITLE}")
        self.save_action.setToolTip(
            f"Save the document to {self.path} (Ctrl+S)" if self.path else
            "Save the document as a t2ia project (Ctrl+S)")

    def _on_changed(self, *_args: object) -> None:
        self.update_title()
        self.state_changed.emit()

    def _mark_saved(self) -> None:
        self.session.undo.set_clean()
        self._saved_settings = self._settings()
        self.recovered = False
        self._on_changed()

    # -- New, Open ------------------------------------------------------------------------------
    def new_document(self) -> bool:
        """File → New: ask for a size (the chosen model's native size first), then a blank
        canvas with a sketch layer."""
        if not self.confirm_discard():
            return False
        side = native_side(self.generation_settings.model, self.generation_settings.family)
        size = self.ask_new_size(side, side)
        if size is None:
            return False
        width, height = size
        self._replace(Document.with_sketch_layer(width, height), None, f"New {width} × {height}")
        self.say(f"New document, {width} × {height} pixels.")
        return True

    def open(self) -> bool:
        """File → Open: ask (after "Save changes?") for a project or an OpenRaster file."""
        if not self.confirm_discard():
            return False
        path = self.ask_open_path()
        return bool(path) and self.open_path(path, confirmed=True)

    def open_path(self, path: str | Path, *, confirmed: bool = False) -> bool:
        """Open ``path`` in the window; on any error say why and keep the open document."""
        if not confirmed and not self.confirm_discard():
            return False
        path = Path(path)
        notes: list[str] = []
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            if path.suffix.lower() == ".ora":
                (document, notes), settings = read_ora(path), {}
            else:
                document, settings = load_project(path)
        except T2IAError as error:
            self.show_error("Cannot open the file", str(error))
            if not path.exists():
                self.recent.remove(path)
            return False
        except MemoryError:
            self.show_error("Cannot open the file",
                            f"{path} needs more memory than this computer has free.")
            return False
        finally:
            QGuiApplication.restoreOverrideCursor()
        project = path.suffix.lower() != ".ora"
        ignored = self._replace(document, path if project else None, f"Opened {path.name}",
                                settings, name=path.name)
        self.recent.add(path)
        text = f"Opened {path}."
        if not project:
            text += " Save keeps it as a t2ia project (Save as… for its name)."
        if notes:
            joined = "; ".join(notes)
            text += f" {joined[0].upper()}{joined[1:]}."
        if ignored:
            text += f" Some settings could not be used here: {', '.join(ignored)}."
        self.say(text)
        return True

    def _replace(self, document: Document, path: Path | None, start: str,
                 settings: dict[str, Any] | None = None, name: str | None = None) -> list[str]:
        ignored = self.generation_settings.update_from_dict(settings) if settings else []
        self.session.set_document(document)
        self.history_panel.set_start_label(start)
        self.path = path
        self.name = name or (path.name if path else UNTITLED)
        self.recovered = False
        self._saved_settings = self._settings()
        self._on_changed()
        self.replaced.emit()
        return ignored

    def restore(self, document: Document, settings: dict[str, Any], name: str,
                original: Path | None) -> list[str]:
        """Unsaved work recovered after a crash: in the window, unsaved, and Save writes it to
        its original project file (when it had one)."""
        path = original if original is not None and original.suffix.lower() == SUFFIX else None
        ignored = self._replace(document, path, f"Recovered {name}", settings, name=name)
        self.recovered = True
        self._on_changed()
        return ignored

    # -- Save -----------------------------------------------------------------------------------
    def save(self) -> bool:
        """File → Save: to the project's file, or ask where (Save as) the first time."""
        if self.path is None:
            return self.save_as()
        return self.save_to(self.path)

    def save_as(self) -> bool:
        folder = self.path.parent if self.path else Path.home()
        stem = Path(self.name).stem if self.name != UNTITLED else UNTITLED
        chosen = self.ask_save_path("Save project as", str(folder / f"{stem}{SUFFIX}"),
                                    SAVE_FILTER)
        if not chosen:
            return False
        path = Path(chosen)
        if path.suffix.lower() != SUFFIX:
            path = path.with_name(path.name + SUFFIX)
        return self.save_to(path)

    def save_to(self, path: Path) -> bool:
        """Write the project atomically to ``path``; on error say why (nothing is lost)."""
        self.canvas.end_stroke()
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            save_project(self.session.document, path, self._settings())
        except T2IAError as error:
            self.show_error("Cannot save the project", str(error))
            return False
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.path = path
        self.name = path.name
        self.recent.add(path)
        self._mark_saved()
        self.say(f"Saved {path}.")
        self.saved.emit(path)
        return True

    # -- Export ---------------------------------------------------------------------------------
    def ask_export(self) -> bool:
        folder = self.path.parent if self.path else Path.home()
        stem = Path(self.name).stem if self.name != UNTITLED else "t2ia"
        chosen = self.ask_save_path("Export", str(folder / f"{stem}.png"), EXPORT_FILTER)
        if not chosen:
            return False
        path = Path(chosen)
        if path.suffix.lower() not in EXPORT_SUFFIXES:
            path = path.with_name(path.name + ".png")
        return self.export_to(path)

    def export_to(self, path: Path) -> bool:
        self.canvas.end_stroke()
        try:
            export_document(self.session.document, path)
        except T2IAError as error:
            self.show_error("Cannot export", str(error))
            return False
        self.say(f"Exported {path}.")
        return True

    # -- asking ---------------------------------------------------------------------------------
    def confirm_discard(self) -> bool:
        """Before the document goes (close, New, Open): "Save changes?" when it has unsaved
        changes. True when it may go."""
        if not self.is_dirty():
            return True
        answer = self.ask_save_changes(self.name)
        if answer == "save":
            return self.save()
        return answer == "discard"

    def show_error(self, title: str, text: str) -> None:
        """An error dialog that does not block, and the same words in the status bar."""
        self.error_box = open_error_box(self.parent_widget, self.error_box, title, text)

    def _ask_open_path(self) -> str:
        folder = str(self.path.parent) if self.path else ""
        path, _filter = QFileDialog.getOpenFileName(self.parent_widget, "Open", folder, OPEN_FILTER)
        return path

    def _ask_save_path(self, title: str, suggested: str, filters: str) -> str:
        path, _filter = QFileDialog.getSaveFileName(self.parent_widget, title, suggested, filters)
        return path

    def _ask_new_size(self, width: int, height: int) -> tuple[int, int] | None:
        return ask_new_size(self.parent_widget, width, height)

    def _ask_restore(self, found: str) -> bool:
        return ask_restore_or_discard(
            self.parent_widget, APP_TITLE,
            "t2ia desktop did not close properly last time. Restore the unsaved "
            "work it kept?", found)

    def _ask_save_changes(self, name: str) -> SaveAnswer:
        buttons = QMessageBox.StandardButton
        box = QMessageBox(QMessageBox.Icon.Question, APP_TITLE,
                          f"Save the changes to “{name}”?",
                          buttons.Save | buttons.Discard | buttons.Cancel, self.parent_widget)
        box.setInformativeText("Your changes are lost if you don't save them.")
        box.setDefaultButton(buttons.Save)
        answer = box.exec()
        box.deleteLater()
        if answer == buttons.Save:
            return "save"
        return "discard" if answer == buttons.Discard else "cancel"

