"""The window on the screen it opens on: never larger than the screen's available area, and the
docks in an arrangement whose first sizes fit it.

- The first window is 1600×1050 where that fits with room for a frame (a 2560×1440 monitor);
  on a smaller screen (1920×1080 and below) it takes the screen's whole available area
  (maximised): below that the Queue would not show three rows beside Generate and Layers.
- A stored geometry larger than the current screen (the last session ran on a bigger monitor)
  is shrunk and moved onto it.
- Below :data:`COMPACT_HEIGHT` pixels of available height (a 1280×800 or 1366×768 laptop) the
  right column holds Generate over Layers, Queue and Image history as tabs (Layers in front):
  one column cannot show Generate's controls, three layer rows and three queue rows at once at
  that height, and the Layers and Queue panels are too wide for the narrow left column.
- A column whose stored width is far above its first width (a long message once forced it
  wider) comes back at its first width.

Pure functions of rectangles where possible, so they are tested without a screen of that size.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow

DEFAULT_SIZE = QSize(1600, 1050)
"""The first window's size where the screen has room for it and its frame."""
FRAME_ROOM = QSize(40, 80)
"""Room kept around :data:`DEFAULT_SIZE` for the window's frame and the desktop's panels."""
COMPACT_HEIGHT = 960
"""Screens with less available height than this get the compact dock arrangement."""
RIGHT, LEFT = Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.LeftDockWidgetArea
WIDE_FACTOR = 1.6
"""A column restored wider than this many times its first width comes back at its first width."""


@dataclass(frozen=True)
class DockSizes:
    """First sizes of the two dock columns: widths in pixels, heights as shares of the column,
    top to bottom (a tabbed group counts once)."""

    right_width: int
    left_width: int
    right_shares: tuple[float, ...]
    left_shares: tuple[float, ...]


REGULAR = DockSizes(430, 250, (0.38, 0.30, 0.32), (0.28, 0.42, 0.30))
"""Right: Generate, Layers, Queue | Image history; left: Preview, Condition, History."""
COMPACT = DockSizes(400, 250, (0.52, 0.48), (0.28, 0.42, 0.30))
"""Right: Generate, then Layers | Queue | Image history as tabs; left as :data:`REGULAR`."""


def is_compact(available: QRect) -> bool:
    return available.height() < COMPACT_HEIGHT


def first_geometry(available: QRect, preferred: QSize = DEFAULT_SIZE) -> tuple[QRect, bool]:
    """The first window's geometry on a screen whose free area is ``available``, and whether
    it should be maximised (the preferred size and its frame do not fit)."""
    if (available.width() < preferred.width() + FRAME_ROOM.width()
            or available.height() < preferred.height() + FRAME_ROOM.height()):
        return QRect(available), True
    frame = QRect(0, 0, preferred.width(), preferred.height())
    frame.moveCenter(available.center())
    return frame, False


def fitted(frame: QRect, available: QRect) -> QRect:
    """``frame`` shrunk to at most ``available``'s size and moved inside it."""
    width = min(frame.width(), available.width())
    height = min(frame.height(), available.height())
    left = min(max(frame.left(), available.left()), available.left() + available.width() - width)
    top = min(max(frame.top(), available.top()), available.top() + available.height() - height)
    return QRect(left, top, width, height)


def set_frame_geometry(window: QMainWindow, frame: QRect) -> None:
    """Place ``window`` so that its frame (title bar and borders, as far as they are known
    yet) covers ``frame``."""
    outer, inner = window.frameGeometry(), window.geometry()
    window.setGeometry(frame.adjusted(inner.left() - outer.left(), inner.top() - outer.top(),
                                      inner.right() - outer.right(),
                                      inner.bottom() - outer.bottom()))


def too_wide(width: int, first_width: int) -> bool:
    return width > WIDE_FACTOR * first_width


def arrange_columns(window: QMainWindow, right: list[QDockWidget], left: list[QDockWidget],
                    compact: bool) -> list[QDockWidget]:
    """Put the docks in their columns: ``right`` is Generate, Layers, Queue and ``left``
    Preview, Condition, History; the Queue's tabs (Image history) stay with it. Compact: the
    Queue and its tabs are tabbed with Layers under Generate, Layers in front. Returns the
    docks :class:`DockSizes` gives heights to, top to bottom, right column first."""
    generate, layers, queue = right
    tabs = [tab for tab in window.tabifiedDockWidgets(queue) if tab not in (*right, *left)]
    column = [generate, layers] if compact else [generate, layers, queue]
    for dock in (*right, *tabs):
        window.removeDockWidget(dock)
    for dock in column:
        window.addDockWidget(RIGHT, dock, Qt.Orientation.Vertical)
    if compact:
        window.tabifyDockWidget(layers, queue)
    for tab in tabs:
        window.tabifyDockWidget(queue, tab)
    for dock in (*right, *tabs):
        dock.show()
    queue.raise_()
    if compact:
        layers.raise_()
    return [*column, *left]
