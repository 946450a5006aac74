"""At most one step preview in flight from the worker to the UI thread.

The worker offers a preview at every denoising step as a function that renders it; while the
UI thread has not taken the last one yet, the offer is dropped without rendering, so a slow UI
(or a fast GPU) never piles up images in the event queue.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PIL import Image

log = logging.getLogger(__name__)


class PreviewGate:
    """Lets one preview through until :meth:`release` is called (from the thread that took it)."""

    def __init__(self) -> None:
        self._in_flight = threading.Event()

    def offer(self, render: Callable[[], Image.Image], send: Callable[[Image.Image], None]) -> bool:
        """Render and send a preview unless one is in flight; True when it was sent."""
        if self._in_flight.is_set():
            return False
        try:
            image = render()
        except Exception:  # a preview must never end a generation
            log.exception("could not render a step preview")
            return False
        self._in_flight.set()
        send(image)
        return True

    def release(self) -> None:
        self._in_flight.clear()
