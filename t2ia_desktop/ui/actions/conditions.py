"""Adding photos and condition layers: the Add condition menu, Import, and drop-a-photo remixes.

Condition layers start hidden in the canvas composite: a control image (white edges on black, a
depth map, a pose skeleton) would otherwise cover the photo and the sketch it was made from. The
artist sees it in the Preview dock and, over the canvas, through the condition overlay (View →
Condition overlay, O); ticking its eye shows it in the stack like any layer.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QObject, QPoint, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from t2ia_desktop.core.conditions.guides import ADAPTER, guide_label
from t2ia_desktop.core.conditions.registry import ConditionType
from t2ia_desktop.core.document.document import SOURCE_KINDS, Document, Layer
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.files.photo import fit_to_canvas, load_photo, photo_name
from t2ia_desktop.session.session import Session

REMIXES: tuple[tuple[str, str], ...] = (
    ("Pose remix", "openpose"),
    ("Depth remix", "depth-midas"),
    ("Lineart remix", "lineart"),
    ("Canny remix", "canny"),
    ("Sketch remix", "sketch"),
)
"""Drop-menu entries: the photo becomes a hidden source, the condition layer its control."""


def unique_name(document: Document, name: str) -> str:
    """``name``, or ``name 2``, ``name 3``… when a layer already has it."""
    taken = {layer.name for layer in document.layers}
    if name not in taken:
        return name
    number = 2
    while f"{name} {number}" in taken:
        number += 1
    return f"{name} {number}"


def photo_index(document: Document, selected: Layer | None) -> int:
    """Where a new photo goes in the stack (bottom first): right above ``selected`` (the
    active layer when none is selected), but below every generated result, so a photo never
    covers the pictures made so far."""
    layers = document.layers
    above = selected if selected in layers else document.active
    index = layers.index(above) + 1 if above in layers else len(layers)
    results = [i for i, layer in enumerate(layers) if layer.kind == "result"]
    return min(index, results[0]) if results else index


def place_photo(session: Session, pixels, name: str, selected: Layer | None, *,
                visible: bool = True, verb: str = "Import") -> Layer:
    """The one way a photo enters the document (Import, Paste, a drop): a photo layer of
    ``pixels`` named ``name`` (made unique) at :func:`photo_index`, as one undo step."""
    document = session.edits.document
    layer = Layer(unique_name(document, name), "photo", pixels, visible=visible)
    session.edits.add_layer(layer, photo_index(document, selected), f"{verb} {layer.name}")
    return layer


def family_reason(kind: ConditionType, family: str) -> str:
    """Why ``kind`` cannot be used with ``family`` ("" when it can)."""
    if kind.guides_for(family):
        return ""
    works = ", ".join(f.upper() for f in ("sdxl", "sd15") if kind.guides_for(f))
    return f"No {kind.label} adapter for {family.upper()} models; it works with {works}."


def first_guide(kind: ConditionType, family: str) -> str:
    """The guide a new layer of ``kind`` starts with: the adapter, else the family's first
    ControlNet (lineart on SD1.5 has only a ControlNet)."""
    offered = kind.guides_for(family)
    return offered[0] if offered else ADAPTER


def condition_tip(kind: ConditionType, family: str) -> str:
    tip = kind.description
    if kind.weight_files:
        tip += f". Its detector needs {', '.join(kind.weight_files)} (lllyasviel/Annotators)."
    else:
        tip += ". Its detector needs no weights: it updates live."
    if kind.source != "built-in":
        tip += f"\nFrom {kind.source}."
    reason = family_reason(kind, family)
    guide = first_guide(kind, family)
    if not reason and guide != ADAPTER:
        reason = (f"No {kind.label} adapter for {family.upper()} models: its "
                  f"{guide_label(guide)} guides it.")
    return f"{reason}\n{tip}" if reason else tip


class ConditionActions(QObject):
    """Makes photo and condition layers for the window; says what happened via ``message``."""

    condition_added = Signal(object)  # the new condition Layer
    photo_added = Signal(object)  # the new photo Layer
    remixed = Signal(object)  # the condition Layer of a remix (its photo is hidden below it)
    message = Signal(str)

    def __init__(self, session: Session, family: Callable[[], str],
                 selected: Callable[[], Layer | None], parent: QWidget,
                 select: Callable[[Layer], None] | None = None) -> None:
        """``selected`` is the layer selected in Layers; ``select`` selects one there (a new
        photo or remix is selected so the next action works on it)."""
        super().__init__(parent)
        self.session = session
        self._select = select or (lambda _layer: None)
        if session.updater is None:
            raise ValueError("condition layers need a session that detects conditions")
        self.edits = session.edits
        self.updater = session.updater
        self.registry = session.updater.registry
        self._family = family
        self._selected = selected
        self._parent = parent
        self.drop_menu: QMenu | None = None
        self.add_condition_menu = QMenu("Add &condition layer", parent)
        self.add_condition_menu.setToolTipsVisible(True)
        self.add_condition_menu.setToolTip(
            "Add a condition layer made by a detector from the selected layer"
        )
        self.add_condition_menu.aboutToShow.connect(self.fill_add_condition_menu)
        self.fill_add_condition_menu()
        self.remix_menu = QMenu("&Remix photo", parent)
        self.remix_menu.setToolTipsVisible(True)
        self.remix_menu.setToolTip("Hide the selected photo and add its pose, depth, lines… as "
                                   "a condition layer, ready to Generate (as dropping it does)")
        self.remix_menu.aboutToShow.connect(self.fill_remix_menu)
        self.fill_remix_menu()

    @property
    def document(self) -> Document:
        """The window's document (it follows a New or Open)."""
        return self.edits.document

    # -- condition layers ---------------------------------------------------------------------
    def source_for_new_condition(self) -> Layer | None:
        """The selected photo, paint or sketch layer; else a selected condition's source;
        else the active layer, when it can be a source."""
        for layer in (self._selected(), self.document.active):
            if layer is None:
                continue
            if layer.kind in SOURCE_KINDS:
                return layer
            if layer.kind == "condition" and layer.condition is not None:
                source = self.document.layer_by_id(layer.condition.source_id)
                if source is not None:
                    return source
        return None

    def fill_add_condition_menu(self) -> None:
        """One entry per registered condition; those the model's family cannot use are
        disabled, with the reason in their tooltip."""
        menu = self.add_condition_menu
        menu.clear()
        family = self._family()
        source = self.source_for_new_condition()
        header = menu.addAction(f"From “{source.name}”" if source else
                                "Select a photo, paint or sketch layer first")
        header.setEnabled(False)
        menu.addSeparator()
        for kind in self.registry:
            action = menu.addAction(kind.label)
            action.setObjectName(f"add_{kind.id}")
            action.setToolTip(condition_tip(kind, family))
            action.setStatusTip(action.toolTip().splitlines()[0])
            action.setEnabled(source is not None and not family_reason(kind, family))
            action.triggered.connect(lambda _checked=False, c=kind.id: self.add_condition(c))

    def fill_remix_menu(self) -> None:
        """The drop menu's remixes, for the photo selected in Layers."""
        menu = self.remix_menu
        menu.clear()
        photo = self.selected_photo()
        header = menu.addAction(f"Remix “{photo.name}”" if photo else
                                "Select a photo layer first (import, paste or drop one)")
        header.setEnabled(False)
        menu.addSeparator()
        self._add_remixes(menu, "remix", lambda c: self.remix_photo(c), photo is not None)

    def _add_remixes(self, menu: QMenu, prefix: str, run: Callable[[str], object],
                     usable: bool = True) -> None:
        family = self._family()
        for text, condition in REMIXES:
            action: QAction = menu.addAction(text)
            action.setObjectName(f"{prefix}_{condition}")
            if condition not in self.registry:
                action.setEnabled(False)
                action.setToolTip(f"No {condition} condition is installed")
                continue
            kind = self.registry.get(condition)
            action.setToolTip(
                f"Hide the photo and add its {kind.label} control image, ready to Generate.\n"
                + condition_tip(kind, family)
            )
            action.setEnabled(usable and not family_reason(kind, family))
            action.triggered.connect(lambda _checked=False, c=condition: run(c))

    def add_condition(self, condition: str, source: Layer | None = None) -> Layer | None:
        """A condition layer from ``source`` (or the selected one), hidden in the composite."""
        source = source or self.source_for_new_condition()
        if source is None:
            self.message.emit("Select a photo, paint or sketch layer to make a condition from.")
            return None
        kind = self.registry.get(condition)
        reason = family_reason(kind, self._family())
        if reason:
            self.message.emit(reason)
            return None
        layer = self.edits.add_condition(condition, source, visible=False,  # seen in Preview
                                         guide=first_guide(kind, self._family()))
        self.message.emit(f"Added “{layer.name}”: see it in Preview, or over the canvas with "
                          "the condition overlay (O).")
        self.condition_added.emit(layer)
        return layer

    # -- photos -------------------------------------------------------------------------------
    def add_photo(self, image: Image.Image, name: str, visible: bool = True) -> Layer:
        """``image`` fitted to the canvas as a photo layer above the selected layer (below the
        results), selected in Layers."""
        pixels = fit_to_canvas(image, self.document.width, self.document.height)
        layer = place_photo(self.session, pixels, name, self._selected(), visible=visible)
        self._select(layer)
        self.photo_added.emit(layer)
        return layer

    def import_photo(self, path: str | Path) -> Layer | None:
        """File → Import: add the picture at ``path`` as a photo layer, or say why not."""
        try:
            image = load_photo(path)
        except BadInput as error:
            self.message.emit(f"Cannot import the picture: {error}")
            return None
        layer = self.add_photo(image, photo_name(path))
        self.message.emit(f"Imported “{layer.name}” as a photo layer. Add a condition layer "
                          "from it (Layer → Add condition layer) to use it as a control.")
        return layer

    def remix(self, image: Image.Image, name: str, condition: str) -> Layer | None:
        """A dropped picture as a hidden photo (placed as an import is) and, right above it, a
        condition layer detected from it: one undo step."""
        kind = self.registry.get(condition)
        reason = family_reason(kind, self._family())
        if reason:
            self.message.emit(reason)
            return None
        pixels = fit_to_canvas(image, self.document.width, self.document.height)
        with self.edits.group(f"{kind.label} remix of {unique_name(self.document, name)}"):
            photo = place_photo(self.session, pixels, name, self._selected(), visible=False)
            self.photo_added.emit(photo)
            return self._remix_layer(photo, kind)

    def remix_photo(self, condition: str, photo: Layer | None = None) -> Layer | None:
        """Remix a photo of the document (the selected one by default): hide it and add its
        condition layer right above it, as one undo step; the same as dropping it."""
        photo = photo or self.selected_photo()
        if photo is None:
            self.message.emit("Select a photo layer in Layers to remix it (import, paste or "
                              "drop a picture first).")
            return None
        kind = self.registry.get(condition)
        reason = family_reason(kind, self._family())
        if reason:
            self.message.emit(reason)
            return None
        with self.edits.group(f"{kind.label} remix of {photo.name}"):
            self.edits.set_visible(photo, False)
            return self._remix_layer(photo, kind)

    def selected_photo(self) -> Layer | None:
        layer = self._selected()
        return layer if layer is not None and layer.kind == "photo" else None

    def _remix_layer(self, photo: Layer, kind: ConditionType) -> Layer:
        layer = self.edits.add_condition(kind.id, photo, visible=False,
                                         guide=first_guide(kind, self._family()))
        self.message.emit(f"{kind.label} remix of “{photo.name}”: write a prompt and Generate. "
                          "The photo is hidden; its control image shows in the overlay (O).")
        self.remixed.emit(layer)
        return layer

    def offer_drop(self, paths: list[str], position: QPoint) -> QMenu | None:
        """Open a dropped picture and pop up what to do with it; a bad file changes nothing."""
        if not paths:
            return None
        path = paths[0]
        try:
            image = load_photo(path)
        except BadInput as error:
            self.message.emit(f"Cannot use the dropped file: {error}")
            return None
        name = photo_name(path)
        if self.drop_menu is not None:
            self.drop_menu.deleteLater()
        menu = QMenu(self._parent)
        menu.setToolTipsVisible(True)
        title = menu.addAction(Path(path).name)
        title.setEnabled(False)
        add = menu.addAction("Add as photo layer")
        add.setObjectName("drop_photo")
        add.setToolTip("Add the picture as a visible photo layer, fitted to the canvas")
        add.triggered.connect(lambda: self._add_dropped(image, name))
        menu.addSeparator()
        self._add_remixes(menu, "drop", lambda c: self.remix(image, name, c))
        if len(paths) > 1:
            self.message.emit(f"{len(paths)} files dropped: using {Path(path).name} only.")
        self.drop_menu = menu
        menu.popup(position)
        return menu

    def _add_dropped(self, image: Image.Image, name: str) -> None:
        layer = self.add_photo(image, name)
        self.message.emit(f"Added “{layer.name}” as a photo layer.")
