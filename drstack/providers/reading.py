"""Reading a site from inside a provider method: a client per call, raw LISTs under the retry
policy, and watching until a condition holds or the step's deadline passes.

``watch_until`` LISTs each kind once (a condition already true costs nothing more), then follows
a watch per kind from the LIST's resourceVersion, so a gate sees a pod go or a workload become
ready as the API server reports it, not at its next poll. A watch that is told 410 Gone, drops,
or fails, is replaced after a new LIST of its kind; one that simply reaches its timeoutSeconds
is replaced from where it stopped. Each watch runs on a thread of its own and hands its events
to the caller's thread, which alone touches the caller's view.
"""

from __future__ import annotations

import json
import math
import queue
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from drstack.cluster import retry
from drstack.cluster.client import connect
from drstack.cluster.raw import Obj, json_body
from drstack.errors import ClusterError
from drstack.model import SiteConfig

# The most one LIST may wait for its answer (connect()'s default per-request timeout).
MAX_REQUEST_SECONDS = 15.0
# The timeoutSeconds of one watch: when nothing changes a gate sends one watch request per kind
# this often, and notices a connection that died without a word within about this long.
WATCH_WINDOW_SECONDS = 60
# How long past its timeoutSeconds a silent watch is given before its connection counts as lost.
WATCH_READ_SLACK_SECONDS = 10.0
# A watch that delivers nothing and ends sooner than this failed at once; twice in a row, and
# the next is delayed (capped backoff), so an API server that keeps refusing is not hammered.
_QUICK_END_SECONDS = 1.0


@contextmanager
def api_client(site: SiteConfig, *, pool_size: int | None = None) -> Iterator[ApiClient]:
    """A client for one method call, closed after it (its pool must not outlive the call)."""
    client = connect(site, pool_size=pool_size)
    try:
        yield client
    finally:
        client.close()


@dataclass(frozen=True)
class Listing:
    """What one LIST answered: the items, and the resourceVersion a watch may start from."""

    items: list[Obj]
    resource_version: str


def list_collection(call: Callable[..., Any], *, what: str, deadline: float,
                    **kwargs: Any) -> Listing:
    """One LIST through the retry policy; the raw JSON (no model validation, no deep copy)."""
    end = time.monotonic() + deadline

    def once() -> Any:
        # One attempt may not outlast the call's deadline: a hung API server would otherwise hold
        # a gate for the client's whole per-request timeout past its own timeout.
        left = max(end - time.monotonic(), 0.5)
        return call(_preload_content=False, _request_timeout=min(left, MAX_REQUEST_SECONDS),
                    **kwargs)

    body = json_body(retry.call(once, what=what, deadline=deadline))
    return Listing(list(body.get("items") or []),
                   str((body.get("metadata") or {}).get("resourceVersion") or ""))


def list_items(call: Callable[..., Any], *, what: str, deadline: float, **kwargs: Any) -> list[Obj]:
    """The items of one LIST (``list_collection``)."""
    return list_collection(call, what=what, deadline=deadline, **kwargs).items


class Clock:
    """A gate's deadline; waits last no longer than what is left."""

    def __init__(self, timeout: float) -> None:
        self.start = time.monotonic()
        self.deadline = self.start + timeout

    def elapsed(self) -> float:
        return round(time.monotonic() - self.start, 3)

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def expired(self) -> bool:
        return self.left() <= 0

    def call_deadline(self) -> float:
        # Retries of one call may use the time left, but at least a second for one attempt.
        return max(self.left(), 1.0)

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, min(seconds, self.left())))


@dataclass(frozen=True)
class Collection:
    """One kind of object a gate follows in one namespace."""

    kind: str  # how the view is told which kind a LIST or an event is of, e.g. "Deployment"
    lister: Callable[..., Any]  # the client's list_namespaced_*: a LIST, or with watch=True a watch
    namespace: str
    what: str  # e.g. "pods in source namespace shop (drain gate)"; errors say "list <what>"


class View(Protocol):
    """What a gate keeps of what it follows: only what ``done`` and its messages need."""

    def reset(self, kind: str, items: list[Obj], at: float) -> None:
        """Everything of ``kind``, as a LIST answered ``at`` seconds into the wait."""

    def apply(self, kind: str, event: str, obj: Obj, at: float) -> None:
        """One ADDED, MODIFIED or DELETED event of ``kind``, received ``at`` seconds in."""

    def done(self) -> bool:
        """Whether the condition the gate waits for holds."""


class WatchRefused(ClusterError):
    """The API server refused a watch for a reason a retry will not change (403, 404...)."""

    def __init__(self, collection: Collection, error: ApiException) -> None:
        super().__init__(
            f"watch {collection.what}: {retry.describe(error)}; drstack needs get, list and watch "
            f"on {collection.kind}s in namespace {collection.namespace} "
            "(drstack/rbac/drstack-rbac.yaml)")


