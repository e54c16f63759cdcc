"""What a test injects into a fake cluster's answers, and what it reads back: faults by count
(on any request, or on watches only), hooks fired after the Nth request, and the log of every
request answered.

Both count requests, never seconds: a test that acts "after the gate's sixth poll" behaves the
same on a loaded machine as on an idle one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RequestRecord:
    """One request the fake answered (or failed), as the test reads it back."""

    method: str
    path: str
    query: dict[str, str]
    content_type: str | None
    status: int
    body: Any = None  # parsed body of writes; None for reads

    @property
    def is_write(self) -> bool:
        return self.method != "GET"

    @property
    def is_watch(self) -> bool:
        """A watch (``?watch=true``) rather than a LIST or GET of the same path."""
        return is_watch(self.query)


def is_watch(query: dict[str, str]) -> bool:
    """Whether a request's query asks for a watch, as kube-apiserver reads ``watch``."""
    return query.get("watch", "").lower() in ("true", "1")


@dataclass
class Fault:
    """The next ``remaining`` matching requests answer ``status``."""

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


def take(faults: list[Fault], method: str, path: str) -> Fault | None:
    """The first fault that matches the request, counted down; None when none does.

    The caller holds the lock that guards ``faults``.
    """
    for fault in faults:
        if fault.matches(method, path):
            fault.remaining -= 1
            return fault
    return None


@dataclass
class Hook:
    """Runs ``action`` once, after the ``remaining``-th matching request from when it was set."""

    remaining: int
    action: Callable[[], None]
    method: str | None = None
    path_contains: str | None = None
    status: int | None = None  # e.g. 200: only answers that got through count
    watch: bool | None = None  # True: only watches count; False: only other requests

    def counts(self, record: RequestRecord) -> bool:
        return (
            (self.method is None or self.method.upper() == record.method)
            and (self.path_contains is None or self.path_contains in record.path)
            and (self.status is None or self.status == record.status)
            and (self.watch is None or self.watch == record.is_watch)
        )


def due(hooks: list[Hook], record: RequestRecord) -> list[Hook]:
    """Count ``record`` against every hook; the hooks it makes due, taken out of ``hooks``.

    The caller holds the lock that guards ``hooks``, and runs the actions after releasing it.
    """
    fired = []
    for hook in hooks:
        if hook.counts(record):
            hook.remaining -= 1
            if hook.remaining == 0:
                fired.append(hook)
    hooks[:] = [hook for hook in hooks if hook.remaining > 0]
    return fired


@dataclass
class WatchFault:
    """The next ``remaining`` matching watches fail: ``gone`` answers 410 Gone (an ERROR event,
    or with ``http_status`` an HTTP 410 before any event); otherwise the connection drops after
    ``drop_after`` events."""

    remaining: int
    path_contains: str | None
    gone: bool = False
    http_status: bool = False
    drop_after: int = 0

    def matches(self, path: str) -> bool:
        return self.remaining > 0 and (self.path_contains is None or self.path_contains in path)


def take_watch_fault(faults: list[WatchFault], path: str) -> WatchFault | None:
    """The first watch fault that matches a watch of ``path``, counted down; None when none does.

    The caller holds the lock that guards ``faults``.
    """
    for fault in faults:
        if fault.matches(path):
            fault.remaining -= 1
            return fault
    return None
