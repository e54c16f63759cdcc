"""HTTP plumbing: a threading HTTP/1.1 server whose handlers hand each request to the fake.

Keep-alive as kube-apiserver does, headers and body sent in one segment, watches streamed as
chunked responses, and every connection tracked so that the fake can drop them when it stops
listening.
"""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Request:
    """One request as the fake reads it."""

    method: str
    path: str
    query: dict[str, str]
    body: bytes
    content_type: str | None
    authorization: str | None


@dataclass(frozen=True)
class Response:
    """The fake's answer: a status, a JSON body, extra headers; or, for a watch, a stream of
    lines sent as chunks as they come (None in it: drop the connection there)."""

    status: int
    payload: Any
    headers: Mapping[str, str] = field(default_factory=dict)
    stream: Iterator[bytes | None] | None = None


class Answering(Protocol):
    """What the handlers need of the fake."""

    def answer(self, request: Request) -> Response: ...

    def connection_opened(self, connection: socket.socket) -> None: ...

    def connection_closed(self, connection: socket.socket) -> None: ...

    def keeps_open(self, connection: socket.socket) -> bool: ...


_serving = threading.local()


def current_connection() -> socket.socket | None:
    """The connection whose request this thread is answering, if it is a handler's thread."""
    connection: socket.socket | None = getattr(_serving, "connection", None)
    return connection


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # idle keep-alive handler threads must not block stop()
    allow_reuse_address = True


def http_server(address: tuple[str, int], fake: Answering) -> ThreadingHTTPServer:
    """A server (not yet serving) whose every request ``fake`` answers."""
    handler = type("Handler", (_Handler,), {"fake": fake})
    return _HTTPServer(address, handler)


class _Handler(BaseHTTPRequestHandler):
    fake: Answering
    protocol_version = "HTTP/1.1"  # keep-alive, as kube-apiserver does
    # Headers and body in one segment, sent at once: Nagle plus delayed ACKs cost 40 ms a request.
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024

    def setup(self) -> None:
        super().setup()
        self.fake.connection_opened(self.connection)

    def handle(self) -> None:
        try:
            super().handle()
        except OSError:
            pass  # the peer or the fake dropped the connection mid-answer (a watch's, say)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass  # what was left to send has no one to go to
        finally:
            self.fake.connection_closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        split = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        _serving.connection = self.connection
        try:
            response = self.fake.answer(Request(
                method, split.path, query, raw, self.headers.get("Content-Type"),
                self.headers.get("Authorization")))
        finally:
            _serving.connection = None
        if response.stream is not None:
            self._send_stream(response, response.stream)
        else:
            self._send(response)
        # The fake stopped listening while it answered (a hook refused connections): this
        # answer was still owed; the connection goes with it.
        if not self.fake.keeps_open(self.connection):
            self.close_connection = True

    def _send(self, response: Response) -> None:
        data = json.dumps(response.payload, separators=(",", ":")).encode()
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Audit-Id", str(uuid.uuid4()))
            for key, value in response.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True

    def _send_stream(self, response: Response, lines: Iterator[bytes | None]) -> None:
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Audit-Id", str(uuid.uuid4()))
            self.end_headers()
            self.wfile.flush()
            for line in lines:
                if line is None:  # a dropped connection: no last chunk, as when a peer dies
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:  # the client went away
            self.close_connection = True
        finally:
            close = getattr(lines, "close", None)
            if close is not None:
                close()
