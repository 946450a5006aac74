"""A local HTTP server in the Hugging Face hub's URL layout, for download tests (no network).

``GET/HEAD /{owner}/{name}/resolve/{revision}/{file}`` serves ``folder/file``. Like the hub for
LFS files, ``redirect=True`` answers with a 302 (carrying ``X-Linked-Size``) to a second URL
that serves the bytes. ``delay`` sleeps between chunks of ``chunk`` bytes, a slowly streaming
server for Cancel tests. Every request is recorded in ``requests``. ``nested=True`` serves
files in subfolders too (a pipeline's ``unet/``, ``vae/``…), and
``/api/models/{repo}/revision/{rev}`` lists the files as the hub's model API does.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class HubServer:
    folder: Path
    repo: str = "lllyasviel/Annotators"
    redirect: bool = False
    delay: float = 0.0
    chunk: int = 64 * 1024
    requests: list[tuple[str, str]] = field(default_factory=list)
    nested: bool = False  # serve files in subfolders (a pipeline's unet/, vae/, …)
    url: str = ""

    def _file(self, path: str) -> Path | None:
        path = urllib.parse.unquote(path)
        prefix = f"/{self.repo}/resolve/"
        if path.startswith("/cdn/"):
            name = path[len("/cdn/"):]
        elif path.startswith(prefix) and path[len(prefix):].count("/") >= 1:
            name = path[len(prefix):].split("/", 1)[1]
        else:
            return None
        file = self.folder / name
        nested_ok = self.nested and ".." not in name.split("/")
        return file if ("/" not in name or nested_ok) and file.is_file() else None

    def listing(self, path: str) -> bytes | None:
        """``/api/models/{repo}/revision/{rev}``: the files, as the hub's model API lists them."""
        if not urllib.parse.unquote(path).startswith(f"/api/models/{self.repo}/revision/"):
            return None
        names = sorted(p.relative_to(self.folder).as_posix()
                       for p in self.folder.rglob("*") if p.is_file())
        return json.dumps({"id": self.repo, "siblings": [{"rfilename": n} for n in names]}
                          ).encode()


class _HubHandler(http.server.BaseHTTPRequestHandler):
    hub: HubServer  # set on the subclass made for each server (see _handler)

    def log_message(self, *args: object) -> None:  # quiet test output
        pass

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def _answer(self, body: bool) -> None:
        server = self.hub
        server.requests.append((self.command, self.path))
        listing = server.listing(self.path)
        if listing is not None:
            self._send(200, {"Content-Length": str(len(listing)),
                             "Content-Type": "application/json"}, listing if body else b"")
            return
        file = server._file(self.path)
        if file is None:
            self._send(404, {"Content-Length": "15"}, b"Entry not found" if body else b"")
            return
        size = file.stat().st_size
        if server.redirect and not self.path.startswith("/cdn/"):
            self._send(302, {"Location": f"/cdn/{file.name}", "X-Linked-Size": str(size),
                             "Content-Length": "0"})
            return
        self._send(200, {"Content-Length": str(size),
                         "Content-Type": "application/octet-stream"})
        if body:
            self._stream(file)

    def _send(self, status: int, headers: dict[str, str], payload: bytes = b"") -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    def _stream(self, file: Path) -> None:
        """The file's bytes in chunks, ``delay`` apart; a cancelling client is no error."""
        try:
            with open(file, "rb") as data:
                while chunk := data.read(self.hub.chunk):
                    self.wfile.write(chunk)
                    self.wfile.flush()
                    if self.hub.delay:
                        time.sleep(self.hub.delay)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client cancelled


def _handler(server: HubServer) -> type[http.server.BaseHTTPRequestHandler]:
    return type("Handler", (_HubHandler,), {"hub": server})


@contextlib.contextmanager
def serve_hub(folder: Path, **options: object) -> Iterator[HubServer]:
    """Run a :class:`HubServer` on a free local port for the duration of the block."""
    hub = HubServer(folder, **options)  # type: ignore[arg-type]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(hub))
    httpd.daemon_threads = True
    hub.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, name="hub-server", daemon=True)
    thread.start()
    try:
        yield hub
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


@contextlib.contextmanager
def online(monkeypatch, hub: HubServer) -> Iterator[None]:
    """Point HF_ENDPOINT at ``hub`` with offline mode off, for this block only."""
    with monkeypatch.context() as patch:
        patch.delenv("HF_HUB_OFFLINE", raising=False)
        patch.setenv("HF_ENDPOINT", hub.url)
        yield
