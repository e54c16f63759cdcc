"""retry.call and update_with_conflict_retry, with a fake clock (no real sleeping)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest
import urllib3
from kubernetes.client.exceptions import ApiException

from drstack.cluster.retry import (
    ClusterConflict,
    ClusterUnavailable,
    call,
    update_with_conflict_retry,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def api_error(status: int, retry_after: str | None = None) -> ApiException:
    reasons = {429: "Too Many Requests", 503: "Service Unavailable"}
    error = ApiException(status=status, reason=reasons.get(status, "Error"))
    error.headers = {"Retry-After": retry_after} if retry_after else {}
    error.body = '{"kind":"Status","message":"BODY-SHOULD-NOT-SHOW"}'
    return error


def failing(errors: list[BaseException], result: Any = "ok") -> Callable[[], Any]:
    def fn() -> Any:
        if errors:
            raise errors.pop(0)
        return result

    return fn


def test_transient_errors_are_retried_with_growing_capped_delays() -> None:
    clock = FakeClock()
    errors: list[BaseException] = [api_error(503), api_error(500), api_error(502), api_error(504)]
    errors += [urllib3.exceptions.ProtocolError("reset")] * 4
    result = call(failing(errors), what="x", sleep=clock.sleep, clock=clock, max_delay=1.0)
    assert result == "ok" and len(clock.sleeps) == 8
    assert clock.sleeps[0] <= 0.2 and all(s <= 1.0 for s in clock.sleeps)
    assert clock.sleeps[-1] >= 0.5  # reached the cap (with jitter in [0.5, 1] x cap)


def test_retry_after_is_honoured_and_capped() -> None:
    clock = FakeClock()
    call(failing([api_error(429, "3"), api_error(429, "600")]), what="x", sleep=clock.sleep,
         clock=clock, deadline=100)
    assert clock.sleeps == [3.0, 30.0]


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422])
def test_other_client_errors_raise_at_once(status: int) -> None:
    clock = FakeClock()
    error = api_error(status)
    with pytest.raises(ApiException) as exc:
        call(failing([error]), what="x", sleep=clock.sleep, clock=clock)
    assert exc.value is error and clock.sleeps == []


def test_deadline_gives_cluster_unavailable_with_a_short_message() -> None:
    clock = FakeClock()

    def always() -> None:
        raise api_error(503)

    with pytest.raises(ClusterUnavailable) as exc:
        call(always, what="list deployments in namespace app on site dr", deadline=5,
             sleep=clock.sleep, clock=clock)
    message = str(exc.value)
    assert message.startswith("list deployments in namespace app on site dr: gave up after")
    assert f"{exc.value.attempts} attempts" in message and "HTTP 503 Service Unavailable" in message
    assert "BODY-SHOULD-NOT-SHOW" not in message
    assert clock.now <= 5


def refused_error() -> BaseException:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    try:
        urllib3.PoolManager(retries=0).request("GET", f"http://127.0.0.1:{port}/")
    except urllib3.exceptions.HTTPError as error:
        return error
    raise AssertionError("the request should have been refused")


def test_connection_error_is_described_without_object_reprs() -> None:
    clock = FakeClock()
    refused = refused_error()
    with pytest.raises(ClusterUnavailable) as exc:
        call(failing([refused] * 100), what="read it", deadline=1, sleep=clock.sleep, clock=clock)
    assert "NewConnectionError: " in str(exc.value) and "Connection refused" in str(exc.value)
    assert "object at 0x" not in str(exc.value) and "Max retries" not in str(exc.value)


def test_conflict_rereads_and_reapplies() -> None:
    store = {"value": 1, "version": 1}
    reads: list[int] = []
    conflicts = [ApiException(status=409, reason="Conflict")]

    def read() -> dict[str, int]:
        reads.append(store["version"])
        return dict(store)

    def write(obj: dict[str, int]) -> dict[str, int]:
        if conflicts:
            store["version"] += 1  # someone else wrote in between
            raise conflicts.pop()
        store.update(obj)
        return dict(store)

    result = update_with_conflict_retry(read, lambda o: {**o, "value": o["value"] + 10}, write,
                                        what="ns app")
    assert result["value"] == 11 and reads == [1, 2]


def test_conflict_gives_up_and_no_op_skips_the_write() -> None:
    def write(obj: Any) -> Any:
        raise ApiException(status=409, reason="Conflict")

    with pytest.raises(ClusterConflict, match="ns app"):
        update_with_conflict_retry(lambda: 1, lambda o: o + 1, write, what="ns app", attempts=3)
    assert update_with_conflict_retry(lambda: 1, lambda o: None, write, what="ns app") == 1
