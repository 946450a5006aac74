"""The Image history dock: every picture ever generated, searchable, with what to do with each.

Not to be confused with the History dock (``history_panel.py``), which lists undo steps. Search
words match the prompt; filters narrow by condition, model and date; a star keeps favourites
findable; Delete moves the files to the history's ``trash`` folder after asking. The actions
that touch the document (add as layer, use as a control source, restore settings) are signals:
the window's :class:`~t2ia_desktop.ui.actions.image_history.ImageHistoryActions` carries them
out.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from t2ia_desktop.core.conditions.guides import guide_label
from t2ia_desktop.core.conditions.registry import ConditionRegistry
from t2ia_desktop.core.errors import T2IAError
from t2ia_desktop.core.image_history.query import (
    DATE_RANGES,
    NO_CONTROLS,
    HistoryFilter,
    conditions_in,
    date_range,
    guides_in,
    models_in,
)
from t2ia_desktop.core.image_history.store import History, HistoryEntry
from t2ia_desktop.ui.history.model import ICON_SIZE, STAR, HistoryListModel

ANY = None


class ImageHistoryPanel(QWidget):
    """Thumbnails of the history with search, filters and actions on the selected picture."""

    add_layer_requested = Signal(object)  # HistoryEntry
    control_source_requested = Signal(object)  # HistoryEntry
    restore_requested = Signal(object)  # HistoryEntry
    message = Signal(str)

    def __init__(self, history: History, registry: ConditionRegistry | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self.registry = registry
        self.model = HistoryListModel(history, self)
        self.confirm_delete: Callable[[HistoryEntry], bool] = self._ask_delete
        """Asks before a delete (True: go ahead); tests replace it."""
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl
        """Opens a folder in the file manager; tests replace it."""

        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search prompts…")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setToolTip("Show pictures whose prompt has all these words")
        self.condition_combo = QComboBox()
        self.condition_combo.setToolTip("Only pictures made with this condition")
        self.guide_combo = QComboBox()
        self.guide_combo.setToolTip("Only pictures where a control was guided by this: "
                                    "T2I-Adapter, ControlNet or ControlNet Union (with a "
                                    "condition chosen: that condition)")
        self.model_combo = QComboBox()
        self.model_combo.setToolTip("Only pictures made with this model")
        self.date_combo = QComboBox()
        self.date_combo.setToolTip("Only pictures made in this time")
        for label, days in DATE_RANGES:
            self.date_combo.addItem(label, days)
        self.starred_check = QCheckBox(f"{STAR} only")
        self.starred_check.setToolTip("Only starred pictures")

        self.list_view = QListView()
        self.list_view.setViewMode(QListView.ViewMode.IconMode)
        self.list_view.setResizeMode(QListView.ResizeMode.Adjust)  # a grid that wraps
        self.list_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list_view.setMovement(QListView.Movement.Static)
        self.list_view.setUniformItemSizes(True)  # layout without asking every item
        self.list_view.setLayoutMode(QListView.LayoutMode.Batched)
        self.list_view.setIconSize(QSize(ICON_SIZE, ICON_SIZE))
        self.list_view.setGridSize(QSize(ICON_SIZE + 16, ICON_SIZE + 34))
        self.list_view.setWordWrap(False)
        self.list_view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list_view.setSpacing(4)
        self.list_view.setModel(self.model)
        self.list_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list_view.customContextMenuRequested.connect(self._context_menu)
        self.list_view.doubleClicked.connect(lambda _index: self.add_as_layer())
        self.list_view.selectionModel().selectionChanged.connect(self._update_actions)
        self.count_label = QLabel()
        self.count_label.setEnabled(False)
        self.note_label = QLabel()
        self.note_label.setWordWrap(True)
        self.note_label.hide()

        self.add_action = self._make_action("Add as layer", "Add the picture to the canvas as a "
                                            "result layer (undoable; double-click does it too)",
                                            self.add_as_layer)
        self.control_action = self._make_action(
            "Use as control", "Add the picture as a photo layer and choose a condition to make "
            "from it", self.use_as_control)
        self.restore_action = self._make_action(
            "Restore settings", "Put this picture's prompt, model, seed, steps and scales back "
            "into the Generate panel", self.restore_settings)
        self.star_action = self._make_action(STAR, "Star or unstar the picture (S)",
                                             self.toggle_star, "S")
        self.star_action.setCheckable(True)
        self.folder_action = self._make_action(
            "Show in folder", "Open the history folder in the file manager", self.show_in_folder)
        self.delete_action = self._make_action(
            "Delete", "Move the picture to the history's trash folder (Del)", self.delete_selected,
            "Del")

        self._build_layout()
        self.search_edit.textChanged.connect(self.apply_filters)
        for combo in (self.condition_combo, self.guide_combo, self.model_combo,
                      self.date_combo):
            combo.currentIndexChanged.connect(self.apply_filters)
        self.starred_check.toggled.connect(self.apply_filters)
        self.model.modelReset.connect(self._after_reset)
        self.model.rowsRemoved.connect(self._after_reset)
        self.refresh()

    # -- building -------------------------------------------------------------------------------
    def _make_action(self, text: str, tip: str, slot: Callable[[], object],
                     shortcut: str = "") -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.list_view.addAction(action)
        action.triggered.connect(slot)
        return action

    def _build_layout(self) -> None:
        # Filters: search over four combos, two a row, that share the width and shrink with the
        # dock (a combo elides its text rather than widening the column).
        shrink = QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        for combo in (self.condition_combo, self.guide_combo, self.model_combo,
                      self.date_combo):
            combo.setSizeAdjustPolicy(shrink)
            combo.setMinimumContentsLength(6)
            combo.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        filters = QGridLayout()
        filters.setContentsMargins(0, 0, 0, 0)
        filters.addWidget(self.search_edit, 0, 0)
        filters.addWidget(self.starred_check, 0, 1)
        filters.addWidget(self.condition_combo, 1, 0)
        filters.addWidget(self.guide_combo, 1, 1)
        filters.addWidget(self.model_combo, 2, 0)
        filters.addWidget(self.date_combo, 2, 1)
        # Actions in a toolbar: what does not fit goes behind its » button (and every action
        # is in the thumbnails' context menu), so the dock never needs a sideways scroll bar.
        self.toolbar = QToolBar("Image history actions")
        self.toolbar.setObjectName("image_history_toolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.buttons: dict[str, QToolButton] = {}
        for action in (self.star_action, self.add_action, self.control_action,
                       self.restore_action, self.folder_action, self.delete_action):
            self.toolbar.addAction(action)
            button = self.toolbar.widgetForAction(action)
            assert isinstance(button, QToolButton)
            self.buttons[action.text()] = button
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(filters)
        layout.addWidget(self.note_label)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.list_view, 1)
        layout.addWidget(self.count_label)

    # -- contents -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the history folder again (and tell what had to be skipped)."""
        notes = self.model.reload()
        self._fill_filter_choices()
        self.note_label.setText("\n".join(notes))
        self.note_label.setVisible(bool(notes))
        self._after_reset()

    def pick_up_new(self) -> list[HistoryEntry]:
        """Show pictures that jobs wrote since the last look."""
        new = self.model.add_new()
        if new:
            self._fill_filter_choices()
            self._after_reset()
        return new

    def _fill_filter_choices(self) -> None:
        entries = self.model.all_entries
        conditions = [(self._condition_label(c), c) for c in conditions_in(entries)]
        models = [(m, m) for m in models_in(entries)]
        guides = [(guide_label(g), g) for g in guides_in(entries)]
        for combo, first, choices in ((self.condition_combo, "Any condition", conditions),
                                      (self.guide_combo, "Any guide", guides),
                                      (self.model_combo, "Any model", models)):
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(first, ANY)
            for label, value in choices:
                combo.addItem(label, value)
            combo.setCurrentIndex(max(0, combo.findData(current)) if current is not None else 0)
            combo.blockSignals(False)

    def _condition_label(self, condition: str) -> str:
        if condition == NO_CONTROLS:
            return "No controls"
        if self.registry is not None and condition in self.registry:
            return self.registry.get(condition).label
        return condition

    def current_filter(self) -> HistoryFilter:
        since, until = date_range(self.date_combo.currentData())
        return HistoryFilter(
            text=self.search_edit.text(), condition=self.condition_combo.currentData(),
            guide=self.guide_combo.currentData(),
            model=self.model_combo.currentData(), since=since, until=until,
            starred_only=self.starred_check.isChecked(),
        )

    def apply_filters(self) -> None:
        self.model.set_query(self.current_filter())

    def _after_reset(self, *_args: object) -> None:
        shown, total = self.model.rowCount(), len(self.model.all_entries)
        self.count_label.setText(f"{total} picture{'s' * (total != 1)}" if shown == total
                                 else f"{shown} of {total} pictures")
        self._update_actions()

    # -- selection ------------------------------------------------------------------------------
    def selected_entry(self) -> HistoryEntry | None:
        index = self.list_view.currentIndex()
        if not index.isValid() or not self.list_view.selectionModel().isSelected(index):
            return None
        return self.model.entry_at(index.row())

    def select(self, entry: HistoryEntry) -> bool:
        row = self.model.row_of(entry.id)
        if row < 0:
            return False
        self.list_view.setCurrentIndex(self.model.index(row))
        return True

    def _update_actions(self, *_args: object) -> None:
        entry = self.selected_entry()
        for action in (self.add_action, self.control_action, self.restore_action,
                       self.star_action, self.delete_action):
            action.setEnabled(entry is not None)
        self.star_action.setChecked(entry is not None and entry.id in self.model.starred)

    def _context_menu(self, position) -> None:
        if self.selected_entry() is None:
            return
        menu = QMenu(self)
        menu.setToolTipsVisible(True)
        for action in (self.add_action, self.control_action, self.restore_action, None,
                       self.star_action, self.folder_action, None, self.delete_action):
            menu.addSeparator() if action is None else menu.addAction(action)
        menu.popup(self.list_view.viewport().mapToGlobal(position))

    # -- actions --------------------------------------------------------------------------------
    def _with_selected(self, signal) -> None:
        entry = self.selected_entry()
        if entry is None:
            self.message.emit("Select a picture in Image history first.")
        else:
            signal.emit(entry)

    def add_as_layer(self) -> None:
        self._with_selected(self.add_layer_requested)

    def use_as_control(self) -> None:
        self._with_selected(self.control_source_requested)

    def restore_settings(self) -> None:
        self._with_selected(self.restore_requested)

    def toggle_star(self) -> None:
        entry = self.selected_entry()
        if entry is None:
            return
        try:
            self.model.set_starred(entry, entry.id not in self.model.starred)
        except T2IAError as error:
            self.message.emit(str(error))
        self._update_actions()

    def show_in_folder(self) -> None:
        folder = self.history.folder
        if not folder.is_dir():
            self.message.emit(f"The history folder {folder} does not exist yet: it appears "
                              "with the first finished picture.")
            return
        self.open_url(QUrl.fromLocalFile(str(folder)))

    def delete_selected(self) -> None:
        """Move the selected picture to the trash folder, after asking."""
        entry = self.selected_entry()
        if entry is None or not self.confirm_delete(entry):
            return
        try:
            trashed = self.history.delete(entry)
        except T2IAError as error:
            self.message.emit(str(error))
            return
        self.model.forget(entry)
        self.message.emit(f"Moved {entry.image.name} to {trashed.parent}: move it back to the "
                          "history folder to restore it.")

    def _ask_delete(self, entry: HistoryEntry) -> bool:
        answer = QMessageBox.question(
            self, "Delete picture",
            f"Move “{entry.prompt[:60] or entry.image.name}” (seed {entry.seed}) to the "
            "history's trash folder?\nYou can move it back from there.",
        )
        return answer == QMessageBox.StandardButton.Yes
