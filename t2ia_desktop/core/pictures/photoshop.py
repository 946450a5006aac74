"""Photoshop files (``.psd``, ``.psb``) as one picture: what Photoshop shows, read by psd-tools.

Pillow reads only the merged image data and gets Photoshop's conventions wrong: it takes a saved
selection channel for transparency, keeps the white matte Photoshop mixes into semi-transparent
pixels, inverts 1-bit files, ignores colour profiles and refuses 16/32-bit files and ``.psb``.
psd-tools reads the merged image the way Photoshop writes it (transparency from the layers, the
matte removed, the ICC profile applied) and renders the layers itself when the file was saved
without a merged image ("Maximize compatibility" off).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PIL import Image

from t2ia_desktop.core.errors import BadInput

log = logging.getLogger(__name__)

PHOTOSHOP_SUFFIXES = (".psd", ".psb")
SIGNATURE = b"8BPS"


def is_photoshop_file(path: str | Path) -> bool:
    """Whether ``path`` starts as a Photoshop file does (whatever its name ends with)."""
    try:
        with open(path, "rb") as stream:
            return stream.read(4) == SIGNATURE
    except OSError:
        return False


def open_psd(path: str | Path):
    """The parsed file (a psd-tools ``PSDImage``), or BadInput with psd-tools' reason."""
    from psd_tools import PSDImage  # imported here: only Photoshop files pay for it

    try:
        return PSDImage.open(path)
    except Exception as error:
        reason = str(error).strip() or error.__class__.__name__
        raise BadInput(f"{path} is not a readable Photoshop file ({reason[:160]})") from None


def psd_picture(psd, path: str | Path) -> Image.Image:
    """The picture Photoshop shows: the merged image it saved, else psd-tools' own render.

    8-bit whatever the file's depth; RGB(A), L(A), CMYK or 1 with the ICC profile applied
    (CMYK without a profile stays CMYK for the caller's plain conversion)."""
    try:
        image = psd.composite()
    except Exception as error:  # a damaged merged image: draw the layers instead
        log.warning("%s: merged picture not readable (%s); rendering the layers", path, error)
        image = None
    if image is None or image.size != (psd.width, psd.height):
        try:
            image = psd.composite(ignore_preview=True)
        except Exception as error:
            raise BadInput(f"{path} has no picture that can be read "
                           f"({str(error)[:160] or error.__class__.__name__})") from None
    if image is None:
        raise BadInput(f"{path} has no picture that can be read (no merged image, no layers)")
    image.load()
    return image
