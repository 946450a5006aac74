"""One path for unexpected errors: the log file gets the traceback, the artist a plain message.

Exceptions escaping a Qt slot reach ``sys.excepthook``; those in other Python threads reach
``threading.excepthook``. Both are logged and handed to the UI thread through a queued signal.
"""

from __future__ import annotations

import logging
import sys
import threading
from types import TracebackType

from PySide6.QtCore import QObject, Signal

log = logging.getLogger("t2ia_desktop")


class ErrorFunnel(QObject):
    """Install with :meth:`install`; connect ``message`` to wherever the artist will see it."""

    message = Signal(str)

    def __init__(self, log_hint: str = "") -> None:
        super().__init__()
        self.log_hint = log_hint
        self._previous = (sys.excepthook, threading.excepthook)

    def install(self) -> None:
        sys.excepthook = self._on_exception
        threading.excepthook = self._on_thread_exception

    def uninstall(self) -> None:
        sys.excepthook, threading.excepthook = self._previous

    def _on_exception(
        self, kind: type[BaseException], error: BaseException, trace: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            self._previous[0](kind, error, trace)
            return
        log.error("unexpected error", exc_info=(kind, error, trace))
        where = f" Details are in the log: {self.log_hint}" if self.log_hint else ""
        self.message.emit(f"Unexpected error: {error or kind.__name__}.{where}")

    def _on_thread_exception(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            self._on_exception(args.exc_type, args.exc_value, args.exc_traceback)
