"""The Service gate and the URL probe through the real dynamic-provider host, over gRPC as the
engine calls them."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2

from drstack.providers import ServiceGateProvider, UrlProbeProvider
from drstack.testing.fakekube import objects
from drstack.testing.scripted_http import ScriptedHttpServer
from tests.providers.grpc_host import ProviderHost
from tests.providers.sites import DR_NS, Sites

SERVICES = serialize_provider(ServiceGateProvider())
URLS = serialize_provider(UrlProbeProvider())
PASSWORD = "grpc-pa55-3b9d"


@pytest.fixture
def host(sites: Sites) -> Iterator[ProviderHost]:
    with ProviderHost() as started:
        started.configure(sites.config)
        yield started


def service_props(**over: object) -> dict:
    base = {"site": "dr", "namespace": DR_NS, "transition": "cutover#3",
            "workloads": [{"kind": "Deployment", "name": "web", "replicas": 3,
                           "templateLabels": {"app": "web"}},
                          {"kind": "StatefulSet", "name": "db", "replicas": 1,
                           "templateLabels": {"app": "db"}}],
            "timeoutSeconds": 20}
    return {**base, **over}


def url_props(url: str, **over: object) -> dict:
    base = {"site": "dr", "transition": "cutover#3", "urls": [{"url": url, "expect": "2xx"}],
            "timeoutSeconds": 20, "intervalSeconds": 0.01}
    return {**base, **over}


def test_service_gate_switch(sites: Sites, host: ProviderHost) -> None:
    dr = sites.dr
    dr.put(objects.deployment("web", 3), DR_NS)
    dr.put(objects.statefulset("db", 1), DR_NS)
    dr.put(objects.service("web"), DR_NS)
    dr.put(objects.service("db"), DR_NS)
    inputs, failures = host.check("ServiceGate", SERVICES, {}, service_props())
    assert failures == []
    assert host.diff("ServiceGate", SERVICES, "", inputs, inputs).changes == \
        provider_pb2.DiffResponse.DIFF_SOME

    def controllers() -> None:
        dr.sync_pods(DR_NS)
        dr.sync_endpoint_slices(DR_NS)

    dr.after_requests(1, controllers, watch=True)
    sites.clear_logs()
    id_, outs = host.create("ServiceGate", SERVICES, inputs)
    assert id_.startswith("services-") and outs["result"] == "serving"
    assert outs["services"] == {"db": {"ready": 1, "total": 1, "expected": 1},
                                "web": {"ready": 3, "total": 3, "expected": 3}}
    assert [r.is_watch for r in dr.requests] == [False, False, True]
    # A re-run of the same switch (after a later step failed) checks again: ready at once.
    again = host.update("ServiceGate", SERVICES, id_, outs, inputs)
    assert again["services"] == outs["services"]


def test_service_gate_timeout_comes_back_naming_the_service(sites: Sites,
                                                            host: ProviderHost) -> None:
    sites.dr.put(objects.service("web"), DR_NS)
    sites.dr.put(objects.endpoint_slice("web-1", "web", ready=1, not_ready=2), DR_NS)
    with pytest.raises(grpc.RpcError) as caught:
        host.create("ServiceGate", SERVICES, service_props(timeoutSeconds=0.3))
    details = caught.value.details()
    assert "ServiceTimeout" in details and "1 of 1 Service(s)" in details
    assert "web      Deployment/web  1/3                    3     2 pod(s) not an endpoint yet" \
        in details


def test_url_probe_switch_with_credentials(host: ProviderHost) -> None:
    with ScriptedHttpServer([503, 200]) as server:
        url = server.url("/health", userinfo=f"ops:{PASSWORD}")
        inputs, failures = host.check("UrlProbe", URLS, {}, url_props(url))
        assert failures == [] and server.requests == []  # check() asks nothing
        _, outs = host.create("UrlProbe", URLS, inputs)
    assert outs["result"] == "answering"
    [probe] = outs["probes"]
    assert (probe["url"], probe["status"], probe["attempts"]) == (
        f"http://127.0.0.1:{server.port}/health", 200, 2)
    assert PASSWORD not in repr(outs["probes"])
    assert [r.headers["Authorization"].startswith("Basic ") for r in server.requests] == [
        True, True]


def test_url_probe_failure_comes_back_naming_the_url_never_its_password(
        host: ProviderHost) -> None:
    with ScriptedHttpServer(then=503) as server:
        url = server.url("/health", userinfo=f"ops:{PASSWORD}")
        with pytest.raises(grpc.RpcError) as caught:
            host.create("UrlProbe", URLS, url_props(url, timeoutSeconds=0.3))
    details = caught.value.details()
    assert "UrlsNotAnswering" in details
    assert (f"http://127.0.0.1:{server.port}/health: expected 2xx, last answer 503 Service "
            "Unavailable") in details
    assert PASSWORD not in details


def test_preview_asks_no_url(host: ProviderHost) -> None:
    """Only check and diff run in a preview, with unknowns where the program has no value yet."""
    with ScriptedHttpServer() as server:
        _, failures = host.check("UrlProbe", URLS, {}, url_props(server.url(),
                                                                  transition=rpc.UNKNOWN))
        assert failures == []
        diff = host.diff("UrlProbe", URLS, "id", url_props(server.url(), transition="none"),
                         url_props(server.url(), transition=rpc.UNKNOWN))
        assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME
        assert server.requests == []
