"""The session: the open document, its undo stack and edits service, and the condition layer
the docks show — what a window shows and a test drives, with no widgets.

Panels and controllers take the session and follow :attr:`Session.document_changed`; nothing
fans a new document out by hand. A new or opened document starts an empty history.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from t2ia_desktop.core.conditions.registry import ConditionRegistry
from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.core.undo.stack import UndoStack
from t2ia_desktop.runtime.condition_updates import ConditionUpdater
from t2ia_desktop.session.edits import DocumentEdits


class Session(QObject):
    """One open document at a time, and what works on it."""

    document_changing = Signal(object)
    """The document is about to be replaced (its strokes end, its views let go)."""
    document_changed = Signal(object)
    """Another document is open now (File → New, Open, crash recovery)."""
    current_condition_changed = Signal(object)
    """The condition layer the Preview and Condition docks and the overlay show (or None)."""

    def __init__(self, document: Document, updater: ConditionUpdater | None = None,
                 parent: QObject | None = None, *,
                 registry: ConditionRegistry | None = None) -> None:
        """``updater`` keeps condition layers in step with their sources (None: nothing is
        detected, as for a canvas or a Generate panel on its own, which may still name the
        ``registry`` of condition types); the registry is the updater's when there is one."""
        super().__init__(parent)
        if updater is not None and updater.document is not document:
            raise ValueError("the condition updater follows another document")
        self.document = document
        self.updater = updater
        self.registry: ConditionRegistry | None = updater.registry if updater else registry
        self.undo = UndoStack(document)
        """The document's history: every change made through :attr:`edits` is a step of it."""
        self.edits = DocumentEdits(document, self.undo, updater)
        self.current_condition: Layer | None = None
        self._follow_layers(document)
        self._pick_current_condition()

    def set_document(self, document: Document) -> None:
        """Work on ``document`` from now on; its history starts empty and clean."""
        self.document_changing.emit(self.document)
        self._unfollow_layers(self.document)
        self.set_current_condition(None)
        if self.updater is not None:
            self.updater.set_document(document)
        self.document = document
        self.edits.set_document(document)
        self._follow_layers(document)
        self.document_changed.emit(document)
        self._pick_current_condition()

    def set_current_condition(self, layer: Layer | None) -> None:
        if layer is self.current_condition:
            return
        self.current_condition = layer
        self.current_condition_changed.emit(layer)

    def close(self) -> None:
        """Stop following the document (the window closes)."""
        self._unfollow_layers(self.document)

    # -- following the document's layers -----------------------------------------------------
    def _follow_layers(self, document: Document) -> None:
        document.layer_added.connect(self._on_layer_added)
        document.layer_removed.connect(self._on_layer_removed)

    def _unfollow_layers(self, document: Document) -> None:
        document.layer_added.disconnect(self._on_layer_added)
        document.layer_removed.disconnect(self._on_layer_removed)

    def _pick_current_condition(self) -> None:
        conditions = [layer for layer in self.document.layers if layer.kind == "condition"]
        self.set_current_condition(conditions[-1] if conditions else None)

    def _on_layer_added(self, layer: Layer) -> None:
        if self.current_condition is None and layer.kind == "condition":
            self.set_current_condition(layer)

    def _on_layer_removed(self, layer: Layer) -> None:
        if layer is self.current_condition:
            self._pick_current_condition()
