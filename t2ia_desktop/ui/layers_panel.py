"""The layers panel: the document's layers, top first, one row each.

Every row has a visibility eye, a badge for its kind and its name. Layers that carry a control
(the sketch layer and condition layers) get a second line: their condition, a *Use* checkbox
(sent to Generate or not, apart from being shown), their conditioning scale, and for condition
layers a busy bar while the detector runs, a "hand-edited" mark when painted over, their
detector's error in red, and *Re-detect*.

Selecting a sketch, paint or photo layer makes it the one the brush paints on (bold); selecting
a condition layer shows it in the Condition and Preview docks without moving the brush there.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QProgressBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from t2ia_desktop.core.conditions import ConditionRegistry
from t2ia_desktop.core.document import Document, Layer, blank_pixels
from t2ia_desktop.runtime.condition_updates import ConditionUpdater
from t2ia_desktop.ui.edits import DocumentEdits
from t2ia_desktop.ui.widgets import KIND_WORDS, ElidedLabel, ModelConnections, eye_icon, kind_icon

ACTIVE_TINT = QColor(90, 140, 220, 40)
SELECTION_STYLE = (
    "QListWidget::item:selected { background: rgba(90, 140, 220, 95); color: palette(text); "
    "border-left: 3px solid rgb(60, 110, 200); }"
)
ERROR_STYLE = "color: #d03030;"
EDITED_STYLE = "color: #c87814; font-style: italic;"
NOTE_STYLE = "color: #c87814;"
MUTED_STYLE = "color: palette(mid);"
SOURCE_KINDS = ("sketch", "paint", "photo")
"""Layers a detector can read, and that selecting makes the brush's layer."""
DELETABLE_KINDS = ("paint", "photo", "condition", "result")
EDITED_TIP = ("You painted on this control image, so it no longer follows its source. "
              "Re-detect to follow the source again (your strokes on it are replaced).")


def make_active(document: Document, layer: Layer) -> None:
    """Make ``layer`` the one the brush paints on, and tell every view."""
    previous = document.active
    if previous is layer:
        return
    document.active = layer
    if previous is not None and previous in document.layers:
        document.layer_changed.emit(previous)
    document.layer_changed.emit(layer)


def condition_label(registry: ConditionRegistry | None, condition: str) -> str:
    if registry is not None and condition in registry:
        return registry.get(condition).label
    return condition


