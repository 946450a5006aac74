"""Every change the UI makes to the document, as undoable steps on the window's undo stack.

Panels and the canvas never change the document directly: they call :class:`DocumentEdits`,
which turns each change into a core command and pushes it, so Edit → Undo reverts it and the
History dock lists it. Without an undo stack (a panel on its own) the commands are applied and
not recorded.

Detector output is *derived*, never recorded: a condition layer's pixels that its detector wrote
are not user edits, so they go straight into the layer (see ``ConditionUpdater``) and no step
holds them. What is recorded is what decides them, namely the source layer's pixels and the
condition's settings (``params``, ``source_id``, ``detached``), and whatever the artist painted on
a control image by hand. After undo or redo the window re-detects every following condition
layer whose settings changed (:func:`detection_inputs`), so its pixels are computed again from
the restored source and settings instead of coming back stale from a patch.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from typing import Any

from PIL import Image

from t2ia_desktop.core.conditions.guides import GUIDES, guide_label
from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.core.undo.commands import (
    AddLayer,
    Command,
    CommandGroup,
    PixelRecorder,
    Rect,
    RemoveLayer,
    SetLayerProperty,
)
from t2ia_desktop.core.undo.stack import UndoStack
from t2ia_desktop.runtime.condition_updates import ConditionUpdater


class AlreadyApplied(Command):
    """A command whose change already happened (when a stroke began): recording it changes
    nothing; undo and redo are its own."""

    def __init__(self, command: Command) -> None:
        self.command = command
        self.label = command.label

    def apply(self, document: Document) -> None:
        pass

    def redo(self, document: Document) -> None:
        self.command.redo(document)

    def undo(self, document: Document) -> None:
        self.command.undo(document)

    @property
    def nbytes(self) -> int:
        return self.command.nbytes

    def is_noop(self) -> bool:
        return self.command.is_noop()


class KeepForUndo(Command):
    """A condition layer's hand-edited pixels, about to be replaced by its detector (Re-detect).

    Undo puts them back; redo leaves the pixels to the detector, which the window runs again
    because the layer follows its source once more.
    """

    def __init__(self, layer: Layer, label: str = "Keep pixels") -> None:
        self.layer_id = layer.id
        self.pixels = layer.pixels.copy()
        self.label = label

    def apply(self, document: Document) -> None:
        pass

    def redo(self, document: Document) -> None:
        pass

    def undo(self, document: Document) -> None:
        layer = document.layer_by_id(self.layer_id)
        if layer is None:
            raise LookupError(f"no layer with id {self.layer_id!r} in the document")
        layer.pixels[...] = self.pixels
        document.notify_pixels_changed(layer, (0, 0, document.width, document.height))

    @property
    def nbytes(self) -> int:
        return self.pixels.nbytes


class Stroke:
    """One brush or eraser stroke being painted: the tiles it touches, kept for undo."""

    def __init__(self, layer: Layer, label: str, detach: Command | None) -> None:
        self.layer = layer
        self.label = label
        self.detach = detach
        self.recorder = PixelRecorder(layer)

    def before_paint(self, rect: Rect) -> None:
        """Call with each segment's rectangle before painting it."""
        self.recorder.before_paint(rect)


def detection_inputs(document: Document) -> dict[str, tuple[Any, ...]]:
    """What each condition layer's control image follows from, by layer id (compared before and
    after undo/redo to know which layers to re-detect)."""
    return {
        layer.id: (settings.condition, settings.source_id, copy.deepcopy(settings.params),
                   settings.detached)
        for layer in document.layers
        if layer.kind == "condition" and (settings := layer.condition) is not None
    }


