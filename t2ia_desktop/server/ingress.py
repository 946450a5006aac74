"""The ingress: FastAPI behind Ray Serve's proxy (no ``from __future__ import annotations``:
FastAPI reads the hints). ``GET /v1/info`` lists the live replicas;
the WebSocket ``/v1/jobs`` takes one job (remote/wire.py), streams its events back, cancels it
when the client says so or goes away, and runs it once more on another replica when the one
running it ends. A missing or wrong token is a 401 with no detail; every other refusal a 4xx
with one line (over the WebSocket: an ``error`` event, then the close code 4000 + status).
"""


import asyncio
import contextlib
import hmac
import json
import logging
import uuid
from typing import Any

import ray
from fastapi import FastAPI, Request, Response, WebSocket, WebSocketDisconnect
from ray import serve
from ray.serve.handle import DeploymentHandle

from t2ia_desktop import __version__
from t2ia_desktop.core.conditions.registry import default_registry
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.remote.wire import MAX_IMAGES, PROTOCOL_VERSION, decode_request
from t2ia_desktop.server.board import alive, board
from t2ia_desktop.server.options import Refused, ServerOptions, check_request

log = logging.getLogger(__name__)

api = FastAPI(title="t2ia server", docs_url=None, redoc_url=None, openapi_url=None)
FIRST_MESSAGE_S = 30.0
REPLICA_GONE = (ray.exceptions.RayActorError, ray.exceptions.ActorUnavailableError)


def _unauthorized() -> Response:
    return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})


async def _relay(websocket: WebSocket, response) -> bool:
    """Forward the replica's events until its last; False when the client cancelled or went
    away first (the Serve response is then cancelled, which stops the replica's job)."""
    listen = asyncio.create_task(_listen(websocket))
    forward = asyncio.create_task(_forward(websocket, response))
    done, _ = await asyncio.wait({listen, forward}, return_when=asyncio.FIRST_COMPLETED)
    if forward in done:
        listen.cancel()
        forward.result()  # raises when the replica went away
        return True
    response.cancel()
    forward.cancel()
    if listen.result() == "cancel":
        await _send(websocket, {"type": "cancelled"})
        await _close(websocket, 1000)
    return False


async def _forward(websocket: WebSocket, response) -> None:
    async for event in response:
        png = event.pop("png", None)
        await websocket.send_text(json.dumps(event))
        if png is not None:
            await websocket.send_bytes(png)


async def _listen(websocket: WebSocket) -> str:
    """"cancel" when the client asks, "gone" when it disconnects; other messages are
    ignored."""
    try:
        while True:
            message = await websocket.receive_text()
            try:
                if json.loads(message).get("type") == "cancel":
                    return "cancel"
            except (ValueError, AttributeError):
                continue
    except (WebSocketDisconnect, RuntimeError, KeyError):  # KeyError: bytes, not text
        return "gone"


def _image_sizes(images: Any) -> dict[str, int]:
    if not isinstance(images, list) or len(images) > MAX_IMAGES:
        raise Refused(400, f"malformed request: images must be a list of at most {MAX_IMAGES}")
    sizes: dict[str, int] = {}
    for entry in images:
        if not (isinstance(entry, dict) and isinstance(entry.get("name"), str)
                and isinstance(entry.get("bytes"), int) and entry["bytes"] > 0
                and len(entry["name"]) <= 64 and entry["name"] not in sizes):
            raise Refused(400, "malformed request: each image needs a new name and its bytes")
        sizes[entry["name"]] = entry["bytes"]
    return sizes


async def _send(websocket: WebSocket, event: dict) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):  # the client went away
        await websocket.send_text(json.dumps(event))


async def _close(websocket: WebSocket, code: int, reason: str = "") -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        await websocket.close(code, reason)


async def _refuse(websocket: WebSocket, status: int, message: str) -> None:
    kind = {400: "bad_input", 422: "bad_input"}.get(status, "refused")
    await _send(websocket, {"type": "error", "status": status, "kind": kind,
                            "message": message})
    await _close(websocket, 4000 + status, message.encode()[:120].decode("utf-8", "ignore"))


