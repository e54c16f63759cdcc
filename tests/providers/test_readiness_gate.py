"""ReadinessGate called directly: one LIST per kind, then a watch per kind until all are ready."""

from __future__ import annotations

import pytest

from drstack.providers import SKIPPED, ReadinessGateProvider, ReadinessSpec, ReadinessTimeout
from drstack.testing.fakekube import RequestRecord, objects
from tests.providers.sites import DR_NS, Sites, configured

WORKLOADS = [
    {"kind": "Deployment", "name": "web", "replicas": 2.0},  # the engine sends floats
    {"kind": "StatefulSet", "name": "db", "replicas": 1},
]
DEPLOYMENTS = f"/apis/apps/v1/namespaces/{DR_NS}/deployments"
STATEFULSETS = f"/apis/apps/v1/namespaces/{DR_NS}/statefulsets"


def props(**over: object) -> dict:
    base = {"site": "dr", "namespace": DR_NS, "transition": "cutover#3", "workloads": WORKLOADS,
            "timeoutSeconds": 20.0}
    return {**base, **over}


def ready_when_watched(sites: Sites, path_contains: str | None = None) -> None:
    """Play the controller: roll the DR site out when the gate opens a watch (before it
    streams), of any kind or of the one whose path contains ``path_contains``."""
    sites.dr.after_requests(1, lambda: sites.dr.make_ready(DR_NS), watch=True,
                            path_contains=path_contains)


def put_workloads(sites: Sites) -> None:
    sites.dr.put(objects.deployment("web", 2), DR_NS)
    sites.dr.put(objects.statefulset("db", 1, claim_templates=["data"]), DR_NS)


def shape(requests: list[RequestRecord]) -> list[tuple[str, str]]:
    """Each request as (LIST or WATCH, path), in a stable order (the watches run at once)."""
    return sorted(("WATCH" if r.is_watch else "LIST", r.path) for r in requests)


def warning_event(name: str, involved_kind: str, involved: str, reason: str, message: str,
                  when: str) -> dict:
    return {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": name, "namespace": DR_NS},
        "involvedObject": {"kind": involved_kind, "name": involved, "namespace": DR_NS},
        "reason": reason, "message": message, "type": "Warning", "count": 1,
        "firstTimestamp": when, "lastTimestamp": when,
    }


def test_passes_when_the_site_becomes_ready_mid_wait(sites: Sites) -> None:
    put_workloads(sites)
    provider = configured(ReadinessGateProvider, sites.config)
    ready_when_watched(sites)
    result = provider.create(props())
    outs = result.outs
    assert outs["result"] == "ready" and outs["site"] == "dr" and outs["transition"] == "cutover#3"
    assert set(outs["readySeconds"]) == {"Deployment/web", "StatefulSet/db"}
    assert all(0 < s <= outs["siteReadySeconds"] for s in outs["readySeconds"].values())
    assert outs["siteReadySeconds"] < 20.0


def test_ready_is_seen_from_the_watch_events_without_another_list(sites: Sites) -> None:
    put_workloads(sites)
    sites.dr.make_ready(DR_NS)
    sites.dr.set_status("StatefulSet", DR_NS, "db", {})  # web is ready from the start, db is not
    provider = configured(ReadinessGateProvider, sites.config)
    ready_when_watched(sites, path_contains="/statefulsets")
    sites.clear_logs()
    outs = provider.update("id", props(), props()).outs
    assert shape(sites.dr.requests) == [("LIST", DEPLOYMENTS), ("LIST", STATEFULSETS),
                                        ("WATCH", DEPLOYMENTS), ("WATCH", STATEFULSETS)]
    assert sites.source.requests == []
    # Each workload's time is when the gate saw it ready: web at the LIST, db at its event.
    ready = outs["readySeconds"]
    assert ready["Deployment/web"] <= ready["StatefulSet/db"] <= outs["siteReadySeconds"]