class LayerRow(QWidget):
    """One layer in the list; ``refresh()`` redraws it from the layer."""

    def __init__(self, layer: Layer, panel: LayersPanel) -> None:
        super().__init__()
        self.layer = layer
        self._panel = panel
        self._updating = False

        self.visible_button = QToolButton()
        self.visible_button.setCheckable(True)
        self.visible_button.setIcon(eye_icon())
        self.visible_button.setIconSize(QSize(18, 18))
        self.visible_button.setAutoRaise(True)
        self.visible_button.setToolTip("Show or hide this layer on the canvas")
        self.visible_button.toggled.connect(self._on_visible)

        self.kind_label = QLabel()
        self.kind_label.setPixmap(kind_icon(layer.kind).pixmap(QSize(20, 20)))
        self.kind_label.setToolTip(KIND_WORDS.get(layer.kind, layer.kind))
        self.name_label = ElidedLabel()
        self.edited_label = QLabel("hand-edited")
        self.edited_label.setStyleSheet(EDITED_STYLE)
        self.edited_label.setToolTip(EDITED_TIP)
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)  # indeterminate: it moves while the detector runs
        self.busy_bar.setFixedSize(36, 8)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setToolTip("Updating the control image…")
        policy = self.busy_bar.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # the row does not jump as it comes and goes
        self.busy_bar.setSizePolicy(policy)
        self.busy_bar.hide()

        grid = QGridLayout(self)
        grid.setContentsMargins(2, 3, 4, 3)
        grid.setHorizontalSpacing(4)
        grid.setVerticalSpacing(1)
        top = QHBoxLayout()
        top.setSpacing(6)
        top.addWidget(self.kind_label)
        top.addWidget(self.name_label, 1)
        top.addWidget(self.edited_label)
        top.addWidget(self.busy_bar)
        grid.addWidget(self.visible_button, 0, 0)
        grid.addLayout(top, 0, 1)
        grid.setColumnStretch(1, 1)

        self.condition_text: QLabel | None = None
        self.enabled_check: QCheckBox | None = None
        self.scale_spin: QDoubleSpinBox | None = None
        self.redetect_button: QToolButton | None = None
        self.error_label: ElidedLabel | None = None
        if layer.condition is not None:
            self._build_condition_line(grid)
        self.refresh()

    def _build_condition_line(self, grid: QGridLayout) -> None:
        layer = self.layer
        self.condition_text = ElidedLabel()
        self.condition_text.setStyleSheet(MUTED_STYLE)
        self.enabled_check = QCheckBox("Use")
        self.enabled_check.setToolTip(
            "Use this control when generating (apart from showing it on the canvas)"
        )
        self.enabled_check.toggled.connect(self._on_enabled)
        self.scale_spin = QDoubleSpinBox()
        self.scale_spin.setRange(0.0, 2.0)
        self.scale_spin.setSingleStep(0.05)
        self.scale_spin.setDecimals(2)
        self.scale_spin.setKeyboardTracking(False)
        self.scale_spin.setToolTip(
            "Conditioning scale: how strongly this control steers the picture. "
            "0 ignores it, 1 is the adapter's normal strength, 2 follows it rigidly."
        )
        self.scale_spin.valueChanged.connect(self._on_scale)
        self.scale_spin.editingFinished.connect(self._panel.edits.seal)
        line = QHBoxLayout()
        line.setSpacing(6)
        line.addWidget(self.condition_text, 1)
        line.addWidget(self.enabled_check)
        line.addWidget(self.scale_spin)
        if layer.kind == "condition":
            self.redetect_button = QToolButton()
            self.redetect_button.setText("Re-detect")
            self.redetect_button.setToolTip(
                "Run the detector on the source again (and follow it again if hand-edited)"
            )
            self.redetect_button.clicked.connect(lambda: self._panel.redetect(self.layer))
            line.addWidget(self.redetect_button)
        grid.addLayout(line, 1, 1)
        self.error_label = ElidedLabel()
        self.error_label.setStyleSheet(ERROR_STYLE)
        grid.addWidget(self.error_label, 2, 1)

    def refresh(self) -> None:
        layer = self.layer
        panel = self._panel
        self._updating = True
        try:
            self.visible_button.setChecked(layer.visible)
            text = layer.name
            if layer.request is not None:
                text += f"  ·  seed {layer.request.seed}"
            self.name_label.setText(text)
            font = self.name_label.font()
            font.setBold(layer is panel.document.active)
            self.name_label.setFont(font)
            tips = [KIND_WORDS.get(layer.kind, layer.kind)]
            if layer is panel.document.active:
                tips.append("Active layer: your brush paints here.")
            if layer.request is not None:
                tips.append(layer.request.summary())
            settings = layer.condition
            detached = bool(settings and settings.detached)
            self.edited_label.setVisible(detached)
            if settings is not None:
                source = panel.document.layer_by_id(settings.source_id)
                label = condition_label(panel.registry, settings.condition)
                words = label if source is None else f"{label} from {source.name}"
                note = panel.family_note(settings.condition)
                self.condition_text.setText(f"{words} · {note}" if note else words)
                self.condition_text.setStyleSheet(NOTE_STYLE if note else MUTED_STYLE)
                self.condition_text.setToolTip(
                    f"{words}. {note.capitalize()}: it is left out when generating."
                    if note else f"{words}: what the adapter reads.")
                self.enabled_check.setChecked(settings.enabled)
                self.scale_spin.setValue(settings.conditioning_scale)
                self.scale_spin.setEnabled(settings.enabled)
                self.error_label.setText(settings.error)
                self.error_label.setToolTip(settings.error)
                self.error_label.setVisible(bool(settings.error))
                if settings.error:
                    tips.append(f"Error: {settings.error}")
            self.name_label.setToolTip("\n".join(tips))
        finally:
            self._updating = False

    def set_busy(self, busy: bool) -> None:
        self.busy_bar.setVisible(busy)

    def _on_visible(self, shown: bool) -> None:
        if not self._updating:
            self._panel.edits.set_visible(self.layer, shown)

    def _on_enabled(self, enabled: bool) -> None:
        if not self._updating and self.layer.condition is not None:
            self._panel.edits.set_condition(self.layer, "enabled", enabled)

    def _on_scale(self, scale: float) -> None:
        if not self._updating and self.layer.condition is not None:
            self._panel.edits.set_condition(self.layer, "conditioning_scale", round(scale, 2))