# Below the helpers: serve.ingress pickles the class when it is defined, with the
# module-level names its methods use.
@serve.deployment(ray_actor_options={"num_cpus": 0}, max_ongoing_requests=1000)
@serve.ingress(api)
class Ingress:
    def __init__(self, engine: DeploymentHandle, options: ServerOptions) -> None:
        self.engine = engine
        self.options = options
        self.registry = default_registry()
        self.board = board()
        self._expected = f"Bearer {options.token}".encode()

    def _token_ok(self, headers: Any) -> bool:
        given = headers.get("authorization", "").encode()
        return hmac.compare_digest(given, self._expected)

    @api.get("/healthz")
    async def health(self) -> Response:
        return Response("ok", media_type="text/plain")

    @api.get("/v1/info")
    async def info(self, request: Request) -> Any:
        if not self._token_ok(request.headers):
            return _unauthorized()
        replicas = await self.board.replicas.remote()
        live = [{"name": name, "device": device}
                for name, device in sorted(replicas.items()) if alive(name)]
        return {"version": __version__, "protocol": PROTOCOL_VERSION, "replicas": live,
                "max_upload": self.options.max_upload}

    @api.websocket("/v1/jobs")
    async def jobs(self, websocket: WebSocket) -> None:
        if not self._token_ok(websocket.headers):
            await websocket.send_denial_response(_unauthorized())
            return
        await websocket.accept()
        try:
            request, previews = await self._receive_job(websocket)
        except Refused as refusal:
            await _refuse(websocket, refusal.status, str(refusal))
            return
        except (TimeoutError, WebSocketDisconnect):
            return
        await self._run(websocket, request, previews)

    async def _receive_job(self, websocket: WebSocket):
        """The job's request, checked as the command line checks it, and whether the client
        wants step previews; :class:`Refused` for anything the server will not run."""
        text = await asyncio.wait_for(websocket.receive_text(), FIRST_MESSAGE_S)
        try:
            job = json.loads(text)
        except ValueError:
            raise Refused(400, "malformed request: the first message is not JSON") from None
        if not isinstance(job, dict) or job.get("type") != "job":
            raise Refused(400, "malformed request: the first message must be a job")
        if job.get("protocol") != PROTOCOL_VERSION:
            raise Refused(400, f"this server speaks protocol {PROTOCOL_VERSION}, not "
                               f"{job.get('protocol')!r}: update the app or the server")
        sizes = _image_sizes(job.get("images"))
        total = sum(sizes.values())
        if total > self.options.max_upload:
            raise Refused(413, f"the job's images are {total / 2**20:.1f} MiB; this server "
                               f"takes at most {self.options.max_upload / 2**20:.0f} MiB a "
                               "job (its --max-upload-mb)")
        images = {}
        for name, size in sizes.items():
            data = bytearray()
            while len(data) < size:
                try:
                    data += await websocket.receive_bytes()
                except KeyError:  # a text message where image bytes belong
                    raise Refused(400, f"malformed request: {name}'s bytes are missing"
                                  ) from None
            if len(data) != size:
                raise Refused(400, f"malformed request: {name} is not {size} bytes long")
            images[name] = bytes(data)
        try:
            request = decode_request(job.get("request"), images)
            check_request(request, self.options, self.registry)
        except BadInput as error:
            text = str(error)
            raise Refused(400 if text.startswith("malformed") else 422, text) from None
        return request, bool(job.get("previews"))

    async def _run(self, websocket: WebSocket, request, previews: bool) -> None:
        """Relay the job's events; a replica that ends mid-job gets one retry elsewhere."""
        job_id = uuid.uuid4().hex
        for attempt in (1, 2):
            response = self.engine.options(stream=True).run.remote(job_id, request, previews)
            try:
                if not await _relay(websocket, response):
                    return  # the client cancelled or went away
                break
            except REPLICA_GONE as error:
                log.warning("job %s: replica lost (%s)", job_id, error)
                if attempt == 2:
                    await _send(websocket, {
                        "type": "error", "status": 503, "kind": "replica_lost",
                        "message": "The server's replica ended twice while running this job "
                                   "(stopped, or out of memory on its machine). Run the job "
                                   "again; if it happens again, see the server's log"})
                    break
                await _send(websocket, {"type": "retry", "message":
                                        "the replica running this job ended; running it again"})
        await _close(websocket, 1000)


def build_app(options: ServerOptions):
    """The Serve application: the ingress before ``options.replicas`` engine replicas (or
    autoscaling between ``min_replicas`` and ``max_replicas``)."""
    from t2ia_desktop.server.replica import EngineReplica

    actor = {"num_cpus": options.num_cpus, "num_gpus": options.num_gpus}
    if options.min_replicas is not None and options.max_replicas is not None:
        engine = EngineReplica.options(
            num_replicas="auto", ray_actor_options=actor,
            autoscaling_config={"min_replicas": options.min_replicas,
                                "max_replicas": options.max_replicas,
                                "target_ongoing_requests": 1})
    else:
        engine = EngineReplica.options(num_replicas=options.replicas, ray_actor_options=actor)
    return Ingress.bind(engine.bind(options), options)