def test_already_ready_is_one_list_per_kind_and_no_watch(sites: Sites) -> None:
    put_workloads(sites)
    sites.dr.make_ready(DR_NS)
    provider = configured(ReadinessGateProvider, sites.config)
    sites.clear_logs()
    assert provider.create(props()).outs["result"] == "ready"
    assert shape(sites.dr.requests) == [("LIST", DEPLOYMENTS), ("LIST", STATEFULSETS)]


def test_a_kind_with_no_workload_is_neither_listed_nor_watched(sites: Sites) -> None:
    put_workloads(sites)
    provider = configured(ReadinessGateProvider, sites.config)
    ready_when_watched(sites)
    sites.clear_logs()
    provider.create(props(workloads=[WORKLOADS[0]]))
    assert shape(sites.dr.requests) == [("LIST", DEPLOYMENTS), ("WATCH", DEPLOYMENTS)]


@pytest.mark.parametrize("fault", ["410", "drop"])
def test_a_watch_lost_mid_wait_lists_its_kind_again_and_still_finishes(fault: str,
                                                                      sites: Sites) -> None:
    put_workloads(sites)
    dr = sites.dr
    if fault == "410":
        dr.watch_gone_next(1, path_contains="/statefulsets")
    else:
        dr.drop_watch_after(0, path_contains="/statefulsets")
    # Ready when the StatefulSets are watched again, after their second LIST.
    dr.after_requests(2, lambda: dr.make_ready(DR_NS), watch=True, path_contains="/statefulsets")
    provider = configured(ReadinessGateProvider, sites.config)
    sites.clear_logs()
    outs = provider.create(props()).outs
    assert outs["result"] == "ready"
    # Only the kind whose watch was lost is listed again; the Deployments' watch went on.
    assert shape(dr.requests) == [("LIST", DEPLOYMENTS), ("LIST", STATEFULSETS),
                                  ("LIST", STATEFULSETS), ("WATCH", DEPLOYMENTS),
                                  ("WATCH", STATEFULSETS), ("WATCH", STATEFULSETS)]


def test_timeout_shows_a_table_of_what_is_not_ready(sites: Sites) -> None:
    put_workloads(sites)
    sites.dr.make_ready(DR_NS)
    sites.dr.set_status("Deployment", DR_NS, "web", {
        "observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 1,
        "availableReplicas": 1,
        "conditions": [{"type": "Available", "status": "False",
                        "reason": "MinimumReplicasUnavailable",
                        "message": "Deployment does not have minimum availability."}],
    })
    sites.dr.put(warning_event("e1", "Pod", "web-5d8f9c7b6a-x2k9p", "BackOff",
                               "Back-off pulling image", "2025-01-01T00:00:00Z"), DR_NS)
    sites.dr.put(warning_event("e2", "Pod", "web-5d8f9c7b6a-x2k9p", "FailedScheduling",
                               "0/3 nodes are available", "2025-01-01T00:05:00Z"), DR_NS)
    sites.dr.put(warning_event("e3", "Pod", "webhook-0", "Unrelated", "x",
                               "2025-01-01T00:09:00Z"), DR_NS)
    workloads = [*WORKLOADS, {"kind": "Deployment", "name": "ghost", "replicas": 1}]
    provider = configured(ReadinessGateProvider, sites.config)
    with pytest.raises(ReadinessTimeout) as caught:
        provider.create(props(workloads=workloads, timeoutSeconds=0.3))
    text = str(caught.value)
    lines = {line.split()[0]: line for line in text.splitlines() if line.startswith("  ")}
    assert "2 of 3 workload(s) in namespace shop-dr on the dr site not ready after 0.3s" in text
    assert "StatefulSet/db" not in lines  # ready
    web = lines["Deployment/web"]
    assert "readyReplicas 1/2" in web and "availableReplicas 1/2" in web
    assert "Available=False MinimumReplicasUnavailable" in web
    assert "FailedScheduling: 0/3 nodes are available" in web  # the latest warning
    assert "Unrelated" not in text
    assert "not found" in lines["Deployment/ghost"]
    # The events were listed once, at the timeout only; the workloads once each, then watched.
    assert sites.dr.count("GET", "/events") == 1
    assert shape([r for r in sites.dr.requests if "/events" not in r.path]) == [
        ("LIST", DEPLOYMENTS), ("LIST", STATEFULSETS),
        ("WATCH", DEPLOYMENTS), ("WATCH", STATEFULSETS)]


