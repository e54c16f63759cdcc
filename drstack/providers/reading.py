"""Reading a site from inside a provider method: a client per call, raw LISTs under the retry
policy, and polling until a condition holds or the step's deadline passes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from kubernetes.client import ApiClient

from drstack.cluster import retry
from drstack.cluster.client import connect
from drstack.cluster.raw import Obj, json_body
from drstack.model import SiteConfig

# How often a gate looks again: the gate notices the last workload becoming ready within about
# this long (bench/RESULTS.md), at two LISTs (one per kind) a poll.
DEFAULT_POLL_SECONDS = 0.5
# The most one LIST may wait for its answer (connect()'s default per-request timeout).
MAX_REQUEST_SECONDS = 15.0

Seen = TypeVar("Seen")


@contextmanager
def api_client(site: SiteConfig, *, pool_size: int | None = None) -> Iterator[ApiClient]:
    """A client for one method call, closed after it (its pool must not outlive the call)."""
    client = connect(site, pool_size=pool_size)
    try:
        yield client
    finally:
        client.close()


def list_items(call: Callable[..., Any], *, what: str, deadline: float, **kwargs: Any) -> list[Obj]:
    """One LIST through the retry policy; the raw JSON (no model validation, no deep copy)."""
    end = time.monotonic() + deadline

    def once() -> Any:
        # One attempt may not outlast the call's deadline: a hung API server would otherwise hold
        # a gate for the client's whole per-request timeout past its own timeout.
        left = max(end - time.monotonic(), 0.5)
        return call(_preload_content=False, _request_timeout=min(left, MAX_REQUEST_SECONDS),
                    **kwargs)

    body = json_body(retry.call(once, what=what, deadline=deadline))
    return list(body.get("items") or [])


class Clock:
    """A gate's deadline; polls sleep no longer than what is left."""

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

    def sleep(self, poll: float) -> None:
        time.sleep(max(0.0, min(poll, self.left())))


def poll_until(look: Callable[[], Seen], done: Callable[[Seen], bool], *, clock: Clock,
               every: float) -> Seen:
    """Look, then again every ``every`` seconds, until ``done`` holds or ``clock`` runs out.

    Returns the last look either way: the caller asks ``done`` again to tell which.
    """
    while True:
        seen = look()
        if done(seen) or clock.expired():
            return seen
        clock.sleep(every)
