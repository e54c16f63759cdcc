"""What a test injects into a fake cluster's answers, and what it reads back: faults by count,
and the log of every request answered.
"""

from __future__ import annotations

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
