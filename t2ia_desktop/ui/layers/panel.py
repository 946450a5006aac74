"""The layers panel: the document's layers, top first, one row each (see ``layer_row``).

Every row has a visibility eye, a lock, a thumbnail, a badge for its kind and its name
(double-click to rename). Layers that carry a control (the sketch layer and condition layers) get
a second line: their condition, a *Use* checkbox, their conditioning scale, a busy bar while the
detector runs, a "hand-edited" mark, their detector's error in red, and *Re-detect*.

Above the list, the selected layer's blend mode and opacity. Drag a row to move the layer in the
stack. Selecting a sketch, paint or photo layer makes it the one the brush paints on (bold);
selecting a condition layer shows it in the Condition and Preview docks without moving the brush.
Every change made here is an undo step.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from t2ia_desktop.core.conditions.registry import ConditionRegistry
from t2ia_desktop.core.document.document import (
    BLEND_MODES,
    SOURCE_KINDS,
    Document,
    Layer,
    blank_pixels,
)
from t2ia_desktop.core.undo.commands import MoveLayer, SetLayerProperty
from t2ia_desktop.runtime.detection_cancel import cancel_detection
from t2ia_desktop.session.session import Session
from t2ia_desktop.ui.common.widgets import DocumentPanel, ValueSlider, add_item_with_tooltip
from t2ia_desktop.ui.layers.row import LayerRow

ACTIVE_TINT = QColor(90, 140, 220, 40)
SELECTION_STYLE = (
    "QListWidget::item:selected { background: rgba(90, 140, 220, 95); color: palette(text); "
    "border-left: 3px solid rgb(60, 110, 200); }"
)
DELETABLE_KINDS = ("paint", "photo", "condition", "result", "mask")
BLEND_WORDS = {
    "normal": ("Normal", "The layer covers what is below it"),
    "multiply": ("Multiply", "Darkens: white vanishes, black stays black (ink, shadows)"),
    "screen": ("Screen", "Lightens: black vanishes, white stays white (glows, light)"),
    "overlay": ("Overlay", "More contrast: darkens the darks and lightens the lights below"),
    "darken": ("Darken", "Keeps the darker of the layer and what is below"),
    "lighten": ("Lighten", "Keeps the lighter of the layer and what is below"),
    "color-dodge": ("Colour dodge", "Brightens what is below by the layer's colour (glows)"),
    "color-burn": ("Colour burn", "Darkens what is below by the layer's colour, with contrast"),
    "hard-light": ("Hard light", "Multiply where the layer is dark, screen where it is light"),
    "soft-light": ("Soft light", "A gentle overlay: the layer lightens or darkens softly"),
    "difference": ("Difference", "The difference of the layer and what is below"),
    "exclusion": ("Exclusion", "Like difference, with less contrast"),
    "plus": ("Plus (add)", "Adds the layer's light to what is below"),
}
THUMBNAIL_DELAY_MS = 250
"""Thumbnails follow painting at most this often."""


class LayerList(QListWidget):
    """The rows, top first; dragging one within the list asks to move its layer there."""

    move_requested = Signal(int, int)  # from list row, to list row (both top first)

    def __init__(self) -> None:
        super().__init__()
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setDropIndicatorShown(True)

    def drop_row(self, position: QPoint) -> int:
        """The row a dragged layer lands on when dropped at ``position`` (viewport pixels)."""
        index = self.indexAt(position)
        if not index.isValid():
            return self.count() - 1 if position.y() > 0 else 0
        rect = self.visualRect(index)
        gap = index.row() + (1 if position.y() > rect.center().y() else 0)
        source = self.currentRow()
        return gap - 1 if gap > source else gap

    def dropEvent(self, event: QDropEvent) -> None:
        # The document decides the order: the list is rebuilt from it, not moved by Qt.
        source = self.currentRow()
        target = self.drop_row(event.position().toPoint())
        event.setDropAction(Qt.DropAction.IgnoreAction)
        event.accept()
        if event.source() is self and source >= 0 and target != source:
            self.move_requested.emit(source, target)


class LayersPanel(DocumentPanel):
    """The layer list, with Add condition, Re-detect, Clear sketch and Delete below it."""

    selection_changed = Signal(object)  # the selected Layer, or None
    message = Signal(str)  # what was done, for the status bar

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        """Changes made here are undo steps of the session's history."""
        super().__init__(parent)
        self.document = session.document
        self.updater = updater = session.updater
        self.edits = session.edits
        self.registry: ConditionRegistry | None = session.registry
        self.family = "sdxl"
        self.rows: dict[str, LayerRow] = {}
        self._layers: list[Layer] = []  # in list order, top first
        self._refreshing = False
        self._stale_thumbnails: set[str] = set()
        self._thumbnail_timer = QTimer(self)
        self._thumbnail_timer.setSingleShot(True)
        self._thumbnail_timer.setInterval(THUMBNAIL_DELAY_MS)
        self._thumbnail_timer.timeout.connect(self.update_thumbnails)

        self.list_widget = LayerList()
        self.list_widget.setToolTip(
            "Layers, top first. The eye shows or hides a layer, the padlock locks it; the bold "
            "one is where you paint. Drag a layer to move it; double-click its name to rename it."
        )
        self.list_widget.move_requested.connect(self._on_move_requested)

        self.blend_combo = QComboBox()
        for mode in BLEND_MODES:
            words, tip = BLEND_WORDS[mode]
            add_item_with_tooltip(self.blend_combo, words, mode, tip)
        self.blend_combo.setToolTip("Blend mode: how the selected layer mixes with the layers "
                                    "below it")
        self.blend_combo.currentIndexChanged.connect(self._on_blend_chosen)
        self.opacity_slider = ValueSlider(0.0, 1.0, 0.01, 1.0)
        self.opacity_slider.setToolTip("Opacity of the selected layer (0: invisible, 1: solid)")
        self.opacity_slider.valueChanged.connect(self._on_opacity_chosen)
        self.opacity_slider.slider.sliderReleased.connect(lambda: self.edits.seal())
        properties = QHBoxLayout()
        properties.setContentsMargins(0, 0, 0, 0)
        properties.addWidget(self.blend_combo)
        properties.addWidget(QLabel("Opacity"))
        properties.addWidget(self.opacity_slider, 1)

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
            "Delete the selected paint, photo, condition, mask or generated layer (Ctrl+Z brings "
            "it back)")
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
        self.rename_action = QAction("Rename layer", self)
        self.rename_action.setShortcut(QKeySequence("F2"))
        self.rename_action.setToolTip("Rename the selected layer (F2, or double-click its name)")
        self.rename_action.triggered.connect(self.rename_selected)
        self.addAction(self.rename_action)

        self.add_condition_button = QToolButton()
        self.add_condition_button.setText("Add condition")
        self.add_condition_button.setToolTip(
            "Add a condition layer (edges, depth, pose…) made from the selected photo, paint or "
            "sketch layer"
        )
        self.add_condition_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_condition_button.setEnabled(False)

        self.remix_button = QToolButton()
        self.remix_button.setText("Remix")
        self.remix_button.setToolTip("Turn the selected photo into pose, depth, lines… to "
                                     "generate from (as dropping a photo on the canvas does)")
        self.remix_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.remix_button.setVisible(False)

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.add_condition_button)
        buttons.addWidget(self.remix_button)
        for action in (self.redetect_action, self.clear_sketch_action, self.delete_action):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(properties)
        layout.addWidget(self.list_widget, 1)
        layout.addLayout(buttons)

        self._listen(session)
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
        self._follow(document)
        self.list_widget.setCurrentRow(-1)
        self.refresh()

    def set_add_condition_menu(self, menu: QMenu) -> None:
        self.add_condition_button.setMenu(menu)
        self.add_condition_button.setEnabled(True)

    def set_remix_menu(self, menu: QMenu) -> None:
        """The Remix button's menu, shown while a photo layer is selected."""
        self.remix_button.setMenu(menu)
        self._update_actions()

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
        if not self.registry.get(condition).guides_for(self.family):
            return f"no {self.family.upper()} adapter"
        return ""

    # -- actions ------------------------------------------------------------------------------
    def clear_sketch(self) -> None:
        """Clear the sketch layer (one undo step)."""
        sketch = self.document.sketch_layer()
        if sketch is None or sketch.is_blank():
            return
        if sketch.locked:
            self.message.emit(f"“{sketch.name}” is locked: unlock it in Layers to clear it.")
            return
        self.edits.clear(sketch, "Clear sketch")
        self.message.emit("Cleared the sketch. Undo (Ctrl+Z) brings it back.")

    def delete_selected(self) -> None:
        """Delete the selected layer (not the sketch layer); undo brings it back."""
        layer = self.selected_layer()
        if layer is None or layer.kind not in DELETABLE_KINDS:
            return
        if layer.locked:
            self.message.emit(f"“{layer.name}” is locked: unlock it in Layers to delete it.")
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
        self.document.make_active(layer)
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

    def cancel_detection(self, layer: Layer) -> bool:
        """Cancel ``layer``'s detector run; it keeps its control image (runtime's note)."""
        return self.updater is not None and cancel_detection(self.updater, layer)

    def redetect_selected(self) -> None:
        layer = self.selected_layer()
        if layer is not None:
            self.redetect(layer)

    def rename_selected(self) -> None:
        layer = self.selected_layer()
        if layer is not None:
            self.rows[layer.id].start_rename()

    def move(self, layer: Layer, index: int) -> None:
        """Move ``layer`` to ``index`` of the stack (bottom first) as one undo step."""
        if layer in self.document.layers and self.document.layers.index(layer) != index:
            self.edits.push(MoveLayer(layer, index))
            self.select(layer)

    def _on_move_requested(self, source_row: int, target_row: int) -> None:
        layer = self._layers[source_row]
        self.move(layer, len(self._layers) - 1 - target_row)

    def _on_blend_chosen(self, _index: int) -> None:
        layer = self.selected_layer()
        mode = self.blend_combo.currentData()
        if not self._refreshing and layer is not None and mode != layer.blend_mode:
            words = BLEND_WORDS[mode][0]
            self.edits.push(SetLayerProperty(layer, "blend_mode", mode,
                                             f"{words} blend for {layer.name}"))

    def _on_opacity_chosen(self, value: float) -> None:
        layer = self.selected_layer()
        if not self._refreshing and layer is not None and value != layer.opacity:
            self.edits.push(SetLayerProperty(layer, "opacity", value))

    def _show_properties(self) -> None:
        """The selected layer's blend mode and opacity in the strip above the list."""
        layer = self.selected_layer()
        was, self._refreshing = self._refreshing, True
        try:
            self.blend_combo.setEnabled(layer is not None)
            self.opacity_slider.setEnabled(layer is not None)
            if layer is not None:
                self.blend_combo.setCurrentIndex(max(0, self.blend_combo.findData(
                    layer.blend_mode)))
                self.opacity_slider.setValue(layer.opacity)
        finally:
            self._refreshing = was

    def update_thumbnails(self) -> None:
        """Redraw the thumbnails of layers painted on since the last time."""
        stale, self._stale_thumbnails = self._stale_thumbnails, set()
        for layer_id in stale:
            row = self.rows.get(layer_id)
            if row is not None:
                row.refresh_thumbnail()

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
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                              | Qt.ItemFlag.ItemIsDragEnabled)
                row = LayerRow(layer, self)
                if self.updater is not None:
                    row.set_busy(self.updater.scheduler.is_busy(layer.id))
                self.rows[layer.id] = row
                self.list_widget.addItem(item)
                self.list_widget.setItemWidget(item, row)
                self._style_item(layer)
            if selected in self._layers:
                self.list_widget.setCurrentRow(self._layers.index(selected))
            elif self.document.active in self._layers:  # the row shown as current is selected
                self.list_widget.setCurrentRow(self._layers.index(self.document.active))
        finally:
            self._refreshing = False
        if self.selected_layer() is not selected:
            self.selection_changed.emit(self.selected_layer())
        self._update_actions()
        self._show_properties()

    def _style_item(self, layer: Layer) -> None:
        item = self.item_for(layer)
        row = self.rows[layer.id]
        item.setSizeHint(row.sizeHint())
        active = layer is self.document.active
        item.setBackground(QBrush(ACTIVE_TINT) if active else QBrush())

    def _on_current_row_changed(self, _row: int) -> None:
        self._update_actions()
        self._show_properties()
        if self._refreshing:
            return
        layer = self.selected_layer()
        if layer is not None and (layer.kind in SOURCE_KINDS or layer.kind == "mask"):
            self.document.make_active(layer)  # a mask too: paint on it, inpaint with it
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
        if layer is self.selected_layer():
            self._show_properties()

    def _on_busy(self, layer: Layer, busy: bool) -> None:
        row = self.rows.get(layer.id)
        if row is not None:
            row.set_busy(busy)

    def _on_pixels_changed(self, layer: Layer, rect: tuple[int, int, int, int]) -> None:
        self._stale_thumbnails.add(layer.id)
        if not self._thumbnail_timer.isActive():
            self._thumbnail_timer.start()
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
        self.rename_action.setEnabled(selected is not None)
        self.remix_button.setVisible(self.remix_button.menu() is not None
                                     and selected is not None and selected.kind == "photo")
        self.redetect_action.setEnabled(
            self.updater is not None and selected is not None and selected.kind == "condition"
        )


