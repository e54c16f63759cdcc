"""A fake Kubernetes API server that speaks real HTTP to the real ``kubernetes`` client.

No kube-apiserver can run on these machines; this gives the cluster code a real wire to talk
to: JSON bodies, v1 Status errors, resourceVersions, subresources and injectable faults.
It keeps objects in memory, behind one lock, and runs no controllers: tests play the
controllers with ``make_ready`` and ``sync_pods``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

Obj = dict[str, Any]

SERVER_VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0-fakekube",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2025-01-01T00:00:00Z",
    "goVersion": "go1.23.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}


@dataclass(frozen=True)
class ResourceType:
    plural: str
    singular: str
    kind: str
    group: str  # "" for core
    version: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ("status",)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        # How kube-apiserver names a resource in messages: deployments.apps, pods.
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def is_workload(self) -> bool:
        return self.kind in ("Deployment", "StatefulSet")


RESOURCES: tuple[ResourceType, ...] = (
    ResourceType("namespaces", "namespace", "Namespace", "", "v1", False, ("ns",)),
    ResourceType("nodes", "node", "Node", "", "v1", False, ("no",)),
    ResourceType("pods", "pod", "Pod", "", "v1", True, ("po",)),
    ResourceType(
        "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", "", "v1",
        True, ("pvc",),
    ),
    ResourceType("events", "event", "Event", "", "v1", True, ("ev",), subresources=()),
    ResourceType(
        "deployments", "deployment", "Deployment", "apps", "v1", True, ("deploy",),
        subresources=("scale", "status"),
    ),
    ResourceType(
        "statefulsets", "statefulset", "StatefulSet", "apps", "v1", True, ("sts",),
        subresources=("scale", "status"),
    ),
)
_BY_NAME: dict[str, ResourceType] = {}
for _rt in RESOURCES:
    for _key in (_rt.plural, _rt.singular, _rt.kind.lower(), *_rt.short_names):
        _BY_NAME[_key] = _rt


def resource_type(kind: str) -> ResourceType:
    """A resource type by kind, plural, singular or short name (``Deployment``, ``pvc``...)."""
    try:
        return _BY_NAME[kind.lower()]
    except KeyError:
        raise KeyError(f"the fake server has no resource {kind!r}") from None


class ApiError(Exception):
    """An error answered as a v1 Status."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: Obj | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = dict(headers or {})

    def status(self) -> Obj:
        body: Obj = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body


_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    502: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


def _details(rt: ResourceType, name: str | None) -> Obj:
    details: Obj = {"kind": rt.plural}
    if rt.group:
        details["group"] = rt.group
    if name:
        details["name"] = name
    return details


def not_found(rt: ResourceType, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{rt.qualified} "{name}" not found', _details(rt, name))


def conflict(rt: ResourceType, name: str) -> ApiError:
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {rt.qualified} "{name}": the object has been '
        "modified; please apply your changes to the latest version and try again",
        _details(rt, name),
    )


# ---------------------------------------------------------------------------------------------
# Selectors


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!exists"
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.op == "=":
            return present and value in self.values
        if self.op == "!=":
            return not present or value not in self.values
        if self.op == "in":
            return present and value in self.values
        if self.op == "notin":
            return not present or value not in self.values
        if self.op == "exists":
            return present
        return not present


def _split_terms(text: str) -> list[str]:
    # Commas separate terms, except inside the parentheses of a set.
    terms: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            terms.append("".join(current))
            current = []
        else:
            current.append(ch)
    terms.append("".join(current))
    return [t.strip() for t in terms if t.strip()]


def _valid_key(key: str) -> bool:
    return bool(key) and all(c.isalnum() or c in "._-/" for c in key)


def parse_label_selector(text: str) -> list[Requirement]:
    """Parse ``a=b,c!=d,e in (x,y),f notin (z),g,!h``; raises ApiError 400 when malformed."""
    reqs = []
    for term in _split_terms(text):
        bad = ApiError(400, "BadRequest", f"unable to parse requirement: {term!r}")
        if term.startswith("!"):
            key = term[1:].strip()
            if not _valid_key(key):
                raise bad
            reqs.append(Requirement(key, "!exists"))
            continue
        words = term.split(None, 1)
        if len(words) == 2 and words[1].split(None, 1)[0] in ("in", "notin"):
            key = words[0]
            op, _, rest = words[1].partition(" ")
            rest = rest.strip()
            if not (_valid_key(key) and rest.startswith("(") and rest.endswith(")")):
                raise bad
            values = frozenset(v.strip() for v in rest[1:-1].split(",") if v.strip())
            reqs.append(Requirement(key, op, values))
            continue
        for op in ("!=", "==", "="):
            if op in term:
                key, _, value = term.partition(op)
                key, value = key.strip(), value.strip()
                if not _valid_key(key) or (value and not _valid_key(value)):
                    raise bad
                reqs.append(Requirement(key, "!=" if op == "!=" else "=", frozenset({value})))
                break
        else:
            if not _valid_key(term):
                raise bad
            reqs.append(Requirement(term, "exists"))
    return reqs


