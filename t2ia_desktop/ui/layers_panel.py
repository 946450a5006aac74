"""The layers panel: the document's layers, top first, with visibility, Clear sketch and Delete."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from t2ia_desktop.core.document import Document, Layer
from t2ia_desktop.ui.widgets import ModelConnections

ACTIVE_TINT = QColor(90, 140, 220, 60)
KIND_WORDS = {"sketch": "Sketch layer", "paint": "Paint layer", "result": "Generated picture"}


class LayersPanel(QWidget):
    """A list of layers with a visibility checkbox each; the active layer is highlighted."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.confirm: Callable[[str], bool] = self._ask
        """Asks the artist before something is lost; tests replace it."""
        self._layers: list[Layer] = []  # in list order, top first
        self._refreshing = False

        self.list_widget = QListWidget()
        self.list_widget.setToolTip(
            "Layers, top first. Tick a layer to show it; the highlighted one is where you draw."
        )
        self.list_widget.itemChanged.connect(self._on_item_changed)
        self.list_widget.currentRowChanged.connect(lambda _row: self._update_actions())

        self.clear_sketch_action = QAction("Clear sketch", self)
        self.clear_sketch_action.setToolTip("Erase everything on the sketch layer (Shift+Del)")
        self.clear_sketch_action.setShortcut(QKeySequence("Shift+Del"))
        self.clear_sketch_action.triggered.connect(self.clear_sketch)
        self.delete_action = QAction("Delete result", self)
        self.delete_action.setToolTip("Delete the selected generated layer")
        self.delete_action.triggered.connect(self.delete_selected)

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for action in (self.clear_sketch_action, self.delete_action):
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
        self.connections.connect(document.layer_added, self._on_layers_changed)
        self.connections.connect(document.layer_removed, self._on_layers_changed)
        self.connections.connect(document.layer_changed, self._on_layer_changed)
        self.connections.connect(document.pixels_changed, self._on_pixels_changed)
        self.connections.drop_with(self)
        self.refresh()

    def closeEvent(self, event) -> None:
        self.connections.disconnect_all()
        super().closeEvent(event)

    # -- actions ------------------------------------------------------------------------------
    def clear_sketch(self) -> None:
        """Clear the sketch layer, after asking when there is something on it."""
        sketch = self.document.sketch_layer()
        if sketch is None or sketch.is_blank():
            return
        if self.confirm("Erase everything on the sketch layer? This cannot be undone yet."):
            self.document.clear_layer(sketch)

    def delete_selected(self) -> None:
        """Delete the selected generated layer, after asking."""
        layer = self.selected_layer()
        if layer is None or layer.kind != "result":
            return
        if self.confirm(f"Delete “{layer.name}”? This cannot be undone yet."):
            self.document.remove_layer(layer)

    def selected_layer(self) -> Layer | None:
        row = self.list_widget.currentRow()
        return self._layers[row] if 0 <= row < len(self._layers) else None

    def item_for(self, layer: Layer) -> QListWidgetItem:
        return self.list_widget.item(self._layers.index(layer))

    # -- drawing the list ---------------------------------------------------------------------
    def refresh(self) -> None:
        """Rebuild the list from the document, keeping the selection."""
        selected = self.selected_layer()
        self._refreshing = True
        try:
            self.list_widget.clear()
            self._layers = list(reversed(self.document.layers))
            for layer in self._layers:
                self.list_widget.addItem(self._make_item(layer))
            if selected in self._layers:
                self.list_widget.setCurrentRow(self._layers.index(selected))
        finally:
            self._refreshing = False
        self._update_actions()

    def _make_item(self, layer: Layer) -> QListWidgetItem:
        active = layer is self.document.active
        text = layer.name
        if layer.request is not None:
            text += f"  ·  seed {layer.request.seed}"
        item = QListWidgetItem(text)
        item.setFlags(
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsUserCheckable
        )
        item.setCheckState(Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked)
        tips = [KIND_WORDS.get(layer.kind, layer.kind), "Tick to show, untick to hide."]
        if active:
            font = item.font()
            font.setBold(True)
            item.setFont(font)
            item.setBackground(QBrush(ACTIVE_TINT))
            tips.insert(1, "Active layer: your brush draws here.")
        if layer.request is not None:
            tips.append(layer.request.summary())
        item.setToolTip("\n".join(tips))
        return item

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        if self._refreshing:
            return
        layer = self._layers[self.list_widget.row(item)]
        self.document.set_visible(layer, item.checkState() == Qt.CheckState.Checked)

    def _on_layers_changed(self, _layer: Layer) -> None:
        self.refresh()

    def _on_layer_changed(self, layer: Layer) -> None:
        # Update the row in place: this may run inside the row's own itemChanged signal,
        # where rebuilding the list would delete the item Qt is still handling.
        if layer not in self._layers:
            return self.refresh()
        fresh = self._make_item(layer)
        item = self.item_for(layer)
        self._refreshing = True
        try:
            item.setText(fresh.text())
            item.setCheckState(fresh.checkState())
            item.setToolTip(fresh.toolTip())
        finally:
            self._refreshing = False

    def _on_pixels_changed(self, layer: Layer, rect: tuple[int, int, int, int]) -> None:
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
        self.delete_action.setEnabled(selected is not None and selected.kind == "result")

    def _ask(self, question: str) -> bool:
        answer = QMessageBox.question(
            self, "t2ia desktop", question, defaultButton=QMessageBox.StandardButton.No
        )
        return answer == QMessageBox.StandardButton.Yes
