"""ServiceGate called directly: one LIST of Services, then a LIST and a watch of EndpointSlices
until every Service that selects a switched workload has a ready endpoint per pod."""

from __future__ import annotations

import pytest

from drstack.providers import (
    SKIPPED,
    ServiceGateProvider,
    ServicesNotReadable,
    ServiceSpec,
    ServiceTimeout,
)
from drstack.providers.service_gate import (
    ServedWorkload,
    ServiceEndpoints,
    selecting_services,
)
from drstack.testing.fakekube import RequestRecord, objects
from tests.providers.sites import DR_NS, Sites, configured

WORKLOADS = [
    {"kind": "Deployment", "name": "web", "replicas": 2.0,  # the engine sends floats
     "templateLabels": {"app": "web", "tier": "front"}},
    {"kind": "StatefulSet", "name": "db", "replicas": 1, "templateLabels": {"app": "db"}},
]
SERVICES = f"/api/v1/namespaces/{DR_NS}/services"
SLICES = f"/apis/discovery.k8s.io/v1/namespaces/{DR_NS}/endpointslices"


def props(**over: object) -> dict:
    base = {"site": "dr", "namespace": DR_NS, "transition": "cutover#3", "workloads": WORKLOADS,
            "timeoutSeconds": 20.0}
    return {**base, **over}


def shape(requests: list[RequestRecord]) -> list[tuple[str, str]]:
    return [("WATCH" if r.is_watch else "LIST", r.path) for r in requests]


def put_app(sites: Sites) -> None:
    """web (2) and db (1) rolled out on DR, their Services, and three that the gate must leave
    alone: one selecting nothing switched, a DNS alias, one whose endpoints are kept by hand."""
    dr = sites.dr
    dr.put(objects.deployment("web", 2), DR_NS)
    dr.put(objects.statefulset("db", 1), DR_NS)
    for service in (objects.service("web"), objects.service("db"),
                    objects.service("cache", {"app": "cache"}),
                    objects.service("web-alias", {"app": "web"}, type_="ExternalName"),
                    objects.service("legacy", {})):
        dr.put(service, DR_NS)


def serve(sites: Sites) -> None:
    """What the cluster's controllers do once the workloads are up: pods, then endpoints."""
    sites.dr.sync_pods(DR_NS)
    sites.dr.sync_endpoint_slices(DR_NS)


def test_opens_on_the_event_that_makes_every_pod_an_endpoint(sites: Sites) -> None:
    put_app(sites)
    provider = configured(ServiceGateProvider, sites.config)
    # The endpoints appear once the gate watches (after its LISTs): seen from the event.
    sites.dr.after_requests(1, lambda: serve(sites), watch=True)
    sites.clear_logs()
    outs = provider.create(props()).outs
    assert outs["result"] == "serving" and outs["transition"] == "cutover#3"
    assert outs["services"] == {"db": {"ready": 1, "total": 1, "expected": 1},
                                "web": {"ready": 2, "total": 2, "expected": 2}}
    assert 0 < outs["waitedSeconds"] < 20 and outs["verifiedAt"].endswith("+00:00")
    assert shape(sites.dr.requests) == [("LIST", SERVICES), ("LIST", SLICES), ("WATCH", SLICES)]
    assert sites.source.requests == []


def test_endpoints_already_ready_cost_one_list_of_each_and_no_watch(sites: Sites) -> None:
    put_app(sites)
    serve(sites)
    provider = configured(ServiceGateProvider, sites.config)
    sites.clear_logs()
    assert provider.create(props()).outs["result"] == "serving"
    assert shape(sites.dr.requests) == [("LIST", SERVICES), ("LIST", SLICES)]


def test_no_service_selecting_a_switched_workload_is_one_list_of_services(sites: Sites) -> None:
    sites.dr.put(objects.service("cache", {"app": "cache"}), DR_NS)
    provider = configured(ServiceGateProvider, sites.config)
    outs = provider.create(props()).outs
    assert outs["result"] == "serving" and outs["services"] == {}
    assert shape(sites.dr.requests) == [("LIST", SERVICES)]


def test_timeout_names_each_service_and_its_endpoint_counts(sites: Sites) -> None:
    put_app(sites)
    dr = sites.dr
    dr.put(objects.endpoint_slice("web-abcde", "web", ready=1, not_ready=1), DR_NS)
    dr.put(objects.endpoint_slice("db-fghij", "db", ready=1), DR_NS)
    provider = configured(ServiceGateProvider, sites.config)
    with pytest.raises(ServiceTimeout) as caught:
        provider.create(props(timeoutSeconds=0.3))
    text = str(caught.value)
    assert ("service gate (cutover#3): 1 of 2 Service(s) in namespace shop-dr on the dr site "
            "have fewer ready endpoints than pods after 0.3s") in text
    rows = {line.split()[0]: line.split() for line in text.splitlines() if line.startswith("  ")}
    assert rows["web"] == ["web", "Deployment/web", "1/2", "2", "1", "pod(s)", "not", "an",
                           "endpoint", "yet"]
    assert rows["db"] == ["db", "StatefulSet/db", "1/1", "1", "ok"]
    assert "cache" not in rows and "legacy" not in rows and "web-alias" not in rows
    assert "kubernetes.io/service-name=web" in text and "drstack:readinessTimeout" in text
    assert dr.writes() == []


def test_a_lost_watch_lists_the_slices_again_but_not_the_services(sites: Sites) -> None:
    put_app(sites)
    dr = sites.dr
    dr.watch_gone_next(1, path_contains="/endpointslices")
    dr.after_requests(2, lambda: serve(sites), watch=True)  # on the watch after the re-LIST
    provider = configured(ServiceGateProvider, sites.config)
    sites.clear_logs()
    assert provider.create(props()).outs["result"] == "serving"
    assert shape(dr.requests) == [("LIST", SERVICES), ("LIST", SLICES), ("WATCH", SLICES),
                                  ("LIST", SLICES), ("WATCH", SLICES)]


