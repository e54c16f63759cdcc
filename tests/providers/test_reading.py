"""poll_until, the one polling loop of both gates."""

from __future__ import annotations

from drstack.providers.reading import Clock, poll_until


def test_it_looks_until_done_and_returns_that_look() -> None:
    looks = iter([["a", "b"], ["b"], [], ["never looked at"]])
    seen = poll_until(lambda: next(looks), lambda left: not left, clock=Clock(60.0), every=0.0)
    assert seen == []
    assert next(looks) == ["never looked at"]


def test_it_returns_the_last_look_once_the_clock_runs_out() -> None:
    calls: list[int] = []

    def look() -> list[int]:
        calls.append(1)
        return calls

    seen = poll_until(look, lambda pending: not pending, clock=Clock(0.0), every=10.0)
    assert seen == [1]  # looked once, not done, out of time: no sleep of 10 s
