"""Colour profiles: a picture's embedded ICC profile converted to sRGB, the space the canvas,
the detectors and the models work in. A picture without a profile is taken as sRGB.

RGB, CMYK and greyscale profiles are converted by Pillow's ImageCms (LittleCMS); the picture's
transparency is carried across unchanged. A profile that cannot be read, or that does not fit
the picture's colour mode, leaves the colours as they are (with a log line).
"""

from __future__ import annotations

import io
import logging

import numpy as np
from PIL import Image, ImageCms

from t2ia_desktop.core.pictures.pixels import to_rgba

log = logging.getLogger(__name__)

_SPACE_MODES = {"RGB": "RGB", "CMYK": "CMYK", "GRAY": "L"}
"""ICC colour space → the Pillow mode ImageCms converts from."""


def to_srgb(image: Image.Image) -> Image.Image:
    """``image`` in sRGB: unchanged without an ICC profile, else converted from its profile
    (the result is RGB, or RGBA when the picture has transparency)."""
    icc = image.info.get("icc_profile")
    if not icc:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        space = source.profile.xcolor_space.strip().upper()
    except (OSError, ValueError, TypeError, ImageCms.PyCMSError) as error:
        log.warning("colour profile not readable (%s); colours taken as sRGB", error)
        return image
    mode = _SPACE_MODES.get(space)
    if mode is None:
        log.warning("colour profile for %s pictures not converted; colours taken as sRGB",
                    space)
        return image
    base, alpha = _base_and_alpha(image, mode)
    if base is None:
        log.warning("a %s profile does not fit a %s picture; colours taken as sRGB", space,
                    image.mode)
        return image
    try:
        converted = ImageCms.profileToProfile(base, source, ImageCms.createProfile("sRGB"),
                                              outputMode="RGB")
    except ImageCms.PyCMSError as error:
        log.warning("colour profile not applied (%s); colours taken as sRGB", error)
        return image
    if alpha is not None:
        converted.putalpha(alpha)
    return converted


def _base_and_alpha(image: Image.Image, mode: str) -> tuple[Image.Image | None,
                                                             Image.Image | None]:
    """The picture in ``mode`` (8 bits per channel) and its alpha, or (None, None) when a
    picture of its mode cannot carry a profile of that colour space."""
    if mode == "CMYK":
        return (image, None) if image.mode == "CMYK" else (None, None)
    if image.mode == "CMYK":
        return None, None
    rgba = to_rgba(image)
    alpha = rgba.getchannel("A")
    if np.asarray(alpha).min() == 255:
        alpha = None
    if mode == "L":
        if image.mode not in ("L", "LA", "1") and not image.mode.startswith("I"):
            return None, None
        return rgba.convert("L"), alpha
    return rgba.convert("RGB"), alpha
