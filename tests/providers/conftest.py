"""The provider tests' own fixture: acting as a controller while a gate waits."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest


@pytest.fixture
def later() -> Iterator[Callable[[float, Callable[[], None]], None]]:
    """Run a function on a thread after a delay (the test acting as a controller)."""
    import threading

    threads: list[threading.Thread] = []

    def schedule(delay: float, fn: Callable[[], None]) -> None:
        timer = threading.Timer(delay, fn)
        timer.start()
        threads.append(timer)

    yield schedule
    for t in threads:
        t.join(timeout=5)
