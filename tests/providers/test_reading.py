"""watch_until, the one waiting loop of both gates: what the gates' own tests do not reach."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from drstack.cluster.raw import Obj
from drstack.providers.reading import Clock, Collection, watch_until
from drstack.testing.fakekube import FakeKubeServer, objects
from tests.testing.fakekube.test_server import make_client

NS = "app"


class PodNames:
    """A view that is done when no pod is left; it records what it was told."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.told: list[str] = []

    def reset(self, kind: str, items: list[Obj], at: float) -> None:
        self.names = {i["metadata"]["name"] for i in items}
        self.told.append(f"reset {sorted(self.names)}")

    def apply(self, kind: str, event: str, obj: Obj, at: float) -> None:
        name = obj["metadata"]["name"]
        (self.names.discard if event == "DELETED" else self.names.add)(name)
        self.told.append(f"{event} {name}")

    def done(self) -> bool:
        return not self.names


def pods(core: client.CoreV1Api) -> Collection:
    return Collection("Pod", core.list_namespaced_pod, NS, f"pods in namespace {NS} (test)")


@pytest.fixture
def core(source_cluster: FakeKubeServer, tmp_path: Path) -> client.CoreV1Api:
    source_cluster.put(objects.namespace(NS))
    source_cluster.put(objects.pod("web-1", {"app": "web"}), NS)
    return client.CoreV1Api(make_client(source_cluster, tmp_path))


def test_a_watch_that_keeps_failing_at_once_is_retried_with_backoff_not_in_a_spin(
        core: client.CoreV1Api, source_cluster: FakeKubeServer) -> None:
    source_cluster.drop_watch_after(0, n=10_000)  # every watch drops right after its headers
    view = PodNames()
    assert watch_until([pods(core)], view, clock=Clock(1.5)) is False
    kinds = ["WATCH" if r.is_watch else "LIST" for r in source_cluster.requests]
    # Each drop re-lists before the next watch (events may have been missed), unless the
    # deadline came first. Without the backoff this is hundreds of pairs in 1.5 s; with it
    # (0.1-0.2 s after the second drop, doubling) it is a handful.
    pairs = len(kinds) // 2
    assert kinds[: 2 * pairs] == ["LIST", "WATCH"] * pairs and kinds[2 * pairs:] in ([], ["LIST"])
    assert 2 <= pairs <= 10


def test_the_deadline_ends_the_wait_with_the_view_as_last_seen(
        core: client.CoreV1Api, source_cluster: FakeKubeServer) -> None:
    source_cluster.after_requests(1, lambda: source_cluster.put(
        objects.pod("web-2", {"app": "web"}), NS), watch=True)
    view = PodNames()
    assert watch_until([pods(core)], view, clock=Clock(0.5)) is False
    assert view.told == ["reset ['web-1']", "ADDED web-2"]
    assert view.names == {"web-1", "web-2"}


class _Stream:
    """A watch body read by urllib3's stream(): the chunks given, then its end."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    def stream(self, amt: None = None, decode_content: bool = False) -> Iterator[bytes]:
        yield from self._chunks

    def close(self) -> None:
        pass

    def release_conn(self) -> None:
        pass


class _Listing:
    def __init__(self, items: list[Obj], rv: str) -> None:
        self.data = json.dumps({"items": items, "metadata": {"resourceVersion": rv}}).encode()


def test_a_garbled_watch_is_treated_as_lost_and_lines_split_across_chunks_are_joined() -> None:
    """No fake server sends half an event or garbage on purpose: a stub lister does."""
    calls: list[dict[str, Any]] = []
    pod = {"metadata": {"name": "web-1", "resourceVersion": "7"}}
    added = json.dumps({"type": "ADDED", "object": {"metadata": {"name": "web-2"}}}).encode()
    deleted = json.dumps({"type": "DELETED", "object": pod}).encode()
    watches = iter([
        _Stream([added[:10], added[10:] + b"\nnot js", b"on\n"]),  # an event, then garbage
        _Stream([deleted[:10], deleted[10:] + b"\n"]),
    ])

    def lister(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return next(watches) if kwargs.get("watch") else _Listing([pod], "5")

    view = PodNames()
    assert watch_until([Collection("Pod", lister, NS, "pods (stub)")], view,
                       clock=Clock(10.0)) is True
    assert [c.get("watch", False) for c in calls] == [False, True, False, True]
    assert [c.get("resource_version") for c in calls if c.get("watch")] == ["5", "5"]
    assert view.told == ["reset ['web-1']", "ADDED web-2", "reset ['web-1']", "DELETED web-1"]