_FIELDS = {
    "metadata.name": ("metadata", "name"),
    "metadata.namespace": ("metadata", "namespace"),
}
_POD_FIELDS = {"status.phase": ("status", "phase"), "spec.nodeName": ("spec", "nodeName")}


def parse_field_selector(text: str, rt: ResourceType) -> list[tuple[tuple[str, str], str, str]]:
    allowed = {**_FIELDS, **(_POD_FIELDS if rt.kind == "Pod" else {})}
    out = []
    for term in _split_terms(text):
        for op in ("!=", "==", "="):
            if op in term:
                name, _, value = term.partition(op)
                name = name.strip()
                if name not in allowed:
                    raise ApiError(
                        400, "BadRequest", f'field label not supported: {name}'
                    )
                out.append((allowed[name], "!=" if op == "!=" else "=", value.strip()))
                break
        else:
            raise ApiError(400, "BadRequest", f"invalid selector: {text!r}")
    return out


def _field_matches(obj: Obj, reqs: list[tuple[tuple[str, str], str, str]]) -> bool:
    for (outer, inner), op, value in reqs:
        actual = (obj.get(outer) or {}).get(inner, "")
        if (actual == value) != (op == "="):
            return False
    return True


# ---------------------------------------------------------------------------------------------
# Patches


