"""How many jobs the queue may run at once: one on this computer, one per replica of a server.

:class:`ServerWatch` asks the server for its replicas (on a thread of its own) whenever the
engine settings change, and again after a job fails because the server could not be reached, so
a server that gained or lost replicas, or came back, is followed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from t2ia_desktop.core.settings import Settings
from t2ia_desktop.runtime.engines.choice import LOCAL, target_from


class ServerWatch(QObject):
    parallel_jobs = Signal(int)  # how many jobs may run at once now
    described = Signal(str)  # "Engine: this computer" / "Engine: server … · 2 replicas: …"

    def __init__(self, settings: Callable[[], Settings],
                 server_info: Callable[[str, str], object],
                 parent: QObject | None = None, *,
                 token: Callable[[], str] | None = None) -> None:
        """``server_info(url, token)`` returns the server's ServerInfo or raises why not;
        ``token`` gives the token (default: the one kept by Settings → Engine)."""
        super().__init__(parent)
        self._settings = settings
        self._token = token
        self._server_info = server_info
        self._asked = 0

    def refresh(self, *_args) -> None:
        """Find out again (settings changed, or a job could not reach the server)."""
        self._asked += 1
        asked = self._asked
        try:
            target = target_from(self._settings(), self._token)
        except Exception as error:  # no address or token: the next job says what to do
            self.parallel_jobs.emit(1)
            self.described.emit(f"Engine: server not usable yet ({error})")
            return
        if target.kind == LOCAL:
            self.parallel_jobs.emit(1)
            self.described.emit("Engine: this computer")
            return

        def ask() -> None:
            try:
                info = self._server_info(target.url, target.token)
                count, text = (max(1, len(info.replicas)),
                               f"Engine: server {target.url} · {info.summary()}")
            except Exception as error:
                count, text = 1, f"Engine: server {target.url} does not answer yet ({error})"
            if asked == self._asked:  # an older answer never overrides a newer question
                self.parallel_jobs.emit(count)
                self.described.emit(text)

        threading.Thread(target=ask, name="t2ia-server-watch", daemon=True).start()