class LayersPanel(QWidget):
    """The layer list, with Add condition, Re-detect, Clear sketch and Delete below it."""

    selection_changed = Signal(object)  # the selected Layer, or None
    message = Signal(str)  # what was done, for the status bar

    def __init__(self, document: Document, updater: ConditionUpdater | None = None,
                 parent: QWidget | None = None, *, edits: DocumentEdits | None = None) -> None:
        """``edits`` records the changes made here as undo steps."""
        super().__init__(parent)
        self.document = document
        self.updater = updater
        self.edits = edits or DocumentEdits(document, None, updater)
        self._own_edits = edits is None
        self.registry: ConditionRegistry | None = updater.registry if updater else None
        self.family = "sdxl"
        self.rows: dict[str, LayerRow] = {}
        self._layers: list[Layer] = []  # in list order, top first
        self._refreshing = False

        self.list_widget = QListWidget()
        self.list_widget.setToolTip(
            "Layers, top first. The eye shows or hides a layer; the bold one is where you paint."
        )
        self.list_widget.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        # A light selection keeps the rows' own colours (a red error) readable.
        self.list_widget.setStyleSheet(SELECTION_STYLE)
        self.list_widget.currentRowChanged.connect(self._on_current_row_changed)

        self.clear_sketch_action = QAction("Clear sketch", self)
        self.clear_sketch_action.setToolTip(
            "Erase everything on the sketch layer (Shift+Del; Ctrl+Z brings it back)")
        self.clear_sketch_action.setShortcut(QKeySequence("Shift+Del"))
        self.clear_sketch_action.triggered.connect(self.clear_sketch)
        self.delete_action = QAction("Delete layer", self)
        self.delete_action.setToolTip(
            "Delete the selected paint, photo, condition or generated layer (Ctrl+Z brings it "
            "back)")
        self.delete_action.triggered.connect(self.delete_selected)
        self.new_paint_action = QAction("New paint layer", self)
        self.new_paint_action.setShortcut(QKeySequence("Ctrl+Shift+N"))
        self.new_paint_action.setToolTip(
            "Add an empty paint layer above the selected layer and paint on it (Ctrl+Shift+N)")
        self.new_paint_action.triggered.connect(self.add_paint_layer)
        self.duplicate_action = QAction("Duplicate layer", self)
        self.duplicate_action.setShortcut(QKeySequence("Ctrl+J"))
        self.duplicate_action.setToolTip("Copy the selected layer, right above it (Ctrl+J)")
        self.duplicate_action.triggered.connect(self.duplicate_selected)
        self.redetect_action = QAction("Re-detect", self)
        self.redetect_action.setShortcut(QKeySequence("Ctrl+R"))
        self.redetect_action.setToolTip(
            "Run the selected condition layer's detector again and follow its source (Ctrl+R)"
        )
        self.redetect_action.triggered.connect(self.redetect_selected)

        self.add_condition_button = QToolButton()
        self.add_condition_button.setText("Add condition")
        self.add_condition_button.setToolTip(
            "Add a condition layer (edges, depth, pose…) made from the selected photo, paint or "
            "sketch layer"
        )
        self.add_condition_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_condition_button.setEnabled(False)

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.add_condition_button)
        for action in (self.redetect_action, self.clear_sketch_action, self.delete_action):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list_widget, 1)
        layout.addLayout(buttons)

        self.connections = ModelConnections()
        self.connections.drop_with(self)
        self._bind(document)
        if updater is not None:
            updater.layer_busy.connect(self._on_busy)
        self.refresh()

    def _bind(self, document: Document) -> None:
        self.connections.connect(document.layer_added, self._on_layers_changed)
        self.connections.connect(document.layer_removed, self._on_layers_changed)
        self.connections.connect(document.layer_changed, self._on_layer_changed)
        self.connections.connect(document.pixels_changed, self._on_pixels_changed)

    def set_document(self, document: Document) -> None:
        """List another document's layers (a new or opened one)."""
        self.connections.disconnect_all()
        self.document = document
        if self._own_edits:
            self.edits.set_document(document)
        self._bind(document)
        self.list_widget.setCurrentRow(-1)
        self.refresh()

    def closeEvent(self, event) -> None:
        self.connections.disconnect_all()
        super().closeEvent(event)

    def set_add_condition_menu(self, menu: QMenu) -> None:
        self.add_condition_button.setMenu(menu)
        self.add_condition_button.setEnabled(True)

    def set_family(self, family: str) -> None:
        """The current model's family: conditions without an adapter for it are marked."""
        if family != self.family:
            self.family = family
            for row in self.rows.values():
                row.refresh()

    def family_note(self, condition: str) -> str:
        """Why a condition is left out with the current family ("" when it is not)."""
        if self.registry is None:
            return ""
        if condition not in self.registry:
            return "unknown condition"
        if self.family not in self.registry.get(condition).adapters:
            return f"no {self.family.upper()} adapter"
        return ""

    # -- actions ------------------------------------------------------------------------------
    def clear_sketch(self) -> None:
        """Clear the sketch layer (one undo step)."""
        sketch = self.document.sketch_layer()
        if sketch is None or sketch.is_blank():
            return
        self.edits.clear(sketch, "Clear sketch")
        self.message.emit("Cleared the sketch. Undo (Ctrl+Z) brings it back.")

    def delete_selected(self) -> None:
        """Delete the selected layer (not the sketch layer); undo brings it back."""
        layer = self.selected_layer()
        if layer is None or layer.kind not in DELETABLE_KINDS:
            return
        followers = [other.name for other in self.document.condition_layers()
                     if other.condition.source_id == layer.id]
        self.edits.remove_layer(layer)
        text = f"Deleted “{layer.name}”. Undo (Ctrl+Z) brings it back."
        if followers:
            their = "its" if len(followers) == 1 else "their"
            text += (f" {', '.join(followers)} keep{'s' if len(followers) == 1 else ''} {their} "
                     "control image but no longer follow it.")
        self.message.emit(text)

    def add_paint_layer(self) -> Layer:
        """An empty paint layer above the selected layer (on top without one); the brush
        paints on it."""
        selected = self.selected_layer()
        index = (self.document.layers.index(selected) + 1 if selected is not None
                 else len(self.document.layers))
        taken = {layer.name for layer in self.document.layers}
        number = 1
        while f"Paint {number}" in taken:
            number += 1
        layer = Layer(f"Paint {number}", "paint",
                      blank_pixels(self.document.width, self.document.height))
        self.edits.add_layer(layer, index, f"Add {layer.name}")
        make_active(self.document, layer)
        self.select(layer)
        return layer

    def duplicate_selected(self) -> Layer | None:
        layer = self.selected_layer()
        if layer is None:
            return None
        copy_ = self.edits.duplicate_layer(layer)
        self.select(copy_)
        return copy_

    def redetect(self, layer: Layer) -> None:
        """Re-run ``layer``'s detector, following its source again (undo brings back what was
        painted on it by hand)."""
        if self.updater is None or layer.kind != "condition":
            return
        self.edits.redetect(layer)

    def redetect_selected(self) -> None:
        layer = self.selected_layer()
        if layer is not None:
            self.redetect(layer)

    def selected_layer(self) -> Layer | None:
        row = self.list_widget.currentRow()
        return self._layers[row] if 0 <= row < len(self._layers) else None

    def select(self, layer: Layer) -> None:
        if layer in self._layers:
            self.list_widget.setCurrentRow(self._layers.index(layer))

    def item_for(self, layer: Layer) -> QListWidgetItem:
        return self.list_widget.item(self._layers.index(layer))

    def row_for(self, layer: Layer) -> LayerRow:
        return self.rows[layer.id]

    # -- drawing the list ---------------------------------------------------------------------
    def refresh(self) -> None:
        """Rebuild the list from the document, keeping the selection."""
        selected = self.selected_layer()
        self._refreshing = True
        try:
            self.list_widget.clear()
            self.rows.clear()
            self._layers = list(reversed(self.document.layers))
            for layer in self._layers:
                item = QListWidgetItem()
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                row = LayerRow(layer, self)
                if self.updater is not None:
                    row.set_busy(self.updater.scheduler.is_busy(layer.id))
                self.rows[layer.id] = row
                self.list_widget.addItem(item)
                self.list_widget.setItemWidget(item, row)
                self._style_item(layer)
            if selected in self._layers:
                self.list_widget.setCurrentRow(self._layers.index(selected))
        finally:
            self._refreshing = False
        if self.selected_layer() is not selected:
            self.selection_changed.emit(self.selected_layer())
        self._update_actions()

    def _style_item(self, layer: Layer) -> None:
        item = self.item_for(layer)
        row = self.rows[layer.id]
        item.setSizeHint(row.sizeHint())
        active = layer is self.document.active
        item.setBackground(QBrush(ACTIVE_TINT) if active else QBrush())

    def _on_current_row_changed(self, _row: int) -> None:
        self._update_actions()
        if self._refreshing:
            return
        layer = self.selected_layer()
        if layer is not None and layer.kind in SOURCE_KINDS:
            make_active(self.document, layer)
        self.selection_changed.emit(layer)

    def _on_layers_changed(self, _layer: Layer) -> None:
        self.refresh()

    def _on_layer_changed(self, layer: Layer) -> None:
        # Update the row in place: this may run inside one of the row's own signals, where
        # rebuilding the list would delete the widget Qt is still handling.
        row = self.rows.get(layer.id)
        if row is None or self._layers != list(reversed(self.document.layers)):
            return self.refresh()  # a new layer, or the stack's order changed
        row.refresh()
        self._style_item(layer)
        self._update_actions()

    def _on_busy(self, layer: Layer, busy: bool) -> None:
        row = self.rows.get(layer.id)
        if row is not None:
            row.set_busy(busy)

    def _on_pixels_changed(self, layer: Layer, rect: tuple[int, int, int, int]) -> None:
        if layer.kind == "condition":
            row = self.rows.get(layer.id)
            if row is not None and layer.condition is not None:
                row.edited_label.setVisible(layer.condition.detached)
            return
        if layer.kind != "sketch":
            return
        x, y, width, height = rect
        if layer.pixels[y : y + height, x : x + width, 3].any():
            self.clear_sketch_action.setEnabled(True)  # cheap: ink in the changed area
        else:
            self._update_actions()  # erased here: look at the whole layer

    def _update_actions(self) -> None:
        sketch = self.document.sketch_layer()
        self.clear_sketch_action.setEnabled(sketch is not None and not sketch.is_blank())
        selected = self.selected_layer()
        self.delete_action.setEnabled(selected is not None and selected.kind in DELETABLE_KINDS)
        self.duplicate_action.setEnabled(selected is not None)
        self.redetect_action.setEnabled(
            self.updater is not None and selected is not None and selected.kind == "condition"
        )