def test_forbidden_services_name_the_permission_drstack_needs(sites: Sites) -> None:
    put_app(sites)
    sites.dr.fail_next(1, status=403, path_contains="/services")
    provider = configured(ServiceGateProvider, sites.config)
    with pytest.raises(ServicesNotReadable) as caught:
        provider.create(props())
    assert str(caught.value) == (
        "list services in dr namespace shop-dr (service gate): HTTP 403 Forbidden; drstack needs "
        "get, list and watch on Services and on EndpointSlices (discovery.k8s.io) in namespace "
        "shop-dr (drstack/rbac/drstack-rbac.yaml)")


def test_steady_state_makes_no_api_call_and_shows_no_change(sites: Sites) -> None:
    provider = configured(ServiceGateProvider, sites.config)
    steady = props(transition="none")
    assert provider.create(steady).outs["result"] == SKIPPED
    assert provider.diff("id", steady, steady).changes is False
    assert provider.diff("id", steady, props()).changes is True
    assert sites.dr.requests == [] and sites.source.requests == []


def test_check_reports_bad_inputs() -> None:
    provider = ServiceGateProvider()
    assert provider.check({}, props()).failures == []
    bad = props(namespace="", timeoutSeconds=0,
                workloads=[{"kind": "Deployment", "name": "web", "replicas": 1,
                            "templateLabels": ["app=web"]},
                           {"kind": "Pod", "name": "x", "replicas": 0, "templateLabels": {}}])
    failures = {f.property for f in provider.check({}, bad).failures}
    assert failures == {"namespace", "timeoutSeconds", "workloads[0].templateLabels",
                        "workloads[1].kind", "workloads[1].replicas"}


def test_the_spec_reads_back_what_it_writes() -> None:
    spec, inputs = ServiceSpec.from_props(props())
    assert inputs.failures == [] and not inputs.incomplete
    assert spec.to_props() == props()  # 2.0 from the engine is written back as 2
    assert ServiceSpec.from_props(spec.to_props())[0] == spec


# --- which Services, and how their endpoints count (no server) --------------------------------


WEB = ServedWorkload("Deployment", "web", (("app", "web"), ("tier", "front")), 3)
API = ServedWorkload("Deployment", "api", (("app", "api"), ("tier", "front")), 2)


def test_a_service_selects_a_workload_when_its_selector_is_in_the_pod_template_labels() -> None:
    services = [objects.service("front", {"tier": "front"}),  # both
                objects.service("web", {"app": "web"}),
                objects.service("web-back", {"app": "web", "tier": "back"}),  # no one
                objects.service("all", {}),  # no selector: endpoints kept by hand
                objects.service("alias", {"app": "web"}, type_="ExternalName")]
    found = selecting_services(services, [WEB, API])
    assert [(s.name, s.selects, s.expected) for s in found] == [
        ("front", ("Deployment/web", "Deployment/api"), 5), ("web", ("Deployment/web",), 3)]


def test_a_service_waits_for_an_endpoint_per_pod_not_for_the_first_one() -> None:
    # Found on the real engine: the controller adds the pods to a slice a few at a time, and a
    # gate that opened at the first ready endpoint let the switch go on with web at 1 of 3.
    [web] = selecting_services([objects.service("web")], [WEB])
    view = ServiceEndpoints([web])
    view.reset("EndpointSlice", [objects.endpoint_slice("web-1", "web", ready=1)], 0.0)
    assert web.expected == 3 and not view.done()
    view.apply("EndpointSlice", "MODIFIED", objects.endpoint_slice("web-1", "web", ready=3), 1.0)
    assert view.done()


def test_an_endpoint_without_a_ready_condition_is_ready_and_each_pod_counts_once() -> None:
    one = ServedWorkload("Deployment", "web", (("tier", "front"),), 1)
    [front] = selecting_services([objects.service("front", {"tier": "front"})], [one])
    view = ServiceEndpoints([front])
    v4 = objects.endpoint_slice("front-v4", "front", ready_unset=1, not_ready=1)
    # The same pods in the IPv6 slice of a dual-stack Service.
    v6 = {**objects.endpoint_slice("front-v4", "front", ready_unset=1, not_ready=1),
          "metadata": {"name": "front-v6", "labels": {"kubernetes.io/service-name": "front"}},
          "addressType": "IPv6"}
    view.reset("EndpointSlice", [v4, v6, objects.endpoint_slice("x-1", "other", ready=3)], 0.0)
    assert str(view.counts()["front"]) == "1/2" and view.done()
    view.apply("EndpointSlice", "DELETED", v4, 1.0)
    view.apply("EndpointSlice", "MODIFIED", {**v6, "endpoints": []}, 1.0)
    assert str(view.counts()["front"]) == "0/0" and not view.done()


def test_a_slice_relabelled_to_another_service_is_counted_there_only() -> None:
    one = ServedWorkload("Deployment", "web", (("app", "web"),), 1)
    view = ServiceEndpoints(selecting_services(
        [objects.service("web"), objects.service("web-v2", {"app": "web"})], [one]))
    view.reset("EndpointSlice", [objects.endpoint_slice("s-1", "web", ready=1)], 0.0)
    assert {n: str(c) for n, c in view.counts().items()} == {"web": "1/1", "web-v2": "0/0"}
    view.apply("EndpointSlice", "MODIFIED", objects.endpoint_slice("s-1", "web-v2", ready=1), 1.0)
    assert {n: str(c) for n, c in view.counts().items()} == {"web": "0/0", "web-v2": "1/1"}
