"""``RemoteEngine``: the engine seam (``generate`` with the local engine's signature) served by
a t2ia server, so the worker, the queue, previews and cancel do not know where pixels are made.

Each job opens its own WebSocket (several jobs at once run on several replicas), so a server
that went away and came back needs nothing from the client but the next job. Results are
returned to the caller, which writes them (the app's history, the command line's file): a
server restart loses no finished picture.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from PIL import Image

from t2ia_desktop.core.errors import BadInput, Cancelled
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.remote.errors import (
    ServerError,
    ServerUnreachable,
    TokenRefused,
    error_from_event,
)
from t2ia_desktop.remote.wire import PROTOCOL_VERSION, decode_png, encode_request

CHUNK = 1 << 20
"""Images go up in binary messages of at most 1 MiB (any proxy's message limit is larger)."""
POLL_S = 0.05
"""How often a waiting job looks at its Cancel flag."""


def _never() -> bool:
    return False


@dataclass(frozen=True)
class ReplicaInfo:
    name: str
    device: str


@dataclass(frozen=True)
class ServerInfo:
    """What ``GET /v1/info`` says: the server's version and its live replicas."""

    url: str
    version: str
    replicas: tuple[ReplicaInfo, ...]
    max_upload: int

    @property
    def devices(self) -> list[str]:
        return [replica.device for replica in self.replicas]

    def summary(self) -> str:
        """E.g. "2 replicas: CUDA: NVIDIA H100, CUDA: NVIDIA H100"."""
        count = len(self.replicas)
        devices = ", ".join(self.devices) or "starting"
        return f"{count} replica{'s' * (count != 1)}: {devices}"


def normalized_url(url: str) -> str:
    """``http(s)://host:port`` with no trailing slash; a clear line for anything else."""
    text = url.strip().rstrip("/")
    if "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"server address {url!r} is not an http:// or https:// URL")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


class RemoteEngine:
    """A t2ia server at ``url`` with bearer ``token``; safe to use from several threads."""

    def __init__(self, url: str, token: str, *, timeout: float = 10.0) -> None:
        self.url = normalized_url(url)
        self.token = token
        self.timeout = timeout
        scheme = "wss" if self.url.startswith("https") else "ws"
        self._jobs_url = scheme + self.url[self.url.index("://"):] + "/v1/jobs"
        self.last_replica = ""
        """The Ray actor name of the replica the latest job ran on (it says so at its start)."""

    # -- the engine seam ------------------------------------------------------------------------
    def generate(
        self,
        request: GenerationRequest,
        on_step: Callable[[int, int], None] | None = None,
        should_stop: Callable[[], bool] = _never,
        on_preview: Callable[[Callable[[], Image.Image]], None] | None = None,
        on_phase: Callable[[str, float | None], None] | None = None,
    ) -> Image.Image:
        """Run ``request`` on the server, as ``Engine.generate`` runs it here. The server
        validates it (its files — models, LoRAs — are the server's, not this machine's)."""
        if should_stop():
            raise Cancelled()
        data, images = encode_request(request)
        job = _Job(on_step, should_stop, on_preview, on_phase)
        from websockets.exceptions import ConnectionClosed

        try:
            with self._connect() as socket:
                socket.send(json.dumps({
                    "type": "job", "protocol": PROTOCOL_VERSION, "request": data,
                    "images": [{"name": name, "bytes": len(png)} for name, png in images],
                    "previews": on_preview is not None,
                }))
                for _, png in images:
                    for start in range(0, len(png), CHUNK):
                        socket.send(png[start:start + CHUNK])
                image = job.follow(socket, self)
        except (ConnectionClosed, OSError) as error:  # the server went away while sending
            closed = getattr(error, "rcvd", None)
            raise (_closed_error(error, self) if closed is not None
                   else self._unreachable(f"the connection broke: {error}")) from None
        return image

    def server_info(self) -> ServerInfo:
        """The server's version and live replicas (device names); raises
        :class:`ServerUnreachable`, :class:`TokenRefused` or :class:`ServerError`."""
        data = self._get_json("/v1/info")
        replicas = tuple(ReplicaInfo(str(r.get("name", "")), str(r.get("device", "")))
                         for r in data.get("replicas", []) if isinstance(r, dict))
        return ServerInfo(self.url, str(data.get("version", "")), replicas,
                          int(data.get("max_upload", 0)))

    # -- transport ------------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def _unreachable(self, reason: object) -> ServerUnreachable:
        return ServerUnreachable(
            f"Cannot reach the server at {self.url} ({reason}). Check that it runs "
            "(`t2ia-desktop serve`) and its address; the job can run again once it is back")

    def _refused(self) -> TokenRefused:
        return TokenRefused(f"The server at {self.url} refused the token: give the token that "
                            "its first `t2ia-desktop serve` printed (or its --token-file)")

    def _get_json(self, path: str) -> dict[str, Any]:
        call = urllib.request.Request(self.url + path, headers=self._headers())
        try:
            with urllib.request.urlopen(call, timeout=self.timeout) as answer:
                data = json.loads(answer.read(1 << 20))
        except urllib.error.HTTPError as error:
            if error.code == 401:
                raise self._refused() from None
            raise ServerError(f"The server at {self.url} answered {error.code} "
                              f"{_first_line(error.read(4096))}", error.code) from None
        except (urllib.error.URLError, OSError, TimeoutError) as error:
            raise self._unreachable(getattr(error, "reason", error)) from None
        except ValueError:
            raise ServerError(f"{self.url} answered something that is not a t2ia server's "
                              "JSON") from None
        if not isinstance(data, dict):
            raise ServerError(f"{self.url} is not a t2ia server")
        return data

    def _connect(self):
        from websockets.exceptions import InvalidHandshake, InvalidStatus
        from websockets.sync.client import connect

        try:
            return connect(self._jobs_url, additional_headers=self._headers(),
                           open_timeout=self.timeout, max_size=64 * CHUNK,
                           ping_interval=20, ping_timeout=60, close_timeout=2)
        except InvalidStatus as error:
            status = error.response.status_code
            if status == 401:
                raise self._refused() from None
            raise ServerError(f"The server at {self.url} answered {status} "
                              f"{_first_line(error.response.body or b'')}", status) from None
        except (OSError, TimeoutError, InvalidHandshake) as error:
            raise self._unreachable(error) from None


class _Job:
    """One job's messages from the server, turned into the engine's callbacks."""

    def __init__(self, on_step, should_stop, on_preview, on_phase) -> None:
        self.on_step = on_step
        self.should_stop = should_stop
        self.on_preview = on_preview
        self.on_phase = on_phase
        self.cancel_sent = False

    def follow(self, socket, engine: RemoteEngine) -> Image.Image:
        from websockets.exceptions import ConnectionClosed

        waiting_for: dict | None = None  # the event whose PNG comes next
        try:
            while True:
                if not self.cancel_sent and self.should_stop():
                    socket.send(json.dumps({"type": "cancel"}))
                    self.cancel_sent = True
                try:
                    message = socket.recv(timeout=POLL_S)
                except TimeoutError:
                    continue
                if isinstance(message, bytes):
                    if waiting_for is None:
                        raise ServerError("the server sent a picture nobody asked for")
                    if waiting_for["type"] == "result":
                        return decode_png(message, "result")
                    self._preview(message)
                    waiting_for = None
                    continue
                event = _event(message)
                if event["type"] in ("result", "preview"):
                    waiting_for = event
                else:
                    self._handle(event, engine)
        except ConnectionClosed as closed:
            raise _closed_error(closed, engine) from None

    def _preview(self, png: bytes) -> None:
        if self.on_preview is not None:
            self.on_preview(lambda: decode_png(png, "step preview"))

    def _handle(self, event: dict, engine: RemoteEngine) -> None:
        kind = event["type"]
        if kind == "step" and self.on_step is not None:
            self.on_step(int(event["step"]), int(event["total"]))
        elif kind == "phase" and self.on_phase is not None:
            fraction = event.get("fraction")
            self.on_phase(str(event["phase"]),
                          None if fraction is None else float(fraction))
        elif kind == "replica":
            engine.last_replica = str(event.get("replica", ""))
        elif kind == "cancelled":
            raise Cancelled()
        elif kind == "error":
            raise error_from_event(event)


def _event(message: str) -> dict:
    try:
        event = json.loads(message)
    except ValueError:
        raise ServerError("the server sent a message that is not JSON") from None
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        raise ServerError("the server sent a message without a type")
    return event


def _closed_error(closed, engine: RemoteEngine) -> Exception:
    """The error for a connection that closed before the job ended: 4xxx codes carry a status
    (4401: the token; 4413, 4422…: the job), anything else means the server went away."""
    frame = closed.rcvd
    code = frame.code if frame is not None else 1006
    if code == 4401:
        return engine._refused()
    if 4000 <= code < 5000:
        return ServerError(frame.reason or f"the server refused the job ({code - 4000})",
                           code - 4000)
    return engine._unreachable(f"the connection closed during the job, code {code}")


def _first_line(body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
        text = str(data.get("detail", text)) if isinstance(data, dict) else text
    except ValueError:
        pass
    return text.splitlines()[0][:200] if text else ""
