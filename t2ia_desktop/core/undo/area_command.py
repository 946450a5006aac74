"""The undoable step that moves or resizes the generation area."""

from __future__ import annotations

from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.document.generation_area import GenerationArea, fit_area, whole_canvas
from t2ia_desktop.core.undo.commands import Command


class SetGenerationArea(Command):
    """A new generation area (``None``: the whole canvas); undo puts the old one back."""

    def __init__(self, area: GenerationArea | None, label: str | None = None) -> None:
        self.area = area
        self.before: GenerationArea | None = None
        self.after: GenerationArea | None = None
        self.label = label or "Generation area"
        self._named = label is not None

    def apply(self, document: Document) -> None:
        self.before = document.custom_area
        after = None if self.area is None else fit_area(self.area, document.width,
                                                        document.height)
        self.after = None if after == whole_canvas(document.width, document.height) else after
        if not self._named:
            self.label = ("Generation area: whole canvas" if self.after is None
                          else f"Generation area {self.after.label()}")
        self.redo(document)

    def redo(self, document: Document) -> None:
        document.set_generation_area(self.after)

    def undo(self, document: Document) -> None:
        document.set_generation_area(self.before)

    def is_noop(self) -> bool:
        return self.before == self.after
