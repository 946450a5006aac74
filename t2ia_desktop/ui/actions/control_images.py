"""The current condition layer's control image on the canvas: the condition overlay (O), Paint
on control image, which condition layer the docks show, and the word when a control image
becomes hand-edited."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.session.session import Session
from t2ia_desktop.session.tool_state import ToolState
from t2ia_desktop.ui.common.widgets import ModelConnections

NO_OVERLAY = ("No condition layer to overlay yet: add one with Layer → Add condition layer, or "
              "drop a photo on the canvas.")


class ControlImageActions(QObject):
    """The overlay and Paint on control image actions, and what follows the current condition
    layer. ``focus_canvas`` gives the canvas the keyboard; ``select_layer`` selects a layer in
    Layers."""

    def __init__(self, session: Session, tool_state: ToolState,
                 focus_canvas: Callable[[], None], select_layer: Callable[[Layer], None],
                 say: Callable[[str], None], parent: QWidget) -> None:
        super().__init__(parent)
        self.session = session
        self.tool_state = tool_state
        self._focus_canvas = focus_canvas
        self._select_layer = select_layer
        self._say = say
        self._detached: set[str] = set()
        self.overlay_action = QAction("Condition overlay", parent)
        self.overlay_action.setShortcut(QKeySequence("O"))
        self.overlay_action.setCheckable(True)
        self.overlay_action.setToolTip(
            "Draw the selected condition layer's control image over the canvas (O)")
        self.overlay_action.toggled.connect(self.set_overlay)
        self.paint_action = QAction("Paint on control image", parent)
        self.paint_action.setToolTip(
            "Fix the selected condition layer's control image by hand (it stops following its "
            "source until Re-detect)")
        self.paint_action.triggered.connect(
            lambda: self.paint_on_condition(session.current_condition))
        for action in (self.overlay_action, self.paint_action):
            action.setStatusTip(action.toolTip())
            parent.addAction(action)  # the shortcut works wherever the focus is in the window
        self.connections = ModelConnections()
        self.connections.drop_with(parent)
        session.document_changed.connect(self._follow)
        session.current_condition_changed.connect(self._on_current_condition)
        tool_state.overlay_enabled_changed.connect(self.overlay_action.setChecked)
        self._follow(session.document)
        self._on_current_condition(session.current_condition)

    def set_overlay(self, shown: bool) -> None:
        """Show or hide the condition overlay (View → Condition overlay, O)."""
        if self.overlay_action.isChecked() != shown:
            self.overlay_action.setChecked(shown)  # comes back here through toggled
            return
        self.tool_state.set_overlay_enabled(shown)
        if shown and self.session.current_condition is None:
            self._say(NO_OVERLAY)

    def paint_on_condition(self, layer: Layer | None) -> None:
        """Make a condition layer the brush's layer, with the overlay on so strokes show."""
        if layer is None or layer.kind != "condition":
            self._say("Select a condition layer in Layers first.")
            return
        self.session.set_current_condition(layer)
        self.session.document.make_active(layer)
        if not layer.visible:
            self.set_overlay(True)
        self._focus_canvas()
        self._say(f"Painting on “{layer.name}”: white by default, Alt+click picks a colour, the "
                  "eraser paints black. It keeps your strokes until Re-detect (Ctrl+R).")

    def show_added(self, layer: Layer) -> None:
        """A condition layer was just added: the docks show it, Layers selects it."""
        self.session.set_current_condition(layer)
        self._select_layer(layer)

    def show_remix(self, layer: Layer) -> None:
        """A remix's condition layer: its photo is hidden, so show what the adapter follows."""
        self.show_added(layer)
        self.set_overlay(True)

    def show_selected(self, layer: Layer | None) -> None:
        """A layer selected in Layers: a condition layer becomes the current one."""
        if layer is not None and layer.kind == "condition":
            self.session.set_current_condition(layer)

    def _on_current_condition(self, layer: Layer | None) -> None:
        self.paint_action.setEnabled(layer is not None)

    # -- hand-edited control images ------------------------------------------------------------
    def _follow(self, document: Document) -> None:
        self.connections.disconnect_all()
        self.connections.connect(document.layer_removed, self._on_layer_removed)
        self.connections.connect(document.layer_changed, self._on_layer_changed)
        self._detached = {layer.id for layer in document.condition_layers()
                          if layer.condition.detached}

    def _on_layer_removed(self, layer: Layer) -> None:
        self._detached.discard(layer.id)

    def _on_layer_changed(self, layer: Layer) -> None:
        settings = layer.condition
        if layer.kind != "condition" or settings is None:
            return
        if settings.detached and layer.id not in self._detached:
            self._detached.add(layer.id)
            self._say(f"“{layer.name}” is hand-edited now: it keeps your strokes and no longer "
                      "follows its source. Re-detect (Ctrl+R) to follow it again.")
        elif not settings.detached:
            self._detached.discard(layer.id)
