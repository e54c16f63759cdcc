"""Watches on the fake API server, read with the real ``kubernetes`` client over real HTTP.

Every change a test makes while a watch is open is made by a hook on the watch request itself
(``after_requests``): it runs before the stream starts, at a later resourceVersion than the one
the watch starts from, so the watch must stream it. No test waits on a timer; the only waits are
a watch's own ``timeoutSeconds``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import urllib3
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from drstack.testing.fakekube import FakeKubeServer, objects
from tests.testing.fakekube.test_server import make_client

NS = "app"


@pytest.fixture
def core(source_cluster: FakeKubeServer, tmp_path: Path) -> client.CoreV1Api:
    source_cluster.put(objects.namespace(NS))
    source_cluster.put(objects.namespace("elsewhere"))
    return client.CoreV1Api(make_client(source_cluster, tmp_path))


def list_rv(core: client.CoreV1Api) -> str:
    body = json.loads(core.list_namespaced_pod(NS, _preload_content=False).data)
    return str(body["metadata"]["resourceVersion"])


def watch_pods(core: client.CoreV1Api, rv: str | None, **kwargs: Any) -> urllib3.HTTPResponse:
    params: dict[str, Any] = {"timeout_seconds": 1, **kwargs}
    if rv is not None:
        params["resource_version"] = rv
    response: urllib3.HTTPResponse = core.list_namespaced_pod(
        NS, watch=True, _preload_content=False, _request_timeout=(5, 10), **params)
    return response


def events(response: urllib3.HTTPResponse, first: int | None = None) -> list[dict[str, Any]]:
    """Every event of a watch, read until it ends; or only its ``first`` few (then it is closed,
    rather than waited out to its timeoutSeconds)."""
    seen: list[dict[str, Any]] = []
    pending = b""
    for chunk in response.stream(amt=None, decode_content=False):
        *lines, pending = (pending + chunk).split(b"\n")
        seen += [json.loads(line) for line in lines if line]
        if first is not None and len(seen) >= first:
            response.close()
            return seen[:first]
    return seen


def summary(seen: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["type"], e["object"].get("metadata", {}).get("name", "")) for e in seen]


def test_a_watch_streams_the_changes_after_its_resource_version_then_a_bookmark(
        core: client.CoreV1Api, source_cluster: FakeKubeServer) -> None:
    source_cluster.put(objects.pod("before", {"app": "web"}), NS)
    rv = list_rv(core)

    def controller() -> None:
        source_cluster.put(objects.pod("web-1", {"app": "web"}), NS)
        source_cluster.put(objects.pod("web-1", {"app": "web"}, phase="Succeeded"), NS)
        source_cluster.delete("Pod", NS, "before")
        source_cluster.put(objects.pod("other-ns", {"app": "web"}), "elsewhere")  # not watched
        source_cluster.put(objects.deployment("web", 1), NS)  # another kind: not watched

    source_cluster.after_requests(1, controller)
    seen = events(watch_pods(core, rv, allow_watch_bookmarks=True))
    assert summary(seen) == [("ADDED", "web-1"), ("MODIFIED", "web-1"), ("DELETED", "before"),
                             ("BOOKMARK", "")]
    assert seen[1]["object"]["status"]["phase"] == "Succeeded"
    assert seen[0]["object"]["kind"] == "Pod"  # events carry apiVersion and kind, lists do not
    # resourceVersions rise; the bookmark's is the latest, where a next watch may start.
    versions = [int(e["object"]["metadata"]["resourceVersion"]) for e in seen]
    assert versions == sorted(versions) and versions[0] > int(rv)
    assert versions[-1] == int(source_cluster.get("Deployment", NS, "web")["metadata"][
        "resourceVersion"])
    [watch] = [r for r in source_cluster.requests if r.is_watch]
    assert watch.query["resourceVersion"] == rv and watch.status == 200


def test_without_bookmarks_it_ends_at_its_timeout_with_nothing(core: client.CoreV1Api) -> None:
    assert events(watch_pods(core, list_rv(core))) == []


def test_a_watch_without_a_resource_version_starts_with_what_is_there(
        core: client.CoreV1Api, source_cluster: FakeKubeServer) -> None:
    source_cluster.put(objects.pod("a", {"app": "web"}), NS)
    source_cluster.put(objects.pod("b", {"app": "web"}), NS)
    source_cluster.after_requests(1, lambda: source_cluster.delete("Pod", NS, "a"))
    assert summary(events(watch_pods(core, None), first=3)) == [
        ("ADDED", "a"), ("ADDED", "b"), ("DELETED", "a")]


def test_a_resource_version_older_than_the_kept_changes_is_a_410_error_event(
        core: client.CoreV1Api, source_cluster: FakeKubeServer) -> None:
    rv = list_rv(core)
    source_cluster.put(objects.pod("a", {"app": "web"}), NS)
    source_cluster.compact()
    [error] = events(watch_pods(core, rv, timeout_seconds=30))  # ends at once, not in 30 s
    assert error["type"] == "ERROR"
    assert (error["object"]["code"], error["object"]["reason"]) == (410, "Expired")
    assert f"too old resource version: {rv}" in error["object"]["message"]
    # From the LIST after the compaction, it works again.
    source_cluster.after_requests(1, lambda: source_cluster.delete("Pod", NS, "a"))
    assert summary(events(watch_pods(core, list_rv(core)), first=1)) == [("DELETED", "a")]


def test_watch_gone_next_hits_watches_only(core: client.CoreV1Api,
                                           source_cluster: FakeKubeServer) -> None:
    source_cluster.watch_gone_next(1)
    source_cluster.watch_gone_next(1, http_status=True)
    rv = list_rv(core)  # a LIST of the same path is not a watch: untouched
    [error] = events(watch_pods(core, rv, timeout_seconds=30))
    assert error["type"] == "ERROR" and error["object"]["code"] == 410
    with pytest.raises(ApiException) as caught:
        watch_pods(core, rv)
    assert caught.value.status == 410
    source_cluster.after_requests(1, lambda: source_cluster.put(
        objects.pod("a", {"app": "web"}), NS), watch=True)
    assert summary(events(watch_pods(core, rv), first=1)) == [("ADDED", "a")]  # both used up
    assert [r.status for r in source_cluster.requests] == [200, 200, 410, 200]
    assert [r.is_watch for r in source_cluster.requests] == [False, True, True, True]


def test_drop_watch_after_cuts_the_connection_after_that_many_events(
        core: client.CoreV1Api, source_cluster: FakeKubeServer) -> None:
    rv = list_rv(core)
    source_cluster.drop_watch_after(1, path_contains="/pods")
    source_cluster.after_requests(1, lambda: [
        source_cluster.put(objects.pod(name, {"app": "web"}), NS) for name in ("a", "b")])
    response = watch_pods(core, rv, timeout_seconds=30)
    lines = []
    with pytest.raises(urllib3.exceptions.ProtocolError):  # no last chunk: not a clean end
        for chunk in response.stream(amt=None, decode_content=False):
            lines += chunk.splitlines()
    assert [json.loads(line)["object"]["metadata"]["name"] for line in lines] == ["a"]
    source_cluster.drop_watch_after(0)
    with pytest.raises(urllib3.exceptions.ProtocolError):  # at once, after the headers
        events(watch_pods(core, rv, timeout_seconds=30))
    # The next watch is whole again.
    assert summary(events(watch_pods(core, rv), first=2)) == [("ADDED", "a"), ("ADDED", "b")]


def test_refusing_connections_ends_an_open_watch(core: client.CoreV1Api,
                                                 source_cluster: FakeKubeServer) -> None:
    rv = list_rv(core)
    response = watch_pods(core, rv, timeout_seconds=60)
    source_cluster.refuse_connections()  # from the test's thread: the watch's is not current
    with pytest.raises(urllib3.exceptions.ProtocolError):
        events(response)
    source_cluster.accept_connections()
    source_cluster.after_requests(1, lambda: source_cluster.put(
        objects.pod("a", {"app": "web"}), NS), watch=True)
    assert summary(events(watch_pods(core, rv), first=1)) == [("ADDED", "a")]


def test_every_collection_drstack_reads_can_be_watched(
        source_cluster: FakeKubeServer, tmp_path: Path) -> None:
    source_cluster.put(objects.namespace(NS))
    api = make_client(source_cluster, tmp_path)
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    discovery = client.DiscoveryV1Api(api)
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
               "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}
    slice_ = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
              "metadata": {"name": "web-abcde", "labels": {"kubernetes.io/service-name": "web"}},
              "addressType": "IPv4", "endpoints": [{"addresses": ["10.0.0.1"],
                                                    "conditions": {"ready": True}}]}
    cases = [
        (apps.list_namespaced_deployment, lambda: source_cluster.put(
            objects.deployment("web", 1), NS), "web"),
        (apps.list_namespaced_stateful_set, lambda: source_cluster.put(
            objects.statefulset("db", 1, claim_templates=["data"]), NS), "db"),
        (core.list_namespaced_service, lambda: core.create_namespaced_service(NS, service),
         "web"),
        (discovery.list_namespaced_endpoint_slice,
         lambda: discovery.create_namespaced_endpoint_slice(NS, slice_), "web-abcde"),
    ]
    for lister, create, name in cases:
        rv = json.loads(lister(NS, _preload_content=False).data)["metadata"]["resourceVersion"]
        create()
        response = lister(NS, watch=True, resource_version=rv, timeout_seconds=1,
                          _preload_content=False)
        assert summary(events(response, first=1)) == [("ADDED", name)], lister.__name__
    assert discovery.list_namespaced_endpoint_slice(NS).items[0].endpoints[0].addresses == [
        "10.0.0.1"]


def test_a_watch_with_a_selector_is_refused_rather_than_half_served(
        core: client.CoreV1Api) -> None:
    with pytest.raises(ApiException) as caught:
        watch_pods(core, list_rv(core), label_selector="app=web")
    assert caught.value.status == 400 and "selectors" in json.loads(caught.value.body)["message"]


def test_a_hook_can_count_watches_only_or_everything_else(
        core: client.CoreV1Api, source_cluster: FakeKubeServer) -> None:
    fired: list[str] = []
    source_cluster.after_requests(1, lambda: fired.append("first watch"), watch=True)
    source_cluster.after_requests(2, lambda: fired.append("second list"), watch=False)
    rv = list_rv(core)
    watch_pods(core, rv).close()  # the hook ran before the watch's headers came back
    assert fired == ["first watch"]
    list_rv(core)
    assert fired == ["first watch", "second list"]
