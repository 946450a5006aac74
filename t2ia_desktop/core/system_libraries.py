"""The system libraries Qt's X11 (xcb) platform plugin needs, checked before Qt starts.

A source install on a minimal Debian/Ubuntu system lacks some of them, and Qt then aborts the
process ("Could not load the Qt platform plugin xcb… Aborted"). Loading each library the plugin
links against (the same ``dlopen`` Qt does a moment later) finds the missing ones first, so the
app can stop with one line naming the packages to install. The installers ship their own copies:
they are not checked.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping

XCB_LIBRARIES: dict[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
}
"""What PySide6's ``libqxcb.so`` and ``libQt6XcbQpa.so`` link against from the system (their
``ldd``, less what the wheel bundles and what every system has), and the Debian/Ubuntu package
of each."""


def uses_xcb(environ: Mapping[str, str]) -> bool:
    """Whether Qt will open its X11 (xcb) platform plugin: a display and no other platform."""
    platform = environ.get("QT_QPA_PLATFORM", "")
    return bool(environ.get("DISPLAY")) and (not platform or platform.startswith("xcb"))


def _loads(name: str) -> bool:
    try:
        ctypes.CDLL(name)
    except OSError:
        return False
    return True


def missing_xcb_packages(environ: Mapping[str, str] | None = None,
                         platform: str = sys.platform, frozen: bool | None = None,
                         loads: Callable[[str], bool] | None = None) -> list[str]:
    """The packages to install before Qt's window can open (empty when none, off Linux, in an
    installer's app, or when Qt will not use xcb)."""
    environ = os.environ if environ is None else environ
    frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    if not platform.startswith("linux") or frozen or not uses_xcb(environ):
        return []
    loads = loads or _loads
    return [package for library, package in XCB_LIBRARIES.items() if not loads(library)]


def missing_xcb_message(packages: list[str]) -> str:
    return ("Qt's window needs system libraries this computer lacks; install them with: "
            f"sudo apt install {' '.join(packages)} (README, Quick start), or run headless "
            "with QT_QPA_PLATFORM=offscreen")
