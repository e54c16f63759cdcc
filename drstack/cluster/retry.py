"""Retries for Kubernetes API calls: transient failures under a total deadline, and 409s."""

from __future__ import annotations

import functools
import http.client
import random
import socket
import time
from collections.abc import Callable
from typing import TypeVar

import urllib3.exceptions
from kubernetes.client.exceptions import ApiException

from drstack.errors import ClusterError

T = TypeVar("T")
S = TypeVar("S")

# 429 and the 5xx a load balancer or an overloaded apiserver answers; others are final.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# A server's Retry-After is honoured up to this many seconds, then we retry anyway.
RETRY_AFTER_CAP = 30.0

_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    urllib3.exceptions.MaxRetryError,
    urllib3.exceptions.NewConnectionError,
    urllib3.exceptions.ProtocolError,
    urllib3.exceptions.TimeoutError,
    http.client.HTTPException,
    ConnectionError,
    socket.timeout,
)


class ClusterUnavailable(ClusterError):
    """A call kept failing with transient errors until its deadline."""

    def __init__(self, what: str, attempts: int, elapsed: float, last_error: BaseException) -> None:
        self.what = what
        self.attempts = attempts
        self.elapsed = elapsed
        self.last_error = last_error
        super().__init__(
            f"{what}: gave up after {attempts} attempt{'s' if attempts != 1 else ''} in "
            f"{elapsed:.1f}s; last error: {describe(last_error)}"
        )


class ClusterConflict(ClusterError):
    """An update kept losing to concurrent writers (409) after every re-read."""

    def __init__(self, what: str, attempts: int) -> None:
        self.what = what
        self.attempts = attempts
        super().__init__(
            f"{what}: the object kept changing under us (409 Conflict) in {attempts} attempts; "
            "something else is writing it, try again once it settles"
        )


def describe(error: BaseException) -> str:
    """One line about an error: HTTP status and reason, or the connection failure; no body."""
    if isinstance(error, ApiException):
        return f"HTTP {error.status} {error.reason or ''}".strip()
    if isinstance(error, urllib3.exceptions.MaxRetryError) and error.reason is not None:
        error = error.reason
    text = str(error)
    # urllib3 prefixes "<HTTPConnection object at 0x...>: "; it says nothing to an operator.
    if text.startswith("<") and ">: " in text:
        text = text.split(">: ", 1)[1]
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def is_transient(error: BaseException) -> bool:
    """Whether a failed call is worth another try: 429, a 5xx of an overloaded API server, or a
    broken connection."""
    if isinstance(error, ApiException):
        return error.status in RETRY_STATUSES
    return isinstance(error, _CONNECTION_ERRORS)


def _retry_after(error: BaseException) -> float | None:
    if not isinstance(error, ApiException) or not error.headers:
        return None
    value = error.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: rare from kube-apiserver; fall back to our backoff


def call(
    fn: Callable[[], T],
    *,
    what: str,
    deadline: float = 60.0,
    base_delay: float = 0.2,
    max_delay: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Run ``fn()``, retrying transient failures with capped backoff until ``deadline`` seconds.

    Retried: HTTP 429 (Retry-After honoured, capped), 500/502/503/504, and connection errors.
    Any other ApiException (404, 403, 409...) propagates unchanged at once.
    Raises ClusterUnavailable naming ``what`` when the deadline would pass.
    """
    start = clock()
    attempts = 0
    while True:
        attempts += 1
        try:
            return fn()
        except Exception as error:
            if not is_transient(error):
                raise
            last = error
        after = _retry_after(last)
        if after is not None:
            delay = min(after, RETRY_AFTER_CAP)
        else:
            # Exponential backoff with jitter, so two stacks retrying do not stay in step.
            delay = min(max_delay, base_delay * 2 ** (attempts - 1)) * random.uniform(0.5, 1.0)
        elapsed = clock() - start
        if elapsed + delay > deadline:
            raise ClusterUnavailable(what, attempts, elapsed, last) from last
        sleep(delay)


def update_with_conflict_retry(
    read: Callable[[], T],
    mutate: Callable[[T], S | None],
    write: Callable[[S], T],
    *,
    what: str,
    attempts: int = 5,
    deadline: float = 60.0,
) -> T:
    """Read, mutate, write; on 409 Conflict read again and re-apply ``mutate``.

    ``mutate`` returns what to write, or None when the object already is as wanted (no write).
    Each read and write gets the transient-failure retries of ``call``.
    """
    for _ in range(attempts):
        current = call(read, what=f"read {what}", deadline=deadline)
        desired = mutate(current)
        if desired is None:
            return current
        try:
            return call(functools.partial(write, desired), what=f"write {what}", deadline=deadline)
        except ApiException as error:
            if error.status != 409:
                raise
    raise ClusterConflict(what, attempts)
