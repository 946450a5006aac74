"""A condition's own preview (plugin API 1.1, ``ConditionType.preview``) for the Preview dock.

The plugin's function gets the layer's control image, shrunk to :data:`PREVIEW_MAX`, and its
parameters; what it returns is shown instead of the raw control image. Whatever it raises
(SystemExit included) becomes a message for that layer's preview only: detection and generation
never see it. It runs through the plugin guard: the window waits for it at most
:data:`PREVIEW_TIME_LIMIT_S`, and one that hangs is not called again until it has returned.
"""

from __future__ import annotations

import logging

from PIL import Image
from PySide6.QtGui import QImage

from t2ia_desktop.core.conditions.plugin_guard import PluginCodeFailed, call_plugin
from t2ia_desktop.core.conditions.registry import ConditionRegistry
from t2ia_desktop.core.document.document import Layer, control_image

log = logging.getLogger(__name__)

PREVIEW_MAX = 512
"""Longest side of the control image a custom preview gets: the dock shows it small."""
PREVIEW_TIME_LIMIT_S = 5.0
"""How long the window waits for a custom preview (it should take milliseconds)."""


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
        shown = call_plugin(kind.preview, image, dict(settings.params), owner=kind.source,
                            time_limit=PREVIEW_TIME_LIMIT_S, key=("preview", kind.source, kind.id))
        if not isinstance(shown, Image.Image):
            raise TypeError(f"it returned {type(shown).__name__}, not a PIL image")
        return to_qimage(shown), ""
    except Exception as error:  # a plugin's bug stays in its preview
        log.warning("the %s preview failed (%s): %s", kind.id, kind.source, error,
                    exc_info=getattr(error, "error", None) or error)
        what = str(error) if isinstance(error, PluginCodeFailed) \
            else f"{type(error).__name__}: {error}"
        if isinstance(error, PluginCodeFailed) and error.kind != "raised":
            what += "; it is left running"
        return None, (f"The {kind.label} preview failed ({what}): the plain control image is "
                      f"shown; generation is not affected. From {kind.source}.")