def test_statefulset_mid_rollout_is_not_ready(sites: Sites) -> None:
    put_workloads(sites)
    sites.dr.make_ready(DR_NS)
    status = sites.dr.get("StatefulSet", DR_NS, "db")["status"]
    sites.dr.set_status("StatefulSet", DR_NS, "db", {**status, "currentRevision": "db-old"})
    provider = configured(ReadinessGateProvider, sites.config)
    with pytest.raises(ReadinessTimeout) as caught:
        provider.create(props(timeoutSeconds=0.2))
    assert "StatefulSet/db" in str(caught.value)
    assert "rolling update in progress (revision db-old ->" in str(caught.value)
    assert "Deployment/web" not in str(caught.value)


def test_spec_replicas_other_than_desired_is_not_ready(sites: Sites) -> None:
    sites.dr.put(objects.deployment("web", 1), DR_NS)
    sites.dr.make_ready(DR_NS)
    provider = configured(ReadinessGateProvider, sites.config)
    with pytest.raises(ReadinessTimeout, match="spec.replicas is 1, expected 2"):
        provider.create(props(workloads=[WORKLOADS[0]], timeoutSeconds=0.1))


def test_desired_zero_is_ready_with_no_pods(sites: Sites) -> None:
    sites.dr.put(objects.deployment("web", 0), DR_NS)  # no status at all yet
    provider = configured(ReadinessGateProvider, sites.config)
    outs = provider.create(props(workloads=[{"kind": "Deployment", "name": "web",
                                             "replicas": 0}])).outs
    assert outs["result"] == "ready"


def test_steady_state_makes_no_api_call_and_shows_no_change(sites: Sites) -> None:
    provider = configured(ReadinessGateProvider, sites.config)
    steady = props(transition="none")
    assert provider.create(steady).outs["result"] == SKIPPED
    assert provider.diff("id", steady, steady).changes is False
    assert provider.diff("id", steady, props()).changes is True
    assert sites.dr.requests == [] and sites.source.requests == []


def test_check_reports_bad_workloads() -> None:
    provider = ReadinessGateProvider()
    assert provider.check({}, props()).failures == []
    bad = props(site="", timeoutSeconds=-1,
                workloads=[{"kind": "Deployment", "name": "web", "replicas": 1.5},
                           {"kind": "DaemonSet", "name": "", "replicas": 1}])
    failures = {f.property for f in provider.check({}, bad).failures}
    assert failures == {"site", "timeoutSeconds", "workloads[0].replicas",
                        "workloads[1].kind", "workloads[1].name"}


def test_the_spec_reads_back_what_it_writes() -> None:
    spec, inputs = ReadinessSpec.from_props(props())
    assert inputs.failures == [] and not inputs.incomplete
    assert spec.to_props() == props()  # 2.0 from the engine is written back as 2
    assert ReadinessSpec.from_props(spec.to_props())[0] == spec


def test_inputs_saved_by_a_polling_drstack_still_read(sites: Sites) -> None:
    """Stacks updated before the gates watched hold pollSeconds in their saved inputs."""
    saved = props(pollSeconds=0.05)
    spec, inputs = ReadinessSpec.from_props(saved)
    assert inputs.failures == [] and spec == ReadinessSpec.from_props(props())[0]
    put_workloads(sites)
    sites.dr.make_ready(DR_NS)
    provider = configured(ReadinessGateProvider, sites.config)
    assert provider.check(saved, saved).failures == []
    assert provider.update("id", saved, saved).outs["result"] == "ready"
