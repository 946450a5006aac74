"""Layer and image actions of the window: merge down, canvas size, paste, and imports that keep
a picture's size or a Photoshop file's layers.

Each is one undo step. The window builds a :class:`LayerActions` from the session, the Layers
panel and the canvas, and puts its actions in its menus (:meth:`LayerActions.install`); the
``choose_*`` hooks ask the artist and tests replace them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QImage, QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu, QMenuBar, QWidget

from t2ia_desktop.core.document.composite import composite
from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.files.photo import (
    PHOTO_FILTER,
    fit_to_canvas,
    load_photo,
    photo_name,
    place_at_size,
)
from t2ia_desktop.core.files.psd import read_psd
from t2ia_desktop.core.undo.commands import (
    RemoveLayer,
    ResizeCanvas,
    SetLayerProperty,
    anchor_offset,
)
from t2ia_desktop.session.edits import DocumentEdits
from t2ia_desktop.session.session import Session
from t2ia_desktop.ui.actions.conditions import place_photo, unique_name
from t2ia_desktop.ui.canvas.view import CanvasView
from t2ia_desktop.ui.dialogs.canvas_size import ask_canvas_size
from t2ia_desktop.ui.layers.panel import LayersPanel

MERGEABLE_KINDS = ("sketch", "paint", "photo", "result")
"""Layers merge down can join (condition and mask layers are not pictures to merge)."""
PSD_FILTER = "Photoshop files (*.psd *.psb);;All files (*)"


def qimage_to_pixels(image: QImage) -> np.ndarray:
    """A copy of any QImage as (height, width, 4) straight RGBA."""
    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)
    height, width = rgba.height(), rgba.width()
    rows = np.frombuffer(rgba.constBits(), np.uint8, rgba.bytesPerLine() * height)
    return rows.reshape(height, rgba.bytesPerLine())[:, :width * 4].reshape(
        height, width, 4).copy()


class LayerActions(QObject):
    """Merge down (Ctrl+E), Canvas size…, Paste (Ctrl+V), Import keeping size, Import PSD.

    They change ``session``'s document (one undo step each), work on the layer selected in
    ``layers``, finish the stroke ``canvas`` is painting first, and tell what they did with
    ``say``. Their shortcuts work anywhere in ``parent``, which the questions are asked over."""

    message = Signal(str)

    def __init__(self, session: Session, layers: LayersPanel, canvas: CanvasView,
                 say: Callable[[str], None], parent: QWidget) -> None:
        super().__init__(parent)
        self.session = session
        self.layers = layers
        self.canvas = canvas
        self.parent_widget = parent
        self.choose_canvas_size: Callable[[int, int], tuple[int, int, tuple[int, int]] | None] = (
            lambda width, height: ask_canvas_size(parent, width, height))
        """Asks for (width, height, anchor) or None; tests replace it."""
        self.choose_file: Callable[[str, str], str] = self._ask_file
        """Asks for a file to open with (title, filter); "" when cancelled."""
        self.message.connect(say)

        self.merge_down_action = self._action(
            "Merge down", "Ctrl+E",
            "Paint the selected layer into the one below it, with its opacity and blend mode "
            "(Ctrl+E)", self.merge_down)
        self.canvas_size_action = self._action(
            "Canvas size…", "Ctrl+Alt+C",
            "Make the canvas larger (transparent margins) or smaller (cropped) around an anchor "
            "(Ctrl+Alt+C)", self.ask_resize)
        self.paste_action = self._action(
            "Paste as layer", QKeySequence.StandardKey.Paste,
            "Add the picture on the clipboard (or a copied picture file) as a photo layer "
            "(Ctrl+V)", self.paste)
        self.import_keep_action = self._action(
            "Import photo (keep size)…", None,
            "Add a picture file as a photo layer at its own size, centred (one picture pixel per "
            "canvas pixel)", lambda: self._ask_import(fit=False))
        self.import_psd_action = self._action(
            "Import PSD layers…", None,
            "Add every layer of a Photoshop file, with names, opacity, visibility, blend "
            "modes, masks and clipping masks, fitted to the canvas", self._ask_psd)

    def _action(self, text: str, shortcut, tip: str, slot: Callable[[], object]) -> QAction:
        action = QAction(text, self.parent_widget)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.parent_widget.addAction(action)
        return action

    def install(self, menus: QMenuBar, file_menu: QMenu, edit_menu: QMenu,
                layer_menu: QMenu, imports_before: QAction) -> QMenu:
        """Put the actions in the window's menus: the imports in ``file_menu`` before
        ``imports_before``, Paste in ``edit_menu``, Rename and Merge down in ``layer_menu``;
        returns the new Image menu, placed before the Layer menu in ``menus``."""
        file_menu.insertActions(imports_before,
                                [self.import_keep_action, self.import_psd_action])
        edit_menu.addSeparator()
        edit_menu.addAction(self.paste_action)
        layer_menu.addSeparator()
        layer_menu.addAction(self.layers.rename_action)
        layer_menu.addAction(self.merge_down_action)
        image_menu = QMenu("&Image", menus)
        image_menu.setToolTipsVisible(True)
        image_menu.addAction(self.canvas_size_action)
        menus.insertMenu(layer_menu.menuAction(), image_menu)
        return image_menu

    @property
    def document(self) -> Document:
        """The session's open document (another one after File → New or Open)."""
        return self.session.document

    @property
    def edits(self) -> DocumentEdits:
        return self.session.edits

    # -- merge down -----------------------------------------------------------------------------
    def merge_down(self, layer: Layer | None = None) -> Layer | None:
        """Composite ``layer`` (the selected one by default) into the layer below it, as one
        step; the merged layer keeps the lower one's name, kind and blend mode at full
        opacity. Returns the merged layer, or None (with a message saying why)."""
        layer = layer or self.layers.selected_layer() or self.document.active
        reason = self._merge_refusal(layer)
        if reason:
            self.message.emit(reason)
            return None
        layers = self.document.layers
        lower = layers[layers.index(layer) - 1]
        base = Layer(lower.name, lower.kind, lower.pixels, opacity=lower.opacity)  # as normal
        shown = [base] + ([layer] if layer.visible and layer.opacity > 0 else [])
        merged = composite(shown, self.document.width, self.document.height)
        full = (0, 0, self.document.width, self.document.height)
        with self.edits.group(f"Merge {layer.name} down"):
            with self.edits.edit_pixels(lower, full, f"Merge into {lower.name}"):
                lower.pixels[...] = merged
            self.document.notify_pixels_changed(lower, full)
            if lower.opacity != 1.0:
                self.edits.push(SetLayerProperty(lower, "opacity", 1.0))
            self.edits.push(RemoveLayer(layer))
        if lower.kind in ("sketch", "paint", "photo"):
            self.document.make_active(lower)
        self.layers.select(lower)
        self.message.emit(f"Merged “{layer.name}” into “{lower.name}”. Undo (Ctrl+Z) separates "
                          "them again.")
        return lower

    def _merge_refusal(self, layer: Layer | None) -> str:
        if layer is None or layer not in self.document.layers:
            return "Select the layer to merge down in Layers."
        index = self.document.layers.index(layer)
        if index == 0:
            return f"“{layer.name}” is the bottom layer: there is nothing below to merge into."
        lower = self.document.layers[index - 1]
        for other in (layer, lower):
            if other.kind not in MERGEABLE_KINDS:
                return (f"“{other.name}” is a {other.kind} layer: only paint, photo, sketch "
                        "and generated layers merge.")
            if other.locked:
                return f"“{other.name}” is locked: unlock it in Layers to merge."
        if layer.kind == "sketch":
            return "The sketch layer is the sketch control: it cannot be merged into another."
        if not lower.visible:
            return f"“{lower.name}” is hidden: show it in Layers before merging into it."
        return ""

    # -- canvas size ----------------------------------------------------------------------------
    def ask_resize(self) -> None:
        answer = self.choose_canvas_size(self.document.width, self.document.height)
        if answer is not None:
            width, height, anchor = answer
            self.resize_canvas(width, height, anchor)

    def resize_canvas(self, width: int, height: int, anchor: tuple[int, int] = (1, 1)) -> bool:
        """Pad or crop every layer to ``width``×``height`` around ``anchor`` (one step)."""
        self.canvas.end_stroke()
        old = (self.document.width, self.document.height)
        if (width, height) == old:
            return False
        offset = anchor_offset(old, (width, height), anchor)
        self.edits.push(ResizeCanvas(width, height, offset))
        self.message.emit(f"Canvas is {width}×{height} now (was {old[0]}×{old[1]}). Undo "
                          "(Ctrl+Z) restores it.")
        return True

    # -- imports --------------------------------------------------------------------------------
    def add_picture(self, image: Image.Image, name: str, fit: bool,
                    verb: str = "Import") -> Layer:
        """``image`` as a photo layer (fitted or at its size) placed as every photo is
        (:func:`place_photo`: above the selected layer, below the results), selected."""
        width, height = self.document.width, self.document.height
        pixels = fit_to_canvas(image, width, height) if fit else place_at_size(image, width,
                                                                                  height)
        layer = place_photo(self.session, pixels, name, self.layers.selected_layer(), verb=verb)
        self.layers.select(layer)
        return layer

    def import_picture(self, path: str | Path, fit: bool = True) -> Layer | None:
        """A picture file as a photo layer, fitted or keeping its size."""
        try:
            image = load_photo(path)
        except BadInput as error:
            self.message.emit(f"Cannot import the picture: {error}")
            return None
        layer = self.add_picture(image, photo_name(path), fit)
        how = "fitted to the canvas" if fit else f"at its size ({image.width}×{image.height})"
        self.message.emit(f"Imported “{layer.name}” as a photo layer, {how}.")
        return layer

    def import_psd(self, path: str | Path, fit: bool = True) -> list[Layer]:
        """Every layer of a Photoshop file, bottom first, above the bottom layers' place;
        fitted to the canvas as a whole (or at its size). One undo step; the message says what
        of the file's look was merged into layers or left out."""
        try:
            contents = read_psd(path)
        except BadInput as error:
            self.message.emit(f"Cannot import the Photoshop file: {error}")
            return []
        (psd_width, psd_height), width, height = contents.size, self.document.width, \
            self.document.height
        layers = []
        for psd_layer in contents.layers:
            image = Image.fromarray(psd_layer.pixels, "RGBA")
            if (psd_width, psd_height) == (width, height):
                pixels = psd_layer.pixels.copy()
            elif fit:
                pixels = fit_to_canvas(image, width, height)
            else:
                pixels = place_at_size(image, width, height)
            layers.append(Layer(unique_name(self.document, psd_layer.name), psd_layer.kind,
                                pixels, visible=psd_layer.visible,
                                opacity=round(psd_layer.opacity, 4),
                                blend_mode=psd_layer.blend_mode))
        with self.edits.group(f"Import {Path(path).name}"):
            for index, layer in enumerate(layers):
                self.edits.add_layer(layer, index, f"Import {layer.name}")
        if layers:
            self.layers.select(layers[-1])
        text = (f"Imported {len(layers)} layer{'s' if len(layers) != 1 else ''} from "
                f"{Path(path).name}")
        self.message.emit(text + "".join(f"; {note}" for note in contents.notes) + ".")
        return layers

    def paste(self) -> list[Layer]:
        """The clipboard's picture (or copied picture files) as photo layers above the selected
        layer: at its size, or fitted when larger than the canvas."""
        mime = QApplication.clipboard().mimeData()
        files = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()] if mime else []
        if files:
            added = []
            for path in files:  # a Photoshop file too: as Photoshop shows it (one picture)
                if (layer := self.import_picture(path)) is not None:
                    added.append(layer)
            return added
        image = QApplication.clipboard().image()
        if image.isNull():
            self.message.emit("The clipboard holds no picture to paste. Copy a picture (or a "
                              "picture file) first.")
            return []
        picture = Image.fromarray(qimage_to_pixels(image), "RGBA")
        fit = picture.width > self.document.width or picture.height > self.document.height
        layer = self.add_picture(picture, "Pasted", fit, "Paste")
        how = "fitted to the canvas" if fit else "at its size"
        self.message.emit(f"Pasted the clipboard's picture as “{layer.name}”, {how}.")
        return [layer]

    def _ask_import(self, fit: bool) -> None:
        path = self.choose_file("Import photo", PHOTO_FILTER)
        if path:  # a Photoshop file comes flattened, as "Import photo" brings it
            self.import_picture(path, fit)

    def _ask_psd(self) -> None:
        path = self.choose_file("Import PSD layers", PSD_FILTER)
        if path:
            self.import_psd(path)

    def _ask_file(self, title: str, filters: str) -> str:
        path, _filter = QFileDialog.getOpenFileName(self.parent_widget, title, "", filters)
        return path
