"""FakeKubeServer: an in-memory kube-apiserver on 127.0.0.1, speaking real HTTP to the real
``kubernetes`` client.

No kube-apiserver can run on these machines; this gives the cluster code a real wire to talk
to: JSON bodies, v1 Status errors, resourceVersions, subresources, watches and injectable faults.
It keeps objects in memory (``store``), answers the API verbs (``api``) and streams watches
(``watches``); it runs no controllers: tests play them with ``make_ready`` and ``sync_pods``
(``controllers``).
"""

from __future__ import annotations

import copy
import json
import secrets
import socket
import threading
import time
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from drstack.testing.fakekube import controllers
from drstack.testing.fakekube.api import Api, parse_route
from drstack.testing.fakekube.faults import (
    Fault,
    Hook,
    RequestRecord,
    WatchFault,
    due,
    is_watch,
    take,
    take_watch_fault,
)
from drstack.testing.fakekube.resources import Obj, discovery, resource_type
from drstack.testing.fakekube.serving import (
    Request,
    Response,
    current_connection,
    http_server,
)
from drstack.testing.fakekube.status import REASONS, ApiError, conflict
from drstack.testing.fakekube.store import Store
from drstack.testing.fakekube.watches import Watch, WatchRequest, gone

_WRITES = ("POST", "PUT", "PATCH", "DELETE")


