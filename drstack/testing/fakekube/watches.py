"""Watches: a collection's LIST endpoint with ``?watch=true`` answers a stream of events, one
JSON object a line over a chunked response, as kube-apiserver does: ADDED, MODIFIED and DELETED
as the store changes after ``resourceVersion``, a BOOKMARK before it ends at ``timeoutSeconds``
(with ``allowWatchBookmarks``), and an ERROR event with a 410 Status when ``resourceVersion`` is
older than the changes the store keeps.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from drstack.testing.fakekube.faults import WatchFault
from drstack.testing.fakekube.resources import Obj, ResourceType
from drstack.testing.fakekube.status import ApiError
from drstack.testing.fakekube.store import Store

# kube-apiserver's --min-request-timeout: how long a watch lasts when timeoutSeconds is not sent.
DEFAULT_TIMEOUT_SECONDS = 1800


@dataclass(frozen=True)
class WatchRequest:
    """What a watch asks for, read from its path and query."""

    rt: ResourceType
    namespace: str | None  # None: every namespace
    from_rv: int | None  # None ("" or "0"): the objects as they are now first, as ADDED events
    timeout_seconds: float
    bookmarks: bool

    @classmethod
    def parse(cls, rt: ResourceType, namespace: str | None,
              query: dict[str, str]) -> WatchRequest:
        """Read a watch's query; a 400 for what kube-apiserver would refuse or the fake lacks."""
        if query.get("labelSelector") or query.get("fieldSelector"):
            # An object leaving a selector is a DELETED event to such a watch: not modelled.
            raise ApiError(400, "BadRequest", "fakekube serves watches without selectors only")
        raw_rv = query.get("resourceVersion", "")
        raw_timeout = query.get("timeoutSeconds", "")
        try:
            from_rv = int(raw_rv) if raw_rv not in ("", "0") else None
            timeout = int(raw_timeout) if raw_timeout else 0
        except ValueError:
            raise ApiError(400, "BadRequest",
                           f"invalid resourceVersion {raw_rv!r} or timeoutSeconds "
                           f"{raw_timeout!r}") from None
        return cls(rt, namespace, from_rv, float(timeout or DEFAULT_TIMEOUT_SECONDS),
                   query.get("allowWatchBookmarks", "").lower() in ("true", "1"))


def gone(rv: int, oldest: int) -> ApiError:
    """410: the changes after ``rv`` are no longer kept (kube-apiserver's words)."""
    return ApiError(410, "Expired", f"too old resource version: {rv} ({oldest})")


class Watch:
    """One open watch. Where it starts is fixed when it is made (before the request's hooks run,
    so what a hook changes is streamed); ``lines()`` streams it until it ends."""

    def __init__(self, store: Store, request: WatchRequest, fault: WatchFault | None,
                 still_open: Callable[[], bool]) -> None:
        self._store = store
        self._request = request
        self._fault = fault
        self._still_open = still_open
        self._deadline = time.monotonic() + request.timeout_seconds
        self._initial: list[Obj] = []
        rt = request.rt
        with store.lock:
            if request.from_rv is None:
                # As kube-apiserver does for resourceVersion "" or "0": what is there now first.
                buckets = store.buckets(rt)
                keys = [request.namespace] if request.namespace is not None else list(buckets)
                self._initial = [{"type": "ADDED", "object": obj}
                                 for key in sorted(keys)
                                 for _, obj in sorted(buckets.get(key, {}).items())]
                self._cursor = store.latest_rv
            else:
                self._cursor = request.from_rv

    def lines(self) -> Iterator[bytes | None]:
        """Each event as a line of JSON; None means: drop the connection now (a fault)."""
        drop_after = None if self._fault is None or self._fault.gone else self._fault.drop_after
        if drop_after == 0:
            yield None
            return
        sent = 0
        for event in self._events():
            if event is None:
                yield None
                return
            yield json.dumps(event, separators=(",", ":")).encode() + b"\n"
            sent += 1
            if sent == drop_after:
                yield None
                return

    def _events(self) -> Iterator[Obj | None]:
        """The watch's events; None when the fake stopped listening: its connections are cut."""
        if self._fault is not None and self._fault.gone:
            with self._store.lock:
                oldest = self._store.latest_rv
            yield _error(gone(self._cursor, oldest))
            return
        yield from self._initial
        store, rt, namespace = self._store, self._request.rt, self._request.namespace
        while True:
            with store.lock:
                changes = store.changes_after(self._cursor, rt.plural, namespace)
                while changes == [] and self._still_open() and self._left() > 0:
                    store.changed.wait(self._left())
                    changes = store.changes_after(self._cursor, rt.plural, namespace)
                if changes is None:
                    error = gone(self._cursor, store.oldest_watchable_rv)
                else:
                    self._cursor = store.latest_rv
            if changes is None:
                yield _error(error)
                return
            if not self._still_open():
                yield None
                return
            for change in changes:
                yield {"type": change.type, "object": change.obj}
            if self._left() <= 0:
                if self._request.bookmarks:
                    # Where the client's next watch may start, even if nothing it watches changed.
                    yield {"type": "BOOKMARK", "object": {
                        "kind": rt.kind, "apiVersion": rt.api_version,
                        "metadata": {"resourceVersion": str(self._cursor)}}}
                return

    def _left(self) -> float:
        return self._deadline - time.monotonic()


def _error(error: ApiError) -> Obj:
    return {"type": "ERROR", "object": error.status()}