def merge_patch(target: Any, patch: Any, *, strategic: bool = False) -> Any:
    """RFC 7386 JSON merge patch; lists are replaced. ``strategic`` drops ``$`` directives."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if strategic and key.startswith("$"):
            continue
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value, strategic=strategic)
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise ApiError(422, "Invalid", f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _resolve(doc: Any, parts: list[str], path: str) -> Any:
    for part in parts:
        if isinstance(doc, dict) and part in doc:
            doc = doc[part]
        elif isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        else:
            raise ApiError(422, "Invalid", f"jsonpatch: path {path!r} does not exist")
    return doc


def _json_add(doc: Any, parts: list[str], value: Any, path: str) -> Any:
    if not parts:
        return value
    parent = _resolve(doc, parts[:-1], path)
    last = parts[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-":
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent):
            parent.insert(int(last), value)
        else:
            raise ApiError(422, "Invalid", f"jsonpatch: bad array index in {path!r}")
    else:
        raise ApiError(422, "Invalid", f"jsonpatch: cannot add at {path!r}")
    return doc


def _json_remove(doc: Any, parts: list[str], path: str) -> Any:
    if not parts:
        raise ApiError(422, "Invalid", "jsonpatch: cannot remove the whole document")
    parent = _resolve(doc, parts[:-1], path)
    last = parts[-1]
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent.pop(int(last))
    raise ApiError(422, "Invalid", f"jsonpatch: path {path!r} does not exist")


def json_patch(doc: Any, ops: Any) -> Any:
    """RFC 6902: add, remove, replace, move, copy, test."""
    if not isinstance(ops, list):
        raise ApiError(400, "BadRequest", "json patch body must be a list of operations")
    doc = copy.deepcopy(doc)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise ApiError(400, "BadRequest", f"invalid json patch operation {op!r}")
        kind, path = op["op"], op["path"]
        parts = _pointer(path)
        if kind == "add":
            doc = _json_add(doc, parts, copy.deepcopy(op.get("value")), path)
        elif kind == "remove":
            _json_remove(doc, parts, path)
        elif kind == "replace":
            _resolve(doc, parts, path)  # must exist
            if parts:
                _json_remove(doc, parts, path)
            doc = _json_add(doc, parts, copy.deepcopy(op.get("value")), path)
        elif kind in ("move", "copy"):
            source = op.get("from", "")
            value = copy.deepcopy(_resolve(doc, _pointer(source), source))
            if kind == "move":
                _json_remove(doc, _pointer(source), source)
            doc = _json_add(doc, parts, value, path)
        elif kind == "test":
            if _resolve(doc, parts, path) != op.get("value"):
                raise ApiError(422, "Invalid", f"jsonpatch: test failed at {path!r}")
        else:
            raise ApiError(400, "BadRequest", f"unknown json patch operation {kind!r}")
    return doc


PATCH_TYPES = (
    "application/strategic-merge-patch+json",
    "application/merge-patch+json",
    "application/json-patch+json",
    "application/apply-patch+yaml",
)


# ---------------------------------------------------------------------------------------------
# Request log and faults


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    query: dict[str, str]
    content_type: str | None
    status: int
    body: Any = None  # parsed body of writes; None for reads

    @property
    def is_write(self) -> bool:
        return self.method != "GET"


@dataclass
class _Fault:
    remaining: int
    status: int
    method: str | None
    path_contains: str | None
    retry_after: float | None = None

    def matches(self, method: str, path: str) -> bool:
        return (
            self.remaining > 0
            and (self.method is None or self.method.upper() == method)
            and (self.path_contains is None or self.path_contains in path)
        )


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _template_hash(template: Any) -> str:
    return hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]


_POD_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


@dataclass(frozen=True)
class _Route:
    rt: ResourceType
    namespace: str | None  # None: cluster-scoped, or a list across all namespaces
    name: str | None
    sub: str | None


# ---------------------------------------------------------------------------------------------
# The server


class FakeKubeServer:
    """An in-memory kube-apiserver on 127.0.0.1. Use as a context manager or start()/stop()."""

    def __init__(self, *, token: str | None = "", name: str = "fake") -> None:
        # token "" -> a random one; None -> no authentication at all.
        self.token: str | None = secrets.token_hex(16) if token == "" else token
        self.name = name
        self.latency: float = 0.0
        self._lock = threading.RLock()
        self._objects: dict[str, dict[str, dict[str, Obj]]] = {rt.plural: {} for rt in RESOURCES}
        self._rv = 1
        self._faults: list[_Fault] = []
        self._conflicts: list[_Fault] = []
        self._log: list[RequestRecord] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
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
        self._close()

    def refuse_connections(self) -> None:
        """Stop listening (and drop open connections): clients see 'connection refused'."""
        self._close()

    def accept_connections(self) -> None:
        """Listen again on the same port."""
        self._listen()

    def _listen(self) -> None:
        if self._httpd is not None:
            return
        handler = type("Handler", (_Handler,), {"fake": self})
        httpd = _HTTPServer(("127.0.0.1", self._port), handler)
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
        # next request opens a new connection and is refused.
        with self._lock:
            conns, self._connections = set(self._connections), set()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)

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
            self._faults.append(_Fault(n, status, method, path_contains, retry_after))

    def conflict_next(self, n: int, path_contains: str | None = None) -> None:
        """The next ``n`` matching writes answer 409 Conflict."""
        with self._lock:
            self._conflicts.append(_Fault(n, 409, None, path_contains))

    def _take(self, faults: list[_Fault], method: str, path: str) -> _Fault | None:
        with self._lock:
            for fault in faults:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    return fault
        return None

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

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self._log.append(record)

    # -- store primitives (callers hold the lock) -----------------------------------------------

    def _bump(self) -> str:
        self._rv += 1
        return str(self._rv)

    def _bucket(self, rt: ResourceType, namespace: str | None) -> dict[str, Obj]:
        return self._objects[rt.plural].setdefault(namespace or "", {})

    def _find(self, rt: ResourceType, namespace: str | None, name: str) -> Obj | None:
        return self._objects[rt.plural].get(namespace or "", {}).get(name)

    def _namespace_exists(self, namespace: str) -> bool:
        return namespace in self._objects["namespaces"].get("", {})

    def _store(self, rt: ResourceType, obj: Obj, old: Obj | None) -> Obj:
        """Store ``obj`` (a fresh dict) as the new version; a no-op write changes nothing."""
        meta = obj.setdefault("metadata", {})
        obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
        if old is not None:
            old_meta = old["metadata"]
            for key in ("uid", "creationTimestamp", "namespace", "generation"):
                if key in old_meta:
                    meta[key] = old_meta[key]
                else:
                    meta.pop(key, None)
            if rt.is_workload and obj.get("spec") != old.get("spec"):
                meta["generation"] = int(old_meta.get("generation", 1)) + 1
            meta["resourceVersion"] = old_meta["resourceVersion"]
            if obj == old:
                return old  # kube-apiserver skips no-op updates: no new resourceVersion
        else:
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", _now())
            if rt.is_workload:
                meta.setdefault("generation", 1)
        meta["resourceVersion"] = self._bump()
        self._bucket(rt, meta.get("namespace"))[meta["name"]] = obj
        return obj

    def _remove(self, rt: ResourceType, namespace: str | None, name: str) -> Obj | None:
        obj = self._objects[rt.plural].get(namespace or "", {}).pop(name, None)
        if obj is not None:
            self._bump()
            if rt.kind == "Namespace":
                # No namespace controller here: the namespace's objects go at once.
                for other in RESOURCES:
                    if other.namespaced and self._objects[other.plural].pop(name, {}):
                        self._bump()
        return obj

    # -- API verbs ------------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: dict[str, str], body: Any, content_type: str | None
    ) -> tuple[int, Any]:
        """Answer one authenticated request; raises ApiError for every failure."""
        discovery = self._discovery(path) if method == "GET" else None
        if discovery is not None:
            return 200, discovery
        route = _parse_route(path)
        if method in ("POST", "PUT", "PATCH", "DELETE") and self._take(
            self._conflicts, method, path
        ):
            raise conflict(route.rt, route.name or (body or {}).get("metadata", {}).get("name", ""))
        dry_run = query.get("dryRun") == "All"
        with self._lock:
            if method == "GET":
                if route.name is None:
                    return 200, self._list(route, query)
                return 200, self._get(route)
            if method == "POST" and route.name is None and (
                route.namespace is not None or not route.rt.namespaced
            ):
                return 201, self._create(route, body, dry_run)
            if route.name is not None and method == "PUT":
                return 200, self._update(route, body, dry_run)
            if route.name is not None and method == "PATCH":
                return self._patch(route, body, content_type, query, dry_run)
            if route.name is not None and method == "DELETE" and route.sub is None:
                return 200, self._delete(route, dry_run)
        raise ApiError(405, "MethodNotAllowed", f"the server does not allow this method on {path}")

    def _existing(self, route: _Route) -> Obj:
        assert route.name is not None
        obj = self._find(route.rt, route.namespace, route.name)
        if obj is None:
            raise not_found(route.rt, route.name)
        return obj

    def _get(self, route: _Route) -> Obj:
        obj = self._existing(route)
        return _scale_view(obj) if route.sub == "scale" else obj

    def _list(self, route: _Route, query: dict[str, str]) -> Obj:
        rt = route.rt
        labels = parse_label_selector(query.get("labelSelector", ""))
        fields = parse_field_selector(query.get("fieldSelector", ""), rt)
        buckets = self._objects[rt.plural]
        if route.namespace is not None:
            namespaces = [route.namespace]
        else:
            namespaces = sorted(buckets)
        items = []
        for ns in namespaces:
            bucket = buckets.get(ns, {})
            for name in sorted(bucket):
                obj = bucket[name]
                if labels:
                    obj_labels = obj["metadata"].get("labels") or {}
                    if not all(r.matches(obj_labels) for r in labels):
                        continue
                if fields and not _field_matches(obj, fields):
                    continue
                # kube-apiserver leaves apiVersion/kind out of list items.
                items.append({k: v for k, v in obj.items() if k not in ("apiVersion", "kind")})
        return {
            "kind": f"{rt.kind}List",
            "apiVersion": rt.api_version,
            "metadata": {"resourceVersion": str(self._rv)},
            "items": items,
        }

    def _check_body(self, rt: ResourceType, body: Any, namespace: str | None) -> Obj:
        if not isinstance(body, dict):
            raise ApiError(400, "BadRequest", "the request body must be a JSON object")
        kind = body.get("kind")
        if kind and kind != rt.kind:
            raise ApiError(
                400, "BadRequest", f"the body is a {kind}, the URL addresses {rt.qualified}"
            )
        meta = body.get("metadata") or {}
        body_ns = meta.get("namespace")
        if rt.namespaced and body_ns and body_ns != namespace:
            raise ApiError(
                400,
                "BadRequest",
                "the namespace of the provided object does not match the namespace sent on "
                "the request",
            )
        return body

    def _validate(self, rt: ResourceType, obj: Obj) -> None:
        # Only what keeps every stored object deserializable by the typed client.
        name = obj["metadata"].get("name")
        problems = []
        if not name:
            problems.append("metadata.name: Required value")
        spec = obj.get("spec") or {}
        if rt.is_workload:
            if not isinstance(spec.get("selector"), dict):
                problems.append("spec.selector: Required value")
            if not isinstance(spec.get("template"), dict):
                problems.append("spec.template: Required value")
            replicas = spec.get("replicas", 0)
            if not isinstance(replicas, int) or replicas < 0:
                problems.append("spec.replicas: Invalid value: must be a non-negative integer")
            containers = ((spec.get("template") or {}).get("spec") or {}).get("containers")
            if not containers:
                problems.append("spec.template.spec.containers: Required value")
        if rt.kind == "Pod" and not spec.get("containers"):
            problems.append("spec.containers: Required value")
        if rt.kind == "Event" and not isinstance(obj.get("involvedObject"), dict):
            problems.append("involvedObject: Required value")
        if problems:
            raise ApiError(
                422,
                "Invalid",
                f'{rt.kind} "{name or ""}" is invalid: {"; ".join(problems)}',
                _details(rt, name),
            )

    def _create(self, route: _Route, body: Any, dry_run: bool) -> Obj:
        rt = route.rt
        obj = copy.deepcopy(self._check_body(rt, body, route.namespace))
        meta = obj.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + "".join(
                random.choices(_POD_SUFFIX_ALPHABET, k=5)
            )
        if rt.namespaced:
            meta["namespace"] = route.namespace
            if not self._namespace_exists(route.namespace or ""):
                raise not_found(resource_type("namespaces"), route.namespace or "")
        for key in ("uid", "resourceVersion", "generation", "creationTimestamp"):
            meta.pop(key, None)
        # Defaults and status resets that kube-apiserver applies on create.
        if rt.is_workload:
            obj.setdefault("spec", {}).setdefault("replicas", 1)
            # StatefulSetStatus.replicas is required (not omitempty); Deployment's are optional.
            obj["status"] = ({"replicas": 0, "availableReplicas": 0} if rt.kind == "StatefulSet"
                             else {})
        elif rt.kind in ("Pod", "PersistentVolumeClaim"):
            obj["status"] = {"phase": "Pending"}
        elif rt.kind == "Namespace":
            obj["status"] = {"phase": "Active"}
            obj.setdefault("spec", {"finalizers": ["kubernetes"]})
            meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta.get("name")
        obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
        self._validate(rt, obj)
        if self._find(rt, route.namespace, meta["name"]) is not None:
            raise ApiError(
                409, "AlreadyExists", f'{rt.qualified} "{meta["name"]}" already exists',
                _details(rt, meta["name"]),
            )
        if dry_run:
            return obj
        return self._store(rt, obj, None)

    def _apply_write(self, route: _Route, old: Obj, new_view: Any, dry_run: bool) -> Obj:
        """Turn the new main/status/scale view into the new object, check it, and store it."""
        rt, name = route.rt, route.name or ""
        if not isinstance(new_view, dict):
            raise ApiError(400, "BadRequest", "the request body must be a JSON object")
        new_meta = new_view.get("metadata") or {}
        if new_meta.get("name", name) != name:
            raise ApiError(
                400, "BadRequest", "the name of the object does not match the name on the URL"
            )
        sent_rv = new_meta.get("resourceVersion")
        if sent_rv and sent_rv != old["metadata"]["resourceVersion"]:
            raise conflict(rt, name)
        if route.sub == "scale":
            replicas = (new_view.get("spec") or {}).get("replicas", 0)
            if not isinstance(replicas, int) or replicas < 0:
                raise ApiError(
                    422, "Invalid",
                    f'Scale.autoscaling "{name}" is invalid: spec.replicas: Invalid value',
                )
            obj = copy.deepcopy(old)
            obj.setdefault("spec", {})["replicas"] = replicas
        elif route.sub == "status":
            obj = copy.deepcopy(old)
            obj["status"] = copy.deepcopy(new_view.get("status") or {})
        else:
            self._check_body(rt, new_view, route.namespace)
            obj = copy.deepcopy(new_view)
            obj.setdefault("metadata", {})["name"] = name
            if route.namespace is not None:
                obj["metadata"]["namespace"] = route.namespace
            # The main resource cannot change status: that is the /status subresource's job.
            if rt.subresources and "status" in rt.subresources:
                if "status" in old:
                    obj["status"] = copy.deepcopy(old["status"])
                else:
                    obj.pop("status", None)
            if rt.is_workload:
                obj.setdefault("spec", {}).setdefault("replicas", 1)
            obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
            self._validate(rt, obj)
        if dry_run:
            return obj
        stored = self._store(rt, obj, old)
        return _scale_view(stored) if route.sub == "scale" else stored

    def _update(self, route: _Route, body: Any, dry_run: bool) -> Obj:
        return self._apply_write(route, self._existing(route), body, dry_run)

    def _patch(
        self, route: _Route, raw: Any, content_type: str | None, query: dict[str, str],
        dry_run: bool,
    ) -> tuple[int, Obj]:
        ctype = (content_type or "").split(";")[0].strip()
        if ctype not in PATCH_TYPES:
            raise ApiError(
                415, "UnsupportedMediaType",
                f"the body of the request was in an unknown format - accepted media types "
                f"include: {', '.join(PATCH_TYPES)}",
            )
        text = raw.decode() if isinstance(raw, bytes) else (raw or "")
        try:
            patch = yaml.safe_load(text) if ctype.endswith("yaml") else json.loads(text or "null")
        except (ValueError, yaml.YAMLError) as exc:
            raise ApiError(400, "BadRequest", f"the patch could not be decoded: {exc}") from None
        if ctype == "application/apply-patch+yaml":
            if not query.get("fieldManager"):
                raise ApiError(
                    422, "Invalid",
                    'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: '
                    "is required for apply patch",
                )
            missing = self._find(route.rt, route.namespace, route.name or "") is None
            if route.sub is None and missing:
                # Server-side apply creates what does not exist yet.
                body = merge_patch({"metadata": {"name": route.name}}, patch)
                collection = _Route(route.rt, route.namespace, None, None)
                return 201, self._create(collection, body, dry_run)
        old = self._existing(route)
        view = _scale_view(old) if route.sub == "scale" else old
        if ctype == "application/json-patch+json":
            patched = json_patch(view, patch)
        else:
            if not isinstance(patch, dict):
                raise ApiError(400, "BadRequest", "a merge patch must be a JSON object")
            patched = merge_patch(view, patch, strategic=ctype.startswith("application/strategic"))
        return 200, self._apply_write(route, old, patched, dry_run)

    def _delete(self, route: _Route, dry_run: bool) -> Obj:
        rt, name = route.rt, route.name or ""
        old = self._existing(route)
        if not dry_run:
            self._remove(rt, route.namespace, name)
        if rt.kind in ("Pod", "PersistentVolumeClaim", "Namespace"):
            # These are answered with the object itself (they have graceful deletion/finalizers).
            gone = copy.deepcopy(old)
            gone["metadata"]["deletionTimestamp"] = _now()
            if rt.kind == "Namespace":
                gone["status"] = {"phase": "Terminating"}
            return gone
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": {**_details(rt, name), "uid": old["metadata"].get("uid")},
        }

    # -- discovery ------------------------------------------------------------------------------

    def _discovery(self, path: str) -> Obj | None:
        path = path.rstrip("/") or "/"
        if path == "/version":
            return dict(SERVER_VERSION)
        if path == "/api":
            return {
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [
                    {"clientCIDR": "0.0.0.0/0", "serverAddress": f"127.0.0.1:{self._port}"}
                ],
            }
        if path == "/apis":
            gv = {"groupVersion": "apps/v1", "version": "v1"}
            return {
                "kind": "APIGroupList",
                "apiVersion": "v1",
                "groups": [{"name": "apps", "versions": [gv], "preferredVersion": gv}],
            }
        if path == "/apis/apps":
            gv = {"groupVersion": "apps/v1", "version": "v1"}
            return {
                "kind": "APIGroup", "apiVersion": "v1", "name": "apps",
                "versions": [gv], "preferredVersion": gv,
            }
        for group_version, prefix in (("v1", "/api/v1"), ("apps/v1", "/apis/apps/v1")):
            if path == prefix:
                return {
                    "kind": "APIResourceList",
                    "apiVersion": "v1",
                    "groupVersion": group_version,
                    "resources": _api_resources(group_version),
                }
        return None

    # -- controller helpers for tests (not logged) ----------------------------------------------

    def put(self, obj: Obj, namespace: str | None = None) -> Obj:
        """Create or replace ``obj`` as a controller would: status kept, no validation."""
        rt = resource_type(obj["kind"])
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        if rt.namespaced:
            meta["namespace"] = namespace or meta.get("namespace") or "default"
        with self._lock:
            if rt.namespaced and not self._namespace_exists(meta["namespace"]):
                raise ValueError(
                    f"namespace {meta['namespace']!r} does not exist on {self.name}; "
                    "put(objects.namespace(...)) first"
                )
            old = self._find(rt, meta.get("namespace"), meta["name"])
            return copy.deepcopy(self._store(rt, obj, old))

    def get(self, kind: str, namespace: str | None, name: str) -> Obj | None:
        rt = resource_type(kind)
        with self._lock:
            obj = self._find(rt, namespace if rt.namespaced else None, name)
            return copy.deepcopy(obj) if obj is not None else None

    def list(self, kind: str, namespace: str | None = None) -> list[Obj]:
        """Objects of ``kind`` in ``namespace`` (all namespaces when None), sorted by name."""
        rt = resource_type(kind)
        with self._lock:
            buckets = self._objects[rt.plural]
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
            old = self._find(rt, namespace if rt.namespaced else None, name)
            if old is None:
                raise KeyError(f"{rt.kind} {namespace}/{name} does not exist on {self.name}")
            new = copy.deepcopy(old)
            new["status"] = copy.deepcopy(status)
            return copy.deepcopy(self._store(rt, new, old))

    def delete(self, kind: str, namespace: str | None, name: str) -> bool:
        rt = resource_type(kind)
        with self._lock:
            return self._remove(rt, namespace if rt.namespaced else None, name) is not None

    def make_ready(self, namespace: str) -> None:
        """Mark every Deployment/StatefulSet in ``namespace`` fully rolled out at spec.replicas."""
        with self._lock:
            for rt in (resource_type("deployments"), resource_type("statefulsets")):
                for old in list(self._bucket(rt, namespace).values()):
                    new = copy.deepcopy(old)
                    new["status"] = _ready_status(rt, old)
                    self._store(rt, new, old)

    def sync_pods(self, namespace: str) -> None:
        """Create/delete pods so each workload has exactly spec.replicas pods, as controllers do."""
        pods_rt, pvc_rt = resource_type("pods"), resource_type("pvc")
        with self._lock:
            pods = self._bucket(pods_rt, namespace)
            for rt in (resource_type("deployments"), resource_type("statefulsets")):
                for workload in list(self._bucket(rt, namespace).values()):
                    wanted = _wanted_pods(rt, workload, namespace)
                    owned = [n for n, p in pods.items() if _owned_by(p, rt, workload)]
                    for name in owned:
                        if name not in wanted:
                            self._remove(pods_rt, namespace, name)
                    for name, pod in wanted.items():
                        if name not in pods:
                            self._store(pods_rt, pod, None)
                    if rt.kind == "StatefulSet":
                        for claim in _sts_claims(workload):
                            if self._find(pvc_rt, namespace, claim["metadata"]["name"]) is None:
                                claim["metadata"]["namespace"] = namespace
                                self._store(pvc_rt, claim, None)


# ---------------------------------------------------------------------------------------------
# Helpers


def _parse_route(path: str) -> _Route:
    parts = [p for p in path.split("/") if p]
    missing = ApiError(404, "NotFound", "the server could not find the requested resource")
    if parts[:2] == ["api", "v1"]:
        group, rest = "", parts[2:]
    elif parts[:3] == ["apis", "apps", "v1"]:
        group, rest = "apps", parts[3:]
    else:
        raise missing
    types = {rt.plural: rt for rt in RESOURCES if rt.group == group}
    if not rest:
        raise missing
    if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] in types:
        rt = types[rest[2]]
        if not rt.namespaced or len(rest) > 5:
            raise missing
        namespace, name = rest[1], (rest[3] if len(rest) > 3 else None)
        sub = rest[4] if len(rest) > 4 else None
    else:
        rt = types.get(rest[0])  # type: ignore[assignment]
        if rt is None or len(rest) > 3 or (rt.namespaced and len(rest) > 1):
            raise missing
        namespace, name = None, (rest[1] if len(rest) > 1 else None)
        sub = rest[2] if len(rest) > 2 else None
    if sub is not None and sub not in rt.subresources:
        raise missing
    return _Route(rt, namespace, name, sub)


def _api_resources(group_version: str) -> list[Obj]:
    out = []
    for rt in RESOURCES:
        if rt.api_version != group_version:
            continue
        out.append(
            {
                "name": rt.plural,
                "singularName": rt.singular,
                "namespaced": rt.namespaced,
                "kind": rt.kind,
                "verbs": ["create", "delete", "get", "list", "patch", "update"],
                "shortNames": list(rt.short_names),
            }
        )
        for sub in rt.subresources:
            entry: Obj = {
                "name": f"{rt.plural}/{sub}",
                "singularName": "",
                "namespaced": rt.namespaced,
                "kind": rt.kind,
                "verbs": ["get", "patch", "update"],
            }
            if sub == "scale":
                entry.update({"group": "autoscaling", "version": "v1", "kind": "Scale"})
            out.append(entry)
    return out


def _selector_string(obj: Obj) -> str:
    labels = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _scale_view(obj: Obj) -> Obj:
    meta = obj["metadata"]
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 1)},
        "status": {
            "replicas": (obj.get("status") or {}).get("replicas", 0),
            "selector": _selector_string(obj),
        },
    }


def _ready_status(rt: ResourceType, obj: Obj) -> Obj:
    replicas = (obj.get("spec") or {}).get("replicas", 1)
    status: Obj = {"observedGeneration": obj["metadata"].get("generation", 1)}
    # kube-apiserver omits zero counts (omitempty), except StatefulSet's replicas.
    counts = {
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": replicas,
        "availableReplicas": replicas,
    }
    if rt.kind == "StatefulSet":
        counts["currentReplicas"] = replicas
    status.update({k: v for k, v in counts.items() if v})
    if rt.kind == "StatefulSet":
        status["replicas"] = replicas
        status["availableReplicas"] = replicas
        revision = f"{obj['metadata']['name']}-{_template_hash(obj['spec'].get('template'))}"
        status["currentRevision"] = revision
        status["updateRevision"] = revision
        status["collisionCount"] = 0
    else:
        now = _now()
        status["conditions"] = [
            {
                "type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                "message": "Deployment has minimum availability.",
                "lastUpdateTime": now, "lastTransitionTime": now,
            },
            {
                "type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                "message": f'ReplicaSet "{obj["metadata"]["name"]}-'
                f'{_template_hash(obj["spec"].get("template"))}" has successfully progressed.',
                "lastUpdateTime": now, "lastTransitionTime": now,
            },
        ]
    return status


def _owned_by(pod: Obj, rt: ResourceType, workload: Obj) -> bool:
    name = workload["metadata"]["name"]
    for ref in pod["metadata"].get("ownerReferences") or []:
        if rt.kind == "StatefulSet" and ref.get("kind") == "StatefulSet":
            if ref.get("name") == name:
                return True
        if rt.kind == "Deployment" and ref.get("kind") == "ReplicaSet":
            pod_hash = (pod["metadata"].get("labels") or {}).get("pod-template-hash")
            if ref.get("name") == f"{name}-{pod_hash}":
                return True
    return False


def _sts_claims(workload: Obj) -> list[Obj]:
    name = workload["metadata"]["name"]
    replicas = workload["spec"].get("replicas", 1)
    claims = []
    for template in workload["spec"].get("volumeClaimTemplates") or []:
        for ordinal in range(replicas):
            claim_name = f"{template['metadata']['name']}-{name}-{ordinal}"
            claim = {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {"name": claim_name, "labels": dict(
                    workload["spec"]["selector"].get("matchLabels") or {}
                )},
                "spec": copy.deepcopy(template.get("spec") or {}),
                "status": {"phase": "Bound"},
            }
            claims.append(claim)
    return claims


def _wanted_pods(rt: ResourceType, workload: Obj, namespace: str) -> dict[str, Obj]:
    meta, spec = workload["metadata"], workload["spec"]
    template = spec.get("template") or {}
    replicas = spec.get("replicas", 1)
    template_hash = _template_hash(template)
    labels = dict((template.get("metadata") or {}).get("labels") or {})
    labels.update((spec.get("selector") or {}).get("matchLabels") or {})
    pods: dict[str, Obj] = {}
    for ordinal in range(replicas):
        pod_spec = copy.deepcopy(template.get("spec") or {})
        pod_labels = dict(labels)
        if rt.kind == "StatefulSet":
            name = f"{meta['name']}-{ordinal}"
            owner = {"kind": "StatefulSet", "name": meta["name"]}
            pod_labels["statefulset.kubernetes.io/pod-name"] = name
            pod_labels["controller-revision-hash"] = f"{meta['name']}-{template_hash}"
            volumes = pod_spec.setdefault("volumes", [])
            for t in spec.get("volumeClaimTemplates") or []:
                tname = t["metadata"]["name"]
                volumes.append(
                    {"name": tname,
                     "persistentVolumeClaim": {"claimName": f"{tname}-{meta['name']}-{ordinal}"}}
                )
        else:
            # Stable names per template and ordinal keep sync_pods idempotent.
            suffix = hashlib.sha256(f"{template_hash}-{ordinal}".encode()).digest()
            name = f"{meta['name']}-{template_hash}-" + "".join(
                _POD_SUFFIX_ALPHABET[b % len(_POD_SUFFIX_ALPHABET)] for b in suffix[:5]
            )
            owner = {"kind": "ReplicaSet", "name": f"{meta['name']}-{template_hash}"}
            pod_labels["pod-template-hash"] = template_hash
        pods[name] = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": pod_labels,
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        **owner,
                        "uid": meta.get("uid", ""),
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            "spec": pod_spec,
            "status": {
                "phase": "Running",
                "conditions": [{"type": "Ready", "status": "True"}],
            },
        }
    return pods


# ---------------------------------------------------------------------------------------------
# HTTP plumbing


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # idle keep-alive handler threads must not block stop()
    allow_reuse_address = True


class _Handler(BaseHTTPRequestHandler):
    fake: FakeKubeServer
    protocol_version = "HTTP/1.1"  # keep-alive, as kube-apiserver does
    # Headers and body in one segment, sent at once: Nagle plus delayed ACKs cost 40 ms a request.
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024

    def setup(self) -> None:
        super().setup()
        with self.fake._lock:
            self.fake._connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.fake._lock:
                self.fake._connections.discard(self.connection)

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
        fake = self.fake
        split = urlsplit(self.path)
        path = split.path
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type")
        body: Any = None
        logged_body: Any = None
        if fake.latency:
            time.sleep(fake.latency)
        headers: dict[str, str] = {}
        try:
            fault = fake._take(fake._faults, method, path)
            if fault is not None:
                if fault.retry_after is not None:
                    headers["Retry-After"] = f"{fault.retry_after:g}"
                reason = _REASONS.get(fault.status, "InternalError")
                raise ApiError(
                    fault.status, reason, f"injected fault: {reason}", headers=headers
                )
            if fake.token is not None:
                if self.headers.get("Authorization") != f"Bearer {fake.token}":
                    raise ApiError(401, "Unauthorized", "Unauthorized")
            if method in ("POST", "PUT", "PATCH", "DELETE") and raw:
                logged_body = _decode_for_log(raw, content_type)
                body = raw if method == "PATCH" else _decode_json(raw)
            status, payload = fake.handle(method, path, query, body, content_type)
        except ApiError as err:
            status, payload = err.code, err.status()
            headers.update(err.headers)
        except Exception as exc:  # noqa: BLE001 - a bug in the fake: answer 500, as an apiserver would
            status = 500
            bug = ApiError(500, "InternalError", f"fakekube: {type(exc).__name__}: {exc}")
            payload = bug.status()
        data = json.dumps(payload, separators=(",", ":")).encode()
        fake._record(
            RequestRecord(method, path, query, content_type, status,
                          logged_body if method != "GET" else None)
        )
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Audit-Id", str(uuid.uuid4()))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True


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