class FakeKubeServer:
    """An in-memory kube-apiserver on 127.0.0.1. Use as a context manager or start()/stop()."""

    def __init__(self, *, token: str | None = "", name: str = "fake") -> None:
        # token "" -> a random one; None -> no authentication at all.
        self.token: str | None = secrets.token_hex(16) if token == "" else token
        self.name = name
        self.latency: float = 0.0
        self._store = Store()
        self._api = Api(self._store)
        # One lock for the objects, the faults, the hooks, the log and the connections.
        self._lock = self._store.lock
        self._faults: list[Fault] = []
        self._conflicts: list[Fault] = []
        self._watch_faults: list[WatchFault] = []
        self._hooks: list[Hook] = []
        self._hook_errors: list[BaseException] = []
        self._log: list[RequestRecord] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._reopen: threading.Timer | None = None
        self._port = 0
        self._connections: set[socket.socket] = set()

    # -- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> FakeKubeServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if not self._port:
            raise RuntimeError("the fake server is not started")
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> FakeKubeServer:
        self._listen()
        return self

    def stop(self) -> None:
        """Stop listening; raise what a hook raised, so that the test fails and says why."""
        if self._reopen is not None:
            self._reopen.cancel()
        self._close()
        errors, self._hook_errors = self._hook_errors, []
        if errors:
            raise errors[0]

    def refuse_connections(self, *, for_seconds: float | None = None) -> None:
        """Stop listening (and drop open connections): clients see 'connection refused'.

        With ``for_seconds``, listen again after that long: a refusal is a fault of some length,
        not a count of requests, since a refused request never reaches the fake. May be called
        from a hook: the request being answered still gets its answer.
        """
        self._close()
        if for_seconds is not None:
            self._reopen = threading.Timer(for_seconds, self.accept_connections)
            self._reopen.daemon = True
            self._reopen.start()

    def accept_connections(self) -> None:
        """Listen again on the same port."""
        self._listen()

    def _listen(self) -> None:
        if self._httpd is not None:
            return
        httpd = http_server(("127.0.0.1", self._port), self)
        self._port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
            name=f"fakekube-{self.name}-{self._port}",
        )
        self._thread.start()

    def _close(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        # Keep-alive connections outlive the listening socket; drop them so that the client's
        # next request opens a new connection and is refused. The one whose request a hook is
        # running in is closed by its handler once the answer is sent.
        with self._lock:
            conns, self._connections = set(self._connections), set()
            self._store.changed.notify_all()  # open watches see their connection is gone
        for conn in conns - {current_connection()}:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)

    def connection_opened(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)

    def connection_closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)

    def keeps_open(self, connection: socket.socket) -> bool:
        with self._lock:
            return connection in self._connections
    # -- kubeconfig -----------------------------------------------------------------------------

    def kubeconfig_dict(self, context: str = "fake", token: str | None = None) -> Obj:
        user: Obj = {"token": token if token is not None else (self.token or "none")}
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": context, "cluster": {"server": self.url}}],
            "users": [{"name": f"{context}-user", "user": user}],
            "contexts": [
                {
                    "name": context,
                    "context": {"cluster": context, "user": f"{context}-user",
                                "namespace": "default"},
                }
            ],
            "current-context": context,
            "preferences": {},
        }

    def kubeconfig_text(self, context: str = "fake", token: str | None = None) -> str:
        return yaml.safe_dump(self.kubeconfig_dict(context, token), sort_keys=False)

    def write_kubeconfig(
        self, path: str | Path, context: str = "fake", token: str | None = None
    ) -> Path:
        """Write a kubeconfig with bearer-token auth; ``token`` defaults to the server's."""
        path = Path(path)
        path.write_text(self.kubeconfig_text(context, token))
        return path

    # -- fault injection ------------------------------------------------------------------------

    def fail_next(
        self,
        n: int,
        status: int = 503,
        method: str | None = None,
        path_contains: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        """The next ``n`` matching requests answer ``status`` (a v1 Status body)."""
        with self._lock:
            self._faults.append(Fault(n, status, method, path_contains, retry_after))

    def conflict_next(self, n: int, path_contains: str | None = None) -> None:
        """The next ``n`` matching writes answer 409 Conflict."""
        with self._lock:
            self._conflicts.append(Fault(n, 409, None, path_contains))

    def watch_gone_next(self, n: int = 1, *, path_contains: str | None = None,
                        http_status: bool = False) -> None:
        """The next ``n`` matching watches answer 410 Gone: an ERROR event whose Status has code
        410, as kube-apiserver answers a resourceVersion it no longer has; with ``http_status``,
        an HTTP 410 instead, before any event."""
        with self._lock:
            self._watch_faults.append(WatchFault(n, path_contains, gone=True,
                                                 http_status=http_status))

    def drop_watch_after(self, events: int, n: int = 1, *,
                         path_contains: str | None = None) -> None:
        """The next ``n`` matching watches drop their connection (no last chunk) right after
        sending their ``events``-th event; 0: right after the headers."""
        with self._lock:
            self._watch_faults.append(WatchFault(n, path_contains, drop_after=events))

    def compact(self) -> None:
        """Forget the changes made so far, as etcd's compaction does: a watch from any
        resourceVersion before now is answered 410 (open watches go on)."""
        with self._lock:
            self._store.compact()

    def after_requests(self, n: int, action: Callable[[], None], *, method: str | None = None,
                       path_contains: str | None = None, status: int | None = None,
                       watch: bool | None = None) -> None:
        """Run ``action`` once, when the ``n``-th matching request from now has been answered.

        It runs before that answer is sent, so its effect is in place before the client can act
        on the answer: "the pods go after the gate's sixth poll" holds on any machine. On a
        watch, it runs before the stream starts, and the watch streams what it changed. The one
        way for a test to do something later (a controller's work, a fault mid-wait).
        ``watch`` True counts only watches, False only other requests.
        """
        if n < 1:
            raise ValueError(f"n must be at least 1, not {n}")
        with self._lock:
            self._hooks.append(Hook(n, action, method, path_contains, status, watch))

    # -- request log ----------------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._log)

    def writes(self) -> list[RequestRecord]:
        return [r for r in self.requests if r.is_write]

    def count(self, method: str | None = None, path_contains: str | None = None) -> int:
        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method.upper())
            and (path_contains is None or path_contains in r.path)
        )

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    # -- answering ------------------------------------------------------------------------------

    def answer(self, request: Request) -> Response:
        """Answer one request: injected faults first, then authentication, then the API."""
        method, path = request.method, request.path
        body: Any = None
        logged_body: Any = None
        if self.latency:
            time.sleep(self.latency)
        headers: dict[str, str] = {}
        stream = None
        try:
            with self._lock:
                fault = take(self._faults, method, path)
            if fault is not None:
                if fault.retry_after is not None:
                    headers["Retry-After"] = f"{fault.retry_after:g}"
                reason = REASONS.get(fault.status, "InternalError")
                raise ApiError(
                    fault.status, reason, f"injected fault: {reason}", headers=headers
                )
            if self.token is not None:
                if request.authorization != f"Bearer {self.token}":
                    raise ApiError(401, "Unauthorized", "Unauthorized")
            if method in _WRITES and request.body:
                logged_body = _decode_for_log(request.body, request.content_type)
                body = request.body if method == "PATCH" else _decode_json(request.body)
            if method == "GET" and is_watch(request.query):
                status, payload = 200, None
                stream = self._watch(path, request.query).lines()
            else:
                status, payload = self.handle(method, path, request.query, body,
                                              request.content_type)
        except ApiError as err:
            status, payload = err.code, err.status()
            headers.update(err.headers)
        except Exception as exc:  # noqa: BLE001 - a bug in the fake: answer 500, as an apiserver would
            status = 500
            bug = ApiError(500, "InternalError", f"fakekube: {type(exc).__name__}: {exc}")
            payload = bug.status()
        record = RequestRecord(method, path, request.query, request.content_type, status,
                               logged_body if method != "GET" else None)
        with self._lock:
            self._log.append(record)
            fired = due(self._hooks, record)
        for hook in fired:  # outside the lock: an action may use the fake, from its own thread
            try:
                hook.action()
            except Exception as exc:  # noqa: BLE001 - raised again by stop()
                self._hook_errors.append(exc)
        return Response(status, payload, headers, stream)

    def _watch(self, path: str, query: dict[str, str]) -> Watch:
        """A watch of the collection at ``path``, starting where its query says."""
        route = parse_route(path)
        if route.name is not None:
            raise ApiError(405, "MethodNotAllowed", "fakekube serves watches of collections only")
        request = WatchRequest.parse(route.rt, route.namespace, query)
        with self._lock:
            fault = take_watch_fault(self._watch_faults, path)
            latest = self._store.latest_rv
        if fault is not None and fault.gone and fault.http_status:
            raise gone(request.from_rv or 0, latest)
        connection = current_connection()
        # A watch goes on while the fake keeps its connection (not once it stops listening).
        return Watch(self._store, request, fault,
                     lambda: connection is not None and self.keeps_open(connection))

    def handle(
        self, method: str, path: str, query: dict[str, str], body: Any, content_type: str | None
    ) -> tuple[int, Any]:
        """Answer one authenticated request; raises ApiError for every failure."""
        document = discovery(path, self._port) if method == "GET" else None
        if document is not None:
            return 200, document
        route = parse_route(path)
        if method in _WRITES:
            with self._lock:
                refused = take(self._conflicts, method, path)
            if refused:
                name = route.name or (body or {}).get("metadata", {}).get("name", "")
                raise conflict(route.rt, name)
        return self._api.answer(method, path, route, query, body, content_type)

    # -- controller helpers for tests (not logged) ----------------------------------------------

    def put(self, obj: Obj, namespace: str | None = None) -> Obj:
        """Create or replace ``obj`` as a controller would: status kept, no validation."""
        rt = resource_type(obj["kind"])
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        if rt.namespaced:
            meta["namespace"] = namespace or meta.get("namespace") or "default"
        with self._lock:
            if rt.namespaced and not self._store.namespace_exists(meta["namespace"]):
                raise ValueError(
                    f"namespace {meta['namespace']!r} does not exist on {self.name}; "
                    "put(objects.namespace(...)) first"
                )
            old = self._store.find(rt, meta.get("namespace"), meta["name"])
            return copy.deepcopy(self._store.save(rt, obj, old))

    def get(self, kind: str, namespace: str | None, name: str) -> Obj | None:
        rt = resource_type(kind)
        with self._lock:
            obj = self._store.find(rt, namespace if rt.namespaced else None, name)
            return copy.deepcopy(obj) if obj is not None else None

    def list(self, kind: str, namespace: str | None = None) -> list[Obj]:
        """Objects of ``kind`` in ``namespace`` (all namespaces when None), sorted by name."""
        rt = resource_type(kind)
        with self._lock:
            buckets = self._store.buckets(rt)
            keys = [namespace or ""] if (namespace or not rt.namespaced) else sorted(buckets)
            return [
                copy.deepcopy(bucket[name])
                for key in keys
                for bucket in [buckets.get(key, {})]
                for name in sorted(bucket)
            ]

    def set_status(self, kind: str, namespace: str | None, name: str, status: Obj) -> Obj:
        rt = resource_type(kind)
        with self._lock:
            old = self._store.find(rt, namespace if rt.namespaced else None, name)
            if old is None:
                raise KeyError(f"{rt.kind} {namespace}/{name} does not exist on {self.name}")
            new = copy.deepcopy(old)
            new["status"] = copy.deepcopy(status)
            return copy.deepcopy(self._store.save(rt, new, old))

    def delete(self, kind: str, namespace: str | None, name: str) -> bool:
        rt = resource_type(kind)
        with self._lock:
            return self._store.remove(rt, namespace if rt.namespaced else None, name) is not None

    def make_ready(self, namespace: str) -> None:
        """Mark every Deployment/StatefulSet in ``namespace`` fully rolled out at spec.replicas."""
        controllers.make_ready(self._store, namespace)

    def sync_pods(self, namespace: str) -> None:
        """Create/delete pods so each workload has exactly spec.replicas pods, as controllers do."""
        controllers.sync_pods(self._store, namespace)

    def sync_endpoint_slices(self, namespace: str) -> None:
        """Each Service's EndpointSlice: the Running pods it selects, ready when Ready."""
        controllers.sync_endpoint_slices(self._store, namespace)


def _decode_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise ApiError(400, "BadRequest", "the request body is not valid JSON") from None


def _decode_for_log(raw: bytes, content_type: str | None) -> Any:
    try:
        if content_type and "yaml" in content_type:
            return yaml.safe_load(raw)
        return json.loads(raw)
    except (ValueError, yaml.YAMLError):
        return raw.decode(errors="replace")
