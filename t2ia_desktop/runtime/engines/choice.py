"""Where pictures are made: on this computer or on a t2ia server (Settings → Engine).

:class:`EngineChoice` is the engine the worker holds. At each job it asks the settings which
engine to use: the local torch engine (built on first use, in the worker thread) or a
:class:`~t2ia_desktop.remote.client.RemoteEngine` for the server's address and the token kept
beside the settings. A change in Settings applies from the next job; the queue, progress, step
previews, cancel and the image history work the same either way, because both engines have the
same ``generate``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.core.settings import Settings
from t2ia_desktop.remote.client import RemoteEngine, ServerInfo
from t2ia_desktop.remote.saved_token import saved_token

LOCAL = "local"
SERVER = "server"


def _never() -> bool:
    return False


@dataclass(frozen=True)
class EngineTarget:
    """Which engine a job goes to: ``LOCAL``, or ``SERVER`` at ``url`` with ``token``."""

    kind: str
    url: str = ""
    token: str = ""

    def describe(self) -> str:
        return "this computer" if self.kind == LOCAL else f"the server at {self.url}"


def target_from(settings: Settings, token: Callable[[], str] | None = None) -> EngineTarget:
    """The engine ``settings`` ask for; a server without an address or token is refused with
    what to do (the job fails with that line, the queue goes on)."""
    if settings.engine != SERVER:
        return EngineTarget(LOCAL)
    if not settings.server_url.strip():
        raise BadInput("Settings → Engine says Server but gives no address: enter the "
                       "server's URL, or choose On this computer")
    return EngineTarget(SERVER, settings.server_url.strip(),
                        (token or stored_token)())


def stored_token() -> str:
    """The server token the artist entered in Settings (kept in its own 0600 file)."""
    token = saved_token()
    if not token:
        raise BadInput("no server token: paste the token the server printed at its first "
                       "`t2ia-desktop serve` into Settings → Engine")
    return token


class EngineChoice:
    """The engine seam, local or remote as the settings say when each job starts.

    ``local`` builds the torch engine (called at most once, in the worker thread);
    ``None`` for extra workers, which only ever run jobs on a server.
    """

    def __init__(self, settings: Callable[[], Settings],
                 local: Callable[[], object] | None,
                 remote: Callable[[str, str], RemoteEngine] = RemoteEngine,
                 token: Callable[[], str] | None = None) -> None:
        self._settings = settings
        self._local_factory = local
        self._remote_factory = remote
        self._token = token
        self._local: object | None = None
        self._remote: tuple[EngineTarget, RemoteEngine] | None = None
        self._lock = threading.Lock()
        self.target: EngineTarget | None = None
        """The engine the latest job went to."""

    def pick(self, on_start: Callable[[], None] = lambda: None) -> tuple[object, bool]:
        """The engine a job starting now runs on, and whether it differs from the last job's
        (the status bar then says so). ``on_start`` is called before the torch engine loads."""
        target = target_from(self._settings(), self._token)
        with self._lock:
            changed, self.target = target != self.target, target
            if target.kind == LOCAL:
                if self._local_factory is None:
                    raise BadInput("this job was meant for a server, but Settings → Engine now "
                                   "says On this computer: run it again")
                if self._local is None:
                    on_start()
                    self._local = self._local_factory()
                return self._local, changed
            if self._remote is None or self._remote[0] != target:
                self._remote = (target, self._remote_factory(target.url, target.token))
            return self._remote[1], changed

    def generate(
        self,
        request: GenerationRequest,
        on_step: Callable[[int, int], None] | None = None,
        should_stop: Callable[[], bool] = _never,
        on_preview: Callable[[Callable[[], Image.Image]], None] | None = None,
        on_phase: Callable[[str, float | None], None] | None = None,
    ) -> Image.Image:
        engine, _changed = self.pick()
        return engine.generate(request, on_step=on_step, should_stop=should_stop,
                               on_preview=on_preview, on_phase=on_phase)


def check_server(url: str, token: str, timeout: float = 5.0) -> ServerInfo:
    """Settings → Engine → Test connection: the server's replicas, or the error saying why
    not (unreachable, token refused, not a t2ia server)."""
    return RemoteEngine(url, token, timeout=timeout).server_info()