def watch_until(collections: Sequence[Collection], view: View, *, clock: Clock) -> bool:
    """LIST each collection into ``view``, then follow watches until ``view.done()`` or the
    clock runs out; whether it is done. Failing LISTs raise as ``list_collection`` does; a
    watch refused for good raises WatchRefused."""
    versions = {c.kind: _list_into(view, c, clock) for c in collections}
    if view.done():
        return True
    by_kind = {c.kind: c for c in collections}
    inbox: queue.Queue[_Event | _Ended] = queue.Queue()
    watches = {c.kind: _Watch(c, versions[c.kind], clock, inbox) for c in collections}
    quick_ends = dict.fromkeys(by_kind, 0)
    try:
        while True:
            try:
                message = inbox.get(timeout=max(clock.left(), 0.0))
            except queue.Empty:
                return False
            if isinstance(message, _Event):
                view.apply(message.kind, message.type, message.obj, message.at)
                if view.done():
                    return True
                continue
            collection = by_kind[message.kind]
            if message.error is not None:
                _raise_unless_passing(message.error, collection)
            quick_ends[message.kind] = quick_ends[message.kind] + 1 if message.quick else 0
            if quick_ends[message.kind] > 1:
                clock.sleep(_backoff(quick_ends[message.kind]))
            if clock.expired():
                return False
            resource_version = message.resource_version
            if message.relist:
                resource_version = _list_into(view, collection, clock)
                if view.done():
                    return True
            watches[message.kind] = _Watch(collection, resource_version, clock, inbox)
    finally:
        for watch in watches.values():
            watch.stop()


def _list_into(view: View, collection: Collection, clock: Clock) -> str:
    listing = list_collection(collection.lister, namespace=collection.namespace,
                              what=f"list {collection.what}", deadline=clock.call_deadline())
    view.reset(collection.kind, listing.items, clock.elapsed())
    return listing.resource_version


def _raise_unless_passing(error: BaseException, collection: Collection) -> None:
    """Raise what a new LIST and watch will not cure; let pass what they will: 410, 429, 5xx,
    a lost connection, a garbled line."""
    if isinstance(error, ApiException):
        if error.status != 410 and not retry.is_transient(error):
            raise WatchRefused(collection, error) from error
    elif not (retry.is_transient(error) or isinstance(error, ValueError)):
        raise error


def _backoff(quick_ends: int) -> float:
    # 0.2 s after the second quick end in a row, doubling up to 5 s; jitter, as in retry.call.
    return min(5.0, 0.2 * 2.0 ** (quick_ends - 2)) * random.uniform(0.5, 1.0)


@dataclass(frozen=True)
class _Event:
    kind: str
    type: str  # ADDED, MODIFIED or DELETED
    obj: Obj
    at: float  # seconds into the wait when it was received


@dataclass(frozen=True)
class _Ended:
    """A watch's last word: where the next one may resume, and whether the view needs a LIST."""

    kind: str
    resource_version: str
    relist: bool  # 410, a dropped connection, a failed request: events may have been missed
    error: BaseException | None  # what ended it, when something did
    quick: bool  # delivered nothing and ended within _QUICK_END_SECONDS


class _Watch:
    """One watch request on a thread of its own; its events and then its end go to ``inbox``."""

    def __init__(self, collection: Collection, resource_version: str, clock: Clock,
                 inbox: queue.Queue[_Event | _Ended]) -> None:
        self._collection = collection
        self._resource_version = resource_version
        self._clock = clock
        self._inbox = inbox
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._response: Any = None
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"drstack-watch-{collection.kind}")
        self._thread.start()

    def stop(self) -> None:
        """End the watch now: its thread sends nothing more."""
        self._stopped.set()
        with self._lock:
            response = self._response
        if response is not None:
            try:
                response.shutdown()  # wakes the thread's blocking read (urllib3 2.3+)
            except (AttributeError, ValueError, RuntimeError, OSError):
                pass  # already released or closed: the thread is past its read
        self._thread.join(timeout=1.0)

    def _run(self) -> None:
        if self._stopped.is_set():  # stopped before it began: no request at all
            return
        started = time.monotonic()
        resource_version, delivered = self._resource_version, 0
        relist, error = False, None
        window = max(1, min(WATCH_WINDOW_SECONDS, math.ceil(self._clock.left())))
        response = None
        try:
            response = self._collection.lister(
                namespace=self._collection.namespace, watch=True,
                resource_version=resource_version, timeout_seconds=window,
                allow_watch_bookmarks=True, _preload_content=False,
                _request_timeout=(max(0.5, min(self._clock.left(), MAX_REQUEST_SECONDS)),
                                  window + WATCH_READ_SLACK_SECONDS))
            with self._lock:
                self._response = response
            if self._stopped.is_set():  # stopped before stop() could see the response
                return
            for line in _lines(response, self._stopped):
                event = json.loads(line)
                kind_of_event, obj = event.get("type"), event.get("object") or {}
                if kind_of_event == "ERROR":  # a Status: 410 when resource_version is too old
                    relist = True
                    break
                resource_version = (obj.get("metadata") or {}).get("resourceVersion") \
                    or resource_version
                if kind_of_event in ("ADDED", "MODIFIED", "DELETED"):
                    delivered += 1
                    self._inbox.put(_Event(self._collection.kind, kind_of_event, obj,
                                           self._clock.elapsed()))
        except Exception as exc:  # noqa: BLE001 - the caller's thread sorts it out
            relist, error = True, exc
        finally:
            if response is not None:
                response.close()
                response.release_conn()
        if not self._stopped.is_set():
            quick = delivered == 0 and time.monotonic() - started < _QUICK_END_SECONDS
            self._inbox.put(_Ended(self._collection.kind, str(resource_version), relist, error,
                                   quick))


def _lines(response: Any, stopped: threading.Event) -> Iterator[bytes]:
    """The lines of a watch's body as its chunks arrive, until it ends or is stopped."""
    pending = b""
    for chunk in response.stream(amt=None, decode_content=False):
        if stopped.is_set():
            return
        pending += chunk
        *lines, pending = pending.split(b"\n")
        yield from (line for line in lines if line.strip())
    if pending.strip():
        yield pending
