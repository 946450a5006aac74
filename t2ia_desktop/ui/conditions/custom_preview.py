"""A condition's own preview (plugin API 1.1, ``ConditionType.preview``) for the Preview dock.

The plugin's function gets the layer's control image, shrunk to :data:`PREVIEW_MAX`, and its
parameters; what it returns is shown instead of the raw control image. Whatever it raises
becomes a message for that layer's preview only: detection and generation never see it.
"""

from __future__ import annotations

import logging

from PIL import Image
from PySide6.QtGui import QImage

from t2ia_desktop.core.conditions.registry import ConditionRegistry
from t2ia_desktop.core.document.document import Layer, control_image

log = logging.getLogger(__name__)

PREVIEW_MAX = 512
"""Longest side of the control image a custom preview gets: the dock shows it small."""


def to_qimage(image: Image.Image) -> QImage:
    rgba = image.convert("RGBA")
    data = rgba.tobytes()
    return QImage(data, rgba.width, rgba.height, rgba.width * 4,
                  QImage.Format.Format_RGBA8888).copy()  # owns its pixels


def custom_preview(registry: ConditionRegistry, layer: Layer | None) -> tuple[QImage | None, str]:
    """(the condition's preview of ``layer``, "") — or (None, why it failed); (None, "") when
    its condition has no custom preview or there is no control image yet."""
    settings = layer.condition if layer is not None else None
    if layer is None or settings is None or settings.condition not in registry:
        return None, ""
    kind = registry.get(settings.condition)
    if kind.preview is None or layer.is_blank():
        return None, ""
    image = control_image(layer)
    if max(image.size) > PREVIEW_MAX:
        image.thumbnail((PREVIEW_MAX, PREVIEW_MAX), Image.Resampling.BILINEAR)
    try:
        shown = kind.preview(image, dict(settings.params))
        if not isinstance(shown, Image.Image):
            raise TypeError(f"it returned {type(shown).__name__}, not a PIL image")
        return to_qimage(shown), ""
    except Exception as error:  # a plugin's bug stays in its preview
        log.warning("the %s preview failed (%s)", kind.id, kind.source, exc_info=True)
        return None, (f"The {kind.label} preview failed ({type(error).__name__}: {error}): the "
                      f"plain control image is shown; generation is not affected. "
                      f"From {kind.source}.")
