"""Keeps condition layers in step with their sources: a stroke or a parameter change re-detects.

Model-side logic, shared by every view: a change to a source layer schedules a preview for each
condition layer bound to it; the result is written into the condition layer's pixels. Painting
on a condition layer by hand (e.g. fixing a pose) detaches it until :meth:`redetect`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image
from PySide6.QtCore import QObject, Signal

from t2ia_desktop.core.conditions.registry import ConditionRegistry
from t2ia_desktop.core.document.document import ConditionSettings, Document, Layer, blank_pixels
from t2ia_desktop.runtime.previews import PreviewScheduler


class ConditionUpdater(QObject):
    """Binds a document's condition layers to the preview scheduler."""

    layer_busy = Signal(object, bool)  # Layer, whether its control image is being updated

    def __init__(self, document: Document, registry: ConditionRegistry,
                 scheduler: PreviewScheduler, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.registry = registry
        self.scheduler = scheduler
        self._writing: str | None = None
        self.notes: dict[str, str] = {}
        """Layer id → what its detector chose to say about its last control image (e.g.
        "auto" sketch fell back to the picture's lines); derived, never saved."""
        document.pixels_changed.connect(self._on_pixels_changed)
        document.layer_removed.connect(self._on_layer_removed)
        scheduler.preview_ready.connect(self._on_preview)
        scheduler.preview_failed.connect(self._on_failure)
        scheduler.busy_changed.connect(self._on_busy)

    def disconnect_document(self) -> None:
        self.document.pixels_changed.disconnect(self._on_pixels_changed)
        self.document.layer_removed.disconnect(self._on_layer_removed)

    def set_document(self, document: Document) -> None:
        """Follow another document (a new or opened one); the old one's previews are dropped."""
        if document is self.document:
            return
        self.disconnect_document()
        for layer in self.document.layers:
            self.scheduler.forget(layer.id)
        self.document = document
        document.pixels_changed.connect(self._on_pixels_changed)
        document.layer_removed.connect(self._on_layer_removed)

    def new_condition_layer(self, condition: str, source: Layer,
                            params: dict[str, Any] | None = None,
                            conditioning_scale: float = 1.0) -> Layer:
        """A blank condition layer bound to ``source``, not added to the document yet (an undo
        step adds it); :meth:`redetect` fills it once it is in."""
        kind = self.registry.get(condition)
        settings = ConditionSettings(
            condition, source.id, {**kind.default_params(), **(params or {})},
            conditioning_scale=conditioning_scale,
        )
        return Layer(f"{kind.label} of {source.name}", "condition",
                     blank_pixels(self.document.width, self.document.height),
                     condition=settings)

    def redetect(self, layer: Layer) -> None:
        """Follow the source again (after hand-painting) and run the detector."""
        settings = self._settings(layer)
        was_detached, settings.detached = settings.detached, False
        source = self.document.layer_by_id(settings.source_id)
        if source is None:
            settings.error = "Its source layer was deleted: bind it to another layer."
            self.document.layer_changed.emit(layer)
            return
        if was_detached:
            self.document.layer_changed.emit(layer)
        self.scheduler.schedule(layer.id, settings.condition, settings.params,
                                lambda: source_image(source))

    def _settings(self, layer: Layer) -> ConditionSettings:
        if layer.kind != "condition" or layer.condition is None:
            raise ValueError(f"{layer.name} is not a condition layer")
        return layer.condition

    def _on_pixels_changed(self, layer: Layer, _rect: tuple[int, int, int, int]) -> None:
        if layer.id == self._writing:
            return
        if layer.kind == "condition" and layer.condition is not None:
            if not layer.condition.detached:
                layer.condition.detached = True  # painted by hand: keep the artist's fix
                self.scheduler.forget(layer.id)
                self.document.layer_changed.emit(layer)
            return
        for dependent in self.document.condition_layers():
            settings = dependent.condition
            if (dependent.kind == "condition" and settings is not None
                    and settings.source_id == layer.id and not settings.detached):
                self.scheduler.schedule(dependent.id, settings.condition, settings.params,
                                        lambda source=layer: source_image(source))

    def _on_layer_removed(self, layer: Layer) -> None:
        self.scheduler.forget(layer.id)
        self.notes.pop(layer.id, None)

    def _on_preview(self, layer_id: str, image: Image.Image) -> None:
        layer = self.document.layer_by_id(layer_id)
        if layer is None or layer.condition is None or layer.condition.detached:
            return
        size = (self.document.width, self.document.height)
        rgb = image.convert("RGB")
        if rgb.size != size:
            rgb = rgb.resize(size, Image.Resampling.BILINEAR)
        control = np.asarray(rgb).copy()
        source = self.document.layer_by_id(layer.condition.source_id)
        if source is not None and source.kind != "sketch":
            # Where the source is transparent (e.g. around a fitted photo) there is nothing to
            # detect: the edge of the picture itself must not become an edge, a depth step or
            # a line for the adapter.
            control[_grow(source.pixels[..., 3] == 0, 3)] = 0
        layer.pixels[..., :3] = control
        layer.pixels[..., 3] = 255
        had_error = bool(layer.condition.error)
        layer.condition.error = ""
        note = str(image.info.get("note", ""))
        had_note = self.notes.pop(layer_id, "")
        if note:
            self.notes[layer_id] = note
        self._writing = layer.id
        try:
            self.document.notify_pixels_changed(layer, (0, 0, *size))
        finally:
            self._writing = None
        if had_error or note != had_note:
            self.document.layer_changed.emit(layer)

    def _on_failure(self, layer_id: str, message: str) -> None:
        layer = self.document.layer_by_id(layer_id)
        if layer is not None and layer.condition is not None:
            layer.condition.error = message
            self.document.layer_changed.emit(layer)

    def _on_busy(self, layer_id: str, busy: bool) -> None:
        layer = self.document.layer_by_id(layer_id)
        if layer is not None:
            self.layer_busy.emit(layer, busy)


def source_image(layer: Layer) -> Image.Image:
    """A copy of the layer's pixels: the detector thread must not see a stroke half-painted."""
    return Image.fromarray(layer.pixels.copy(), "RGBA")


def _grow(mask: np.ndarray, pixels: int) -> np.ndarray:
    """``mask`` widened by ``pixels`` in every direction (a square dilation)."""
    if not mask.any() or mask.all():
        return mask
    grown = mask.copy()
    for _ in range(pixels):
        step = grown.copy()
        step[1:] |= grown[:-1]
        step[:-1] |= grown[1:]
        step[:, 1:] |= grown[:, :-1]
        step[:, :-1] |= grown[:, 1:]
        grown = step
    return grown
