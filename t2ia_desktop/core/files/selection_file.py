"""The selection in a project file: an optional ``selection.png`` entry (8-bit greyscale,
255 = selected, 0 = not), named by the manifest's ``selection`` key.

Both are written only when something is selected. Files without them (older ones, or saved
with nothing selected) open with nothing selected, and apps that predate them ignore both, so
the project format version stays the same.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image

from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.document.selection import adopt_selection, document_selection
from t2ia_desktop.core.files.archive import ArchiveReader

SELECTION_ENTRY = "selection.png"
MANIFEST_KEY = "selection"


def selection_png(document: Document) -> bytes | None:
    """The document's selection as PNG bytes, or None when nothing is selected."""
    selection = document_selection(document)
    if selection.is_empty():
        return None
    buffer = io.BytesIO()
    pixels = selection.mask.view(np.uint8) * np.uint8(255)
    Image.fromarray(pixels, "L").save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def add_to_manifest(manifest: dict[str, Any], png: bytes | None) -> None:
    """Name the selection entry in the manifest when there is one."""
    if png is not None:
        manifest[MANIFEST_KEY] = SELECTION_ENTRY


def read_selection(archive: ArchiveReader, manifest: dict[str, Any], document: Document) -> None:
    """Give ``document`` the selection the manifest names (nothing selected without one)."""
    name = manifest.get(MANIFEST_KEY)
    if name is None:
        adopt_selection(document, None)
        return
    if not isinstance(name, str):
        raise archive.bad("its selection is not given as the name of an image entry")
    image = archive.image(name, "selection mask")
    if image.size != (document.width, document.height):
        raise archive.bad(f"its selection mask is {image.size[0]}×{image.size[1]}, not "
                          f"{document.width}×{document.height} like the canvas")
    adopt_selection(document, np.asarray(image.convert("L")) >= 128)
