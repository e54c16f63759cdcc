"""sync_endpoint_slices: the fake plays the EndpointSlice controller when a test asks it to."""

from __future__ import annotations

from drstack.testing.fakekube import FakeKubeServer, objects

NS = "app"


def slices(server: FakeKubeServer) -> dict[str, list[tuple[str, bool]]]:
    """Service -> its endpoints, as (pod, ready)."""
    return {s["metadata"]["labels"]["kubernetes.io/service-name"]: sorted(
        (e["targetRef"]["name"], e["conditions"]["ready"]) for e in s["endpoints"])
        for s in server.list("EndpointSlice", NS)}


def test_each_service_with_a_selector_gets_a_slice_of_the_running_pods_it_selects(
        source_cluster: FakeKubeServer) -> None:
    server = source_cluster
    server.put(objects.namespace(NS))
    server.put(objects.deployment("web", 2), NS)
    for service in (objects.service("web"), objects.service("none", {"app": "none"}),
                    objects.service("alias", {"app": "web"}, type_="ExternalName"),
                    objects.service("manual", {})):
        server.put(service, NS)
    server.sync_pods(NS)
    server.put(objects.pod("web-stray", {"app": "web"}, phase="Pending"), NS)
    unready = objects.pod("web-warming", {"app": "web"})
    unready["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    server.put(unready, NS)

    server.sync_endpoint_slices(NS)

    found = slices(server)
    assert set(found) == {"web", "none"}  # ExternalName and selector-less: none
    assert found["none"] == []
    web = found["web"]
    assert len(web) == 3 and ("web-warming", False) in web
    assert sum(ready for _, ready in web) == 2


def test_a_slice_that_would_not_change_is_not_written(source_cluster: FakeKubeServer) -> None:
    server = source_cluster
    server.put(objects.namespace(NS))
    server.put(objects.deployment("web", 1), NS)
    server.put(objects.service("web"), NS)
    server.sync_pods(NS)
    server.sync_endpoint_slices(NS)
    [before] = server.list("EndpointSlice", NS)
    server.sync_endpoint_slices(NS)
    [after] = server.list("EndpointSlice", NS)
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
