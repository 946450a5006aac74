"""The format version that every file the app writes carries, checked one way on reading.

A file states ``format_version`` (a whole number from 1) and the ``app_version`` that wrote it.
A reader takes every version up to the one it knows and refuses a newer one with a message that
names the app that wrote it and says to update.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from t2ia_desktop.core.errors import BadInput


def check_format_version(data: Mapping[str, Any], supported: int, what: str, *,
                         bad: Callable[[str], Exception] = BadInput, written: str = "made",
                         remedy: str = "update the app") -> int:
    """``data["format_version"]`` when this app reads it (1 to ``supported``).

    Otherwise raise ``bad(reason)``: the version is not a whole number from 1, or the file was
    ``written`` by a newer app (``what`` names the format, e.g. "project"; ``remedy`` ends the
    message).
    """
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise bad(f"its format version {version!r} is not valid")
    if version > supported:
        made_by = data.get("app_version")
        by = f" {made_by}" if isinstance(made_by, str) and len(made_by) < 40 else ""
        raise bad(f"it was {written} by a newer version of t2ia desktop{by} ({what} format "
                  f"{version}; this app reads up to {supported}); {remedy}")
    return version
