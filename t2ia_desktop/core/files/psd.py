"""Photoshop files (``.psd``, ``.psb``) read layer by layer with psd-tools.

Every layer becomes a layer of its own on the PSD's canvas, with its name, opacity, visibility
(a hidden group hides what it holds) and blend mode, and the look psd-tools renders for it:
its layer mask and vector mask, fill opacity, the clipping masks above it, and the layer effects
psd-tools draws (colour, gradient and pattern overlays, strokes). A group whose opacity or blend
mode changes how its layers mix (not pass-through at full opacity) becomes one layer with the
group's look. An adjustment layer at the top level becomes one layer with the look of it and
everything below it (the layers below are kept, hidden). What cannot be kept is said, by layer
name: adjustment layers inside groups, effects psd-tools does not draw (shadows, glows, bevels,
satin), blend modes this app does not draw (read as normal).
A layer that is opaque everywhere is a *photo*, else *paint*. A PSD without layers gives its
flattened picture as one photo layer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from t2ia_desktop.core.document.document import BLEND_MODES
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.files.archive import MAX_LAYERS
from t2ia_desktop.core.files.imageio import MAX_PIXELS
from t2ia_desktop.core.files.photo import to_rgba
from t2ia_desktop.core.pictures.photoshop import open_psd, psd_picture

log = logging.getLogger(__name__)

PSD_BLEND_NAMES = {"NORMAL": "normal", "MULTIPLY": "multiply", "SCREEN": "screen",
                   "OVERLAY": "overlay", "DARKEN": "darken", "LIGHTEN": "lighten",
                   "COLOR_DODGE": "color-dodge", "COLOR_BURN": "color-burn",
                   "HARD_LIGHT": "hard-light", "SOFT_LIGHT": "soft-light",
                   "DIFFERENCE": "difference", "EXCLUSION": "exclusion", "HUE": "hue",
                   "SATURATION": "saturation", "COLOR": "color", "LUMINOSITY": "luminosity"}
"""Photoshop blend modes (psd-tools' names) → this app's modes."""
BLEND_OF_PSD = {name: mode for name, mode in PSD_BLEND_NAMES.items() if mode in BLEND_MODES}
"""The Photoshop blend modes this app draws; the others are read as normal (and said)."""
EFFECTS_DRAWN = frozenset({"coloroverlay", "gradientoverlay", "patternoverlay", "stroke"})
"""Layer effects psd-tools renders into a layer's pixels (by effect class name, lower case)."""


@dataclass
class PsdLayer:
    """One layer of a PSD on the PSD's own canvas (straight RGBA, canvas-sized)."""

    name: str
    pixels: np.ndarray
    opacity: float = 1.0
    visible: bool = True
    blend_mode: str = "normal"

    @property
    def kind(self) -> str:
        return "photo" if self.pixels[..., 3].min() == 255 else "paint"


@dataclass
class PsdContents:
    """What a PSD gives: its canvas size, its layers (bottom first) and what was not kept."""

    size: tuple[int, int]
    layers: list[PsdLayer]
    notes: list[str] = field(default_factory=list)


def read_psd(path: str | Path) -> PsdContents:
    """The PSD's canvas size, its layers (bottom first) and notes on what could not be kept as
    it is; BadInput when it cannot be read."""
    file = Path(path)
    if not file.is_file():
        raise BadInput(f"{path}: no such file")
    psd = open_psd(file)
    width, height = psd.width, psd.height
    if width * height > MAX_PIXELS or width < 1 or height < 1:
        raise BadInput(f"{path} is {width}×{height}, outside the "
                       f"{MAX_PIXELS // 1_000_000} megapixel limit")
    reader = _Reader(psd, str(path))
    try:
        reader.read(psd, True)
    except BadInput:
        raise
    except Exception as error:
        log.warning("%s: layers not readable (%s); using the flattened picture", path, error)
        reader.layers, reader.notes = [], [f"its layers could not be read ({error}); "
                                           "imported the flattened picture"]
    layers = reader.layers
    if not layers:
        layers = [PsdLayer(file.stem or "Photo", np.asarray(_flattened(psd, file)))]
    return PsdContents((width, height), layers, reader.notes + reader.summary())


class _Reader:
    """Walks the layer tree bottom first, rendering each layer with psd-tools."""

    def __init__(self, psd, path: str) -> None:
        self.psd = psd
        self.path = path
        self.layers: list[PsdLayer] = []
        self.notes: list[str] = []
        self.clipped: list[str] = []
        self.masked: list[str] = []
        self.groups: list[str] = []
        self.adjustments: list[str] = []
        self.effects: dict[str, list[str]] = {}
        self.modes: dict[str, list[str]] = {}
        self.mixing: list[str] = []
        self.merged: list[str] = []

    def read(self, group, visible: bool) -> None:
        for node in group:  # psd-tools lists a group's layers bottom first
            if node.clipping and not node.is_group():
                continue  # drawn into the layer it clips to (see _add)
            shown = visible and node.visible
            if _is_adjustment(node):
                if group is self.psd and shown:
                    self._merge_below(node)
                else:
                    self.adjustments.append(node.name)
            elif node.is_group():
                if _keeps_layers(node):
                    self.read(node, shown)
                else:
                    self.groups.append(node.name)
                    if _mixes_with_below(node):
                        self.mixing.append(node.name)
                    self._add(node, shown)
            else:
                self._add(node, shown)

    def _add(self, node, shown: bool) -> None:
        if len(self.layers) >= MAX_LAYERS:
            raise BadInput(f"{self.path} has more than {MAX_LAYERS} layers")
        pixels = self._render(node)
        if pixels is None:
            return
        name = node.name or f"Layer {len(self.layers) + 1}"
        self._remember(node, name)
        mode_name = getattr(node.blend_mode, "name", "")
        mode = BLEND_OF_PSD.get(mode_name)
        if mode is None:
            mode = "normal"
            if mode_name not in ("PASS_THROUGH", "NORMAL"):
                self.modes.setdefault(mode_name.replace("_", " ").lower(), []).append(name)
        self.layers.append(PsdLayer(name, pixels, min(1.0, max(0.0, node.opacity / 255)),
                                    shown, mode))

    def _merge_below(self, node) -> None:
        """An adjustment layer at the top level drawn into one layer with every layer below it
        (as Photoshop shows them); the layers below stay, hidden, for the artist to rework."""
        order = list(self.psd.descendants())
        below = {id(layer) for layer in order[:next(
            index for index, layer in enumerate(order) if layer is node) + 1]}
        pixels = self._render(self.psd, lambda layer: id(layer) in below and layer.is_visible())
        if pixels is None:
            self.adjustments.append(node.name)
            return
        for layer in self.layers:
            layer.visible = False
        self.merged.append(node.name)
        self.layers.append(PsdLayer(f"{node.name or 'Adjustment'} (merged)", pixels))

    def _remember(self, node, name: str) -> None:
        """Note what of ``node``'s look was rendered into its pixels or left out."""
        clipped = [layer.name for layer in getattr(node, "clip_layers", [])]
        if clipped:
            self.clipped.append(f"{', '.join(clipped)} into {name}")
        if _hides_something(node):
            self.masked.append(name)
        try:
            effects = [effect for effect in node.effects if effect.enabled] \
                if node.has_effects() else []
        except Exception:  # an effects block psd-tools cannot list
            effects = []
        for effect in effects:
            kind = type(effect).__name__.lower()
            if kind not in EFFECTS_DRAWN:
                self.effects.setdefault(_words(type(effect).__name__), []).append(name)

    def _render(self, node, shown=None) -> np.ndarray | None:
        """``node`` as psd-tools draws it alone (masks, fill opacity, clipping, effects) at full
        opacity on the PSD's canvas, straight RGBA; None when it paints nothing. ``shown``
        picks the layers drawn (by default ``node`` and the visible layers in it)."""
        shown = shown or (lambda layer: layer is node or layer.visible)
        record = getattr(node, "_record", None) if node is not self.psd else None
        opacity = record.opacity if record is not None else None
        if record is not None:
            record.opacity = 255  # the app draws the layer's opacity itself
        try:
            image = self._draw(node, shown)
            if image is not None and image.mode not in ("RGBA", "LA"):
                image = self._with_alpha(node, image, shown)  # CMYK without a profile
        finally:
            if record is not None:
                record.opacity = opacity
        if image is None:
            return None
        pixels = np.array(to_rgba(image), dtype=np.uint8)
        pixels[pixels[..., 3] == 0] = 0  # psd-tools leaves white under full transparency
        return pixels if pixels[..., 3].any() else None

    def _draw(self, node, shown) -> Image.Image | None:
        from psd_tools.composite import composite_pil

        return composite_pil(node, 1.0, 0.0, (0, 0, self.psd.width, self.psd.height), shown,
                             False)

    def _with_alpha(self, node, image: Image.Image, shown) -> Image.Image:
        """``image`` (psd-tools' colour) with the alpha psd-tools' compositor computed."""
        from psd_tools.composite import composite

        _colour, _shape, alpha = composite(
            node, color=1.0, alpha=0.0, viewport=(0, 0, self.psd.width, self.psd.height),
            layer_filter=shown)
        rgba = to_rgba(image)
        rgba.putalpha(Image.fromarray(
            np.clip(np.rint(alpha[..., 0] * 255), 0, 255).astype(np.uint8), "L"))
        return rgba

    def summary(self) -> list[str]:
        notes = []
        if self.masked:
            notes.append("layer masks applied to " + _names(self.masked))
        if self.clipped:
            notes.append("clipping masks merged: " + "; ".join(self.clipped))
        if self.groups:
            notes.append("groups kept as one layer each (their opacity or blend mode mixes "
                         "their layers): " + _names(self.groups))
        if self.mixing:
            notes.append("the blend modes inside pass-through groups now mix within the group "
                         "only: " + _names(self.mixing))
        for effect, names in self.effects.items():
            notes.append(f"{effect} effects left out (not drawn here) on " + _names(names))
        for mode, names in self.modes.items():
            notes.append(f"blend mode {mode} read as normal on " + _names(names))
        if self.merged:
            notes.append("adjustment layers drawn into one layer with the layers below them "
                         "(those are kept, hidden): " + _names(self.merged))
        if self.adjustments:
            notes.append("adjustment layers inside groups or hidden left out (Import photo "
                         "brings the flattened picture with them): " + _names(self.adjustments))
        return notes


def _is_adjustment(node) -> bool:
    from psd_tools.api.layers import AdjustmentLayer

    return isinstance(node, AdjustmentLayer)


def _keeps_layers(group) -> bool:
    """Whether a group's layers can come as they are: pass-through at full opacity, no mask,
    no adjustment layer (which would change what lies below the group)."""
    return (getattr(group.blend_mode, "name", "") == "PASS_THROUGH" and group.opacity == 255
            and not group.has_mask() and not group.has_vector_mask()
            and not any(_is_adjustment(layer) for layer in group.descendants()))


def _hides_something(node) -> bool:
    """Whether ``node`` has a vector mask or an enabled layer mask that is not white."""
    if node.has_vector_mask():
        return True
    mask = node.mask if node.has_mask() else None
    if mask is None or mask.disabled:
        return False
    image = mask.topil()
    return image is None or np.asarray(image).min() < 255 or (
        mask.background_color == 0 and mask.bbox != node.bbox)


def _mixes_with_below(group) -> bool:
    """Whether a pass-through group holds layers whose blend mode mixes with what lies below
    the group (drawn into one layer, they mix only within it)."""
    return getattr(group.blend_mode, "name", "") == "PASS_THROUGH" and any(
        getattr(layer.blend_mode, "name", "") not in ("NORMAL", "PASS_THROUGH")
        for layer in group.descendants())


def _names(names: list[str]) -> str:
    shown = ", ".join(f"“{name}”" for name in names[:6])
    return shown + (f" and {len(names) - 6} more" if len(names) > 6 else "")


def _words(class_name: str) -> str:
    """``DropShadow`` → ``drop shadow``."""
    return "".join(f" {c.lower()}" if c.isupper() else c for c in class_name).strip()


def _flattened(psd, file: Path) -> Image.Image:
    """The picture Photoshop shows (see :func:`psd_picture`), at the PSD's size."""
    rgba = to_rgba(psd_picture(psd, file))
    if rgba.size != (psd.width, psd.height):
        rgba = rgba.resize((psd.width, psd.height))
    return rgba