class DocumentEdits:
    """The document's changes from the UI, recorded on ``undo`` (applied only when None)."""

    def __init__(self, document: Document, undo: UndoStack | None = None,
                 updater: ConditionUpdater | None = None) -> None:
        if undo is not None and undo.document is not document:
            raise ValueError("the undo stack belongs to another document")
        self.document = document
        self.undo = undo
        self.updater = updater

    def set_document(self, document: Document) -> None:
        """Edit another document from now on; its history starts empty (and clean)."""
        self.document = document
        if self.undo is not None:
            self.undo.document = document
            self.undo.clear()

    # -- recording ------------------------------------------------------------------------------
    def push(self, command: Command) -> bool:
        if self.undo is not None:
            return self.undo.push(command)
        command.apply(self.document)
        return not command.is_noop()

    def seal(self) -> None:
        """End merging of continuous changes (a slider released, a spin box left)."""
        if self.undo is not None:
            self.undo.seal()

    @contextlib.contextmanager
    def group(self, label: str) -> Iterator[None]:
        if self.undo is not None:
            with self.undo.group(label):
                yield
        else:
            yield

    @contextlib.contextmanager
    def edit_pixels(self, layer: Layer, rect: Rect, label: str) -> Iterator[None]:
        if self.undo is not None:
            with self.undo.edit_pixels(layer, rect, label):
                yield
        else:
            yield

    # -- layers ---------------------------------------------------------------------------------
    def add_layer(self, layer: Layer, index: int | None = None,
                  label: str | None = None) -> Layer:
        self.push(AddLayer(layer, index, label))
        return layer

    def remove_layer(self, layer: Layer) -> None:
        self.push(RemoveLayer(layer, f"Delete {layer.name}"))

    def duplicate_layer(self, layer: Layer) -> Layer:
        """A copy of ``layer`` right above it (a condition layer keeps following its source)."""
        copy_ = Layer(f"{layer.name} copy", layer.kind, layer.pixels.copy(),
                      visible=layer.visible, opacity=layer.opacity, request=layer.request,
                      condition=copy.deepcopy(layer.condition), blend_mode=layer.blend_mode)
        if copy_.kind == "sketch":  # one sketch layer: the sketch control; a copy is paint
            copy_.kind, copy_.condition = "paint", None
        index = self.document.layers.index(layer) + 1
        return self.add_layer(copy_, index, f"Duplicate {layer.name}")

    def add_result(self, image: Image.Image, request: GenerationRequest | None,
                   origin: tuple[int, int] | None = None) -> Layer:
        """A generated picture as a new layer on top, at ``origin`` (None: the generation
        area's when the sizes match): one "Add Result n" step."""
        layer = self.document.result_layer(image, request, origin)
        return self.add_layer(layer, None, f"Add {layer.name}")

    def set_visible(self, layer: Layer, visible: bool) -> None:
        if layer.visible != visible:
            word = "Show" if visible else "Hide"
            self.push(SetLayerProperty(layer, "visible", visible, f"{word} {layer.name}"))

    def clear(self, layer: Layer, label: str | None = None) -> None:
        """Erase everything on ``layer`` as one step."""
        with self.edit_pixels(layer, (0, 0, self.document.width, self.document.height),
                              label or f"Clear {layer.name}"):
            self.document.clear_layer(layer)

    # -- strokes --------------------------------------------------------------------------------
    def begin_stroke(self, layer: Layer, label: str) -> Stroke:
        """Start recording a stroke on ``layer``. A condition layer that follows its source
        stops following (hand-edited) before the first dab, as part of the same step."""
        detach = None
        settings = layer.condition
        if layer.kind == "condition" and settings is not None and not settings.detached:
            detach = SetLayerProperty(layer, "condition.detached", True)
            detach.apply(self.document)
            if self.updater is not None:
                self.updater.scheduler.forget(layer.id)  # its pending preview would paint over
        return Stroke(layer, label, detach)

    def finish_stroke(self, stroke: Stroke) -> bool:
        """Record the stroke as one step; False when it changed nothing."""
        edit = stroke.recorder.finish(stroke.label)
        if self.undo is None or stroke.layer not in self.document.layers:
            return not edit.is_noop()
        if stroke.detach is None:
            return self.undo.push(edit)
        return self.undo.push(CommandGroup(stroke.label, [AlreadyApplied(stroke.detach), edit]))

    # -- condition layers ----------------------------------------------------------------------
    def set_condition(self, layer: Layer, name: str, value: Any) -> None:
        """``enabled``, ``conditioning_scale``, ``step_start``/``step_end`` or ``guide`` of a
        condition (slider drags merge; a guide that is not one of GUIDES is refused)."""
        settings = layer.condition
        if settings is None or getattr(settings, name) == value:
            return
        if name == "guide":
            if value not in GUIDES:
                raise BadInput(f"guide must be one of {', '.join(GUIDES)}, not {value!r}")
            label = f"Guide {layer.name} by {guide_label(value)}"
        elif name == "enabled":
            label = f"{'Use' if value else 'Do not use'} {layer.name}"
        elif name == "conditioning_scale":
            label = f"Strength of {layer.name}"
        else:
            label = None
        self.push(SetLayerProperty(layer, f"condition.{name}", value, label))

    def set_params(self, layer: Layer, **params: Any) -> None:
        """Change detector parameters (checked against the condition's specs) and re-detect;
        a hand-edited layer follows its source again, as part of the same step."""
        settings = self._settings(layer)
        if self.updater is not None:
            kind = self.updater.registry.get(settings.condition)
            for name, value in params.items():
                kind.param(name).check(value)
        merged = {**settings.params, **params}
        if merged == settings.params:
            return
        label = f"Detector settings of {layer.name}"
        change = SetLayerProperty(layer, "condition.params", merged, label)
        if settings.detached:
            with self.group(label):
                self.push(change)
                self._follow_again(layer)
        else:
            self.push(change)
        self._detect(layer)

    def set_source(self, layer: Layer, source_id: str) -> None:
        """Bind a condition layer to another source layer and re-detect from it."""
        settings = self._settings(layer)
        if source_id == settings.source_id:
            return
        settings.error = ""  # derived: the detector sets it again if need be
        source = self.document.layer_by_id(source_id)
        label = f"Source of {layer.name}" + (f": {source.name}" if source else "")
        with self.group(label):
            self.push(SetLayerProperty(layer, "condition.source_id", source_id, label))
            if settings.detached:
                self._follow_again(layer)
        self._detect(layer)

    def redetect(self, layer: Layer) -> None:
        """Run the detector again; a hand-edited layer follows its source again, and undo
        brings its hand edits back."""
        settings = self._settings(layer)
        if settings.detached:
            with self.group(f"Re-detect {layer.name}"):
                self._follow_again(layer)
        self._detect(layer)

    def add_condition(self, condition: str, source: Layer, visible: bool = False,
                      params: dict[str, Any] | None = None, guide: str = "adapter") -> Layer:
        """A condition layer detected from ``source`` (with ``params`` over the condition's
        defaults) and guided by ``guide``, right above it, as one step."""
        updater = self._updater()
        layer = updater.new_condition_layer(condition, source, params)
        layer.visible, layer.condition.guide = visible, guide
        self.add_layer(layer, self.document.layers.index(source) + 1, f"Add {layer.name}")
        updater.redetect(layer)
        return layer

    def _follow_again(self, layer: Layer) -> None:
        self.push(KeepForUndo(layer, f"Keep {layer.name}"))
        self.push(SetLayerProperty(layer, "condition.detached", False))

    def _detect(self, layer: Layer) -> None:
        if self.updater is not None and layer in self.document.layers:
            self.updater.redetect(layer)

    def _updater(self) -> ConditionUpdater:
        if self.updater is None:
            raise RuntimeError("condition layers need a ConditionUpdater")
        return self.updater

    @staticmethod
    def _settings(layer: Layer):
        if layer.kind != "condition" or layer.condition is None:
            raise ValueError(f"{layer.name} is not a condition layer")
        return layer.condition


def stale_condition_layers(document: Document,
                           before: dict[str, tuple[Any, ...]]) -> list[Layer]:
    """Following condition layers whose control image may not match their source and settings
    any more after undo/redo: settings changed, back in the document, or an error whose source
    is back."""
    after = detection_inputs(document)
    stale = []
    for layer in document.layers:
        settings = layer.condition
        if layer.kind != "condition" or settings is None or settings.detached:
            continue
        changed = after[layer.id] != before.get(layer.id)
        if changed or (settings.error and document.layer_by_id(settings.source_id) is not None):
            stale.append(layer)
    return stale

