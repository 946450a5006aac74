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


def _handler(server: HubServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet test output
            pass

        def _answer(self, body: bool) -> None:
            server.requests.append((self.command, self.path))
            listing = server.listing(self.path)
            if listing is not None:
                self.send_response(200)
                self.send_header("Content-Length", str(len(listing)))
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                if body:
                    self.wfile.write(listing)
                return
            file = server._file(self.path)
            if file is None:
                self.send_response(404)
                self.send_header("Content-Length", "15")
                self.end_headers()
                if body:
                    self.wfile.write(b"Entry not found")
                return
            size = file.stat().st_size
            if server.redirect and not self.path.startswith("/cdn/"):
                self.send_response(302)
                self.send_header("Location", f"/cdn/{file.name}")
                self.send_header("X-Linked-Size", str(size))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            if not body:
                return
            try:
                with open(file, "rb") as data:
                    while chunk := data.read(server.chunk):
                        self.wfile.write(chunk)
                        self.wfile.flush()
                        if server.delay:
                            time.sleep(server.delay)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client cancelled

        def do_HEAD(self) -> None:
            self._answer(body=False)

        def do_GET(self) -> None:
            self._answer(body=True)

    return Handler


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
