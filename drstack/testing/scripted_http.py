"""ScriptedHttpServer: an HTTP server on 127.0.0.1 whose answers a test sets per request number.

For the URL probe (drstack:verifyUrls): "503, 503, then 200" holds on any machine, since the
server counts the requests it gets, and a test acts on the n-th one, never on a timer.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class SeenRequest:
    """One request as the server got it."""

    number: int  # 1 for the first
    method: str
    path: str  # with its query
    headers: dict[str, str]


class ScriptedHttpServer:
    """Answers the n-th request with ``answers[n-1]`` (then ``then`` for every later one); a
    3xx carries a Location. ``on_request(request)`` runs before each answer is sent."""

    def __init__(self, answers: Sequence[int] = (), *, then: int = 200,
                 on_request: Callable[[SeenRequest], None] | None = None) -> None:
        self.answers = list(answers)
        self.then = then
        self.on_request = on_request
        self._lock = threading.Lock()
        self._seen: list[SeenRequest] = []
        self._errors: list[BaseException] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True,
                                        name="scripted-http")

    def __enter__(self) -> ScriptedHttpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        if self._errors:  # a failing on_request fails the test that set it
            raise self._errors[0]

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def url(self, path: str = "/", *, userinfo: str = "") -> str:
        return f"http://{userinfo + '@' if userinfo else ''}127.0.0.1:{self.port}{path}"

    @property
    def requests(self) -> list[SeenRequest]:
        with self._lock:
            return list(self._seen)

    def _answer(self, method: str, path: str, headers: dict[str, str]) -> int:
        with self._lock:
            seen = SeenRequest(len(self._seen) + 1, method, path, headers)
            self._seen.append(seen)
        if self.on_request is not None:
            try:
                self.on_request(seen)
            except Exception as exc:  # noqa: BLE001 - raised again by __exit__
                self._errors.append(exc)
        index = seen.number - 1
        return self.answers[index] if index < len(self.answers) else self.then

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # the name http.server calls
                status = server._answer("GET", self.path, dict(self.headers.items()))
                body = f"{status}\n".encode()
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "/moved")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the tests read ``requests``, not stderr

        return Handler


def refusing_port() -> tuple[socket.socket, int]:
    """A port on 127.0.0.1 that refuses connections for as long as the socket is kept open:
    bound (so nothing else takes it) but not listening. Close the socket when done."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock, int(sock.getsockname()[1])
