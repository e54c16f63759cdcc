"""DrainGate called directly: one LIST of the old site's pods, then a watch until they are gone."""

from __future__ import annotations

import base64

import dill
import pytest
from pulumi.dynamic.dynamic import serialize_provider

from drstack.model import Site
from drstack.providers import (
    SKIPPED,
    DrainGateProvider,
    DrainSpec,
    DrainTimeout,
    ProviderNotConfigured,
)
from drstack.providers import reading as reading_module
from drstack.providers.reading import WatchRefused
from drstack.providers.recovery import Recovery
from drstack.testing.fakekube import FakeKubeServer, RequestRecord, objects
from tests.providers.sites import SOURCE_NS, Sites, configured

WEB = {"kind": "Deployment", "name": "web", "podLabels": {"app": "web"}}
DB = {"kind": "StatefulSet", "name": "db", "podLabels": {"app": "db"}}
PODS_PATH = f"/api/v1/namespaces/{SOURCE_NS}/pods"
BLOCKING = ("web-7d9f8b6c5d-abcde", "db-0", "debug")


def props(**over: object) -> dict:
    base = {
        "site": "source", "namespace": SOURCE_NS, "transition": "failback#5",
        "workloads": [WEB, DB], "claims": ["data"], "timeoutSeconds": 20.0,
    }
    return {**base, **over}


def put_pods(sites: Sites) -> None:
    src = sites.source
    src.put(objects.pod("web-7d9f8b6c5d-abcde", {"app": "web"}), SOURCE_NS)
    src.put(objects.pod("db-0", {"app": "db"}, phase="Pending"), SOURCE_NS)
    # No workload's labels, but it mounts a switched claim: it blocks too.
    src.put(objects.pod("debug", {"run": "debug"}, claim_names=["data"]), SOURCE_NS)
    # Neither: never blocks. Nor does a pod that has finished.
    src.put(objects.pod("other", {"app": "other"}), SOURCE_NS)
    src.put(objects.pod("web-evicted", {"app": "web"}, phase="Failed"), SOURCE_NS)


def blocking_pods_go(server: FakeKubeServer) -> None:
    """Play the controllers: each blocking pod goes, in its own write (one event each)."""
    server.delete("Pod", SOURCE_NS, "web-7d9f8b6c5d-abcde")
    server.put(objects.pod("db-0", {"app": "db"}, phase="Succeeded"), SOURCE_NS)  # finished
    server.put(objects.pod("late", {"app": "other"}), SOURCE_NS)  # a pod that never blocks
    server.delete("Pod", SOURCE_NS, "debug")


def blocking_pods_go_when_watched(sites: Sites, watch: int = 1) -> None:
    """The pods go when the gate opens its ``watch``-th watch (before it streams)."""
    sites.source.after_requests(watch, lambda: blocking_pods_go(sites.source), watch=True)


def shape(requests: list[RequestRecord]) -> list[tuple[str, str]]:
    """Each request as (LIST or WATCH, path): what a test asserts the gate sent."""
    return [("WATCH" if r.is_watch else r.method.replace("GET", "LIST"), r.path)
            for r in requests]


def test_passes_when_pods_go_mid_wait(sites: Sites) -> None:
    put_pods(sites)
    provider = configured(DrainGateProvider, sites.config)
    blocking_pods_go_when_watched(sites)
    result = provider.create(props())
    outs = result.outs
    assert outs["result"] == "drained"
    assert outs["site"] == "source" and outs["transition"] == "failback#5"
    assert outs["podsAtStart"] == ["db-0", "debug", "web-7d9f8b6c5d-abcde"]
    assert 0 < outs["waitedSeconds"] < 20.0
    assert result.id


def test_the_pods_going_are_seen_from_the_watch_events_without_another_list(
        sites: Sites) -> None:
    put_pods(sites)
    provider = configured(DrainGateProvider, sites.config)
    blocking_pods_go_when_watched(sites)
    last_write = sites.source.get("Pod", SOURCE_NS, "web-evicted")["metadata"]["resourceVersion"]
    sites.clear_logs()
    outs = provider.update("id", props(), props()).outs
    assert outs["result"] == "drained"
    requests = sites.source.requests
    assert shape(requests) == [("LIST", PODS_PATH), ("WATCH", PODS_PATH)]
    watch = requests[1].query
    # The watch starts where the LIST left off (the last write before it), so it misses nothing.
    assert watch["resourceVersion"] == last_write
    assert watch["allowWatchBookmarks"] == "true" and 1 <= int(watch["timeoutSeconds"]) <= 20
    assert sites.dr.requests == []


def test_already_drained_is_one_list_and_no_watch(sites: Sites) -> None:
    sites.source.put(objects.pod("other", {"app": "other"}), SOURCE_NS)
    provider = configured(DrainGateProvider, sites.config)
    sites.clear_logs()
    outs = provider.create(props()).outs
    assert outs["result"] == "drained" and outs["podsAtStart"] == []
    assert shape(sites.source.requests) == [("LIST", PODS_PATH)]


def test_a_blocking_pod_that_appears_mid_wait_keeps_the_gate_closed(sites: Sites) -> None:
    put_pods(sites)
    provider = configured(DrainGateProvider, sites.config)

    def replaced() -> None:  # the new pod comes first: no moment without a blocking pod
        sites.source.put(objects.pod("web-7d9f8b6c5d-fghij", {"app": "web"}), SOURCE_NS)
        blocking_pods_go(sites.source)

    sites.source.after_requests(1, replaced, watch=True)
    with pytest.raises(DrainTimeout) as caught:
        provider.create(props(timeoutSeconds=0.5))
    text = str(caught.value)
    assert "1 pod(s) still in namespace shop" in text
    assert "web-7d9f8b6c5d-fghij (phase Running; Deployment/web)" in text
    assert not any(name in text for name in BLOCKING)


@pytest.mark.parametrize("how", ["ERROR event", "HTTP 410", "compacted"])
def test_a_410_mid_wait_lists_again_and_still_finishes(how: str, sites: Sites) -> None:
    put_pods(sites)
    src = sites.source
    provider = configured(DrainGateProvider, sites.config)
    if how == "compacted":
        # A change after the LIST, then etcd's compaction: the LIST's resourceVersion is too old.
        def compact() -> None:
            src.delete("Pod", SOURCE_NS, "debug")
            src.compact()
        src.after_requests(1, compact, watch=False)
    else:
        src.watch_gone_next(1, http_status=how == "HTTP 410")
    blocking_pods_go_when_watched(sites, watch=2)
    sites.clear_logs()
    outs = provider.create(props()).outs
    assert outs["result"] == "drained"
    assert outs["podsAtStart"] == ["db-0", "debug", "web-7d9f8b6c5d-abcde"]
    assert shape(src.requests) == [("LIST", PODS_PATH), ("WATCH", PODS_PATH)] * 2
    assert [r.status for r in src.requests] == [200, 410 if how == "HTTP 410" else 200, 200, 200]


@pytest.mark.parametrize("events_first", [0, 1])
def test_a_dropped_watch_lists_again_and_still_finishes(events_first: int, sites: Sites) -> None:
    put_pods(sites)
    src = sites.source
    provider = configured(DrainGateProvider, sites.config)
    src.drop_watch_after(events_first)
    # One pod goes while the first watch runs (it may see it, then drops), the rest on the next.
    src.after_requests(1, lambda: src.delete("Pod", SOURCE_NS, "debug"), watch=True)
    blocking_pods_go_when_watched(sites, watch=2)
    sites.clear_logs()
    outs = provider.create(props()).outs
    assert outs["result"] == "drained"
    assert shape(src.requests) == [("LIST", PODS_PATH), ("WATCH", PODS_PATH)] * 2


def test_a_watch_that_reaches_its_timeout_is_followed_by_another_not_by_a_list(
        sites: Sites, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing changes for a while: one watch per window (timeoutSeconds), not a LIST a poll."""
    put_pods(sites)
    monkeypatch.setattr(reading_module, "WATCH_WINDOW_SECONDS", 1)
    provider = configured(DrainGateProvider, sites.config)
    sites.clear_logs()
    with pytest.raises(DrainTimeout):
        provider.create(props(timeoutSeconds=2.5))
    requests = sites.source.requests
    watches = [r for r in requests if r.is_watch]
    assert shape(requests)[0] == ("LIST", PODS_PATH) and len(requests) == 1 + len(watches)
    # Each window is a second long: at most three in 2.5 s (a 0.5 s poll made five LISTs).
    assert 1 <= len(watches) <= 3
    assert all(w.query["timeoutSeconds"] == "1" for w in watches)
    # Each next watch resumes from the bookmark that ended the one before.
    versions = [int(w.query["resourceVersion"]) for w in watches]
    assert versions == sorted(versions)


def test_a_watch_refused_for_good_fails_naming_the_call_and_the_permission(
        sites: Sites) -> None:
    put_pods(sites)
    src = sites.source
    src.after_requests(1, lambda: src.fail_next(1, 403), watch=False)
    provider = configured(DrainGateProvider, sites.config)
    with pytest.raises(WatchRefused) as caught:
        provider.create(props())
    text = str(caught.value)
    assert f"watch pods in source namespace {SOURCE_NS} (drain gate): HTTP 403" in text
    assert "list and watch on Pods" in text and "drstack-rbac.yaml" in text


def test_timeout_names_the_pods_still_there(sites: Sites) -> None:
    put_pods(sites)
    provider = configured(DrainGateProvider, sites.config)
    sites.clear_logs()
    with pytest.raises(DrainTimeout) as caught:
        provider.create(props(timeoutSeconds=0.3))
    # Nothing changed: the LIST, then one watch, open until the deadline.
    assert shape(sites.source.requests) == [("LIST", PODS_PATH), ("WATCH", PODS_PATH)]
    text = str(caught.value)
    assert "3 pod(s) still in namespace shop on the source site after 0.3s" in text
    assert "web-7d9f8b6c5d-abcde (phase Running; Deployment/web)" in text
    assert "db-0 (phase Pending; StatefulSet/db)" in text
    assert "debug (phase Running; claim data)" in text
    assert "other" not in text and "web-evicted" not in text
    assert "failback#5" in text


def test_steady_state_makes_no_api_call(sites: Sites) -> None:
    put_pods(sites)
    provider = configured(DrainGateProvider, sites.config)
    sites.clear_logs()
    steady = props(transition="none")
    assert provider.create(steady).outs["result"] == SKIPPED
    assert provider.update("id", steady, steady).outs["result"] == SKIPPED
    provider.delete("id", steady)
    assert sites.source.requests == [] and sites.dr.requests == []


def test_diff_changes_only_for_a_switch() -> None:
    provider = DrainGateProvider()  # diff needs no config
    steady = props(transition="none")
    assert provider.diff("id", steady, steady).changes is False
    assert provider.diff("id", steady, props()).changes is True
    assert provider.diff("id", props(), props()).changes is True  # re-runs of the same switch
    assert provider.diff("id", props(), props()).replaces is None
    assert provider.read("id", props()).outs == props()


def test_check_accepts_engine_floats_and_reports_bad_inputs() -> None:
    provider = DrainGateProvider()
    assert provider.check({}, props(timeoutSeconds=3.0)).failures == []
    bad = props(site="prod", namespace="", timeoutSeconds=0.0, claims="data",
                workloads=[{"kind": "Job", "name": "x", "podLabels": {"a": "b"}},
                           {"kind": "Deployment", "name": "web", "podLabels": ["app"]}, "web"])
    failures = {f.property: f.reason for f in provider.check({}, bad).failures}
    assert set(failures) == {"site", "namespace", "timeoutSeconds", "claims", "workloads[0].kind",
                             "workloads[1].podLabels", "workloads[2]"}
    assert "source, dr" in failures["site"]
    assert "greater than 0" in failures["timeoutSeconds"]


def test_unconfigured_provider_names_the_key(sites: Sites) -> None:
    with pytest.raises(ProviderNotConfigured, match="drstack:sourceKubeconfig"):
        DrainGateProvider().create(props())
    config = {k: v for k, v in sites.config.items() if k != "drstack:sourceKubeconfig"}
    with pytest.raises(ProviderNotConfigured, match="drstack:sourceKubeconfig is not set"):
        configured(DrainGateProvider, config).create(props())


def test_pickled_provider_carries_no_config(sites: Sites) -> None:
    provider = configured(DrainGateProvider, sites.config)
    pickled = base64.b64decode(serialize_provider(provider))
    again = dill.loads(pickled)
    assert type(again) is DrainGateProvider and not hasattr(again, "_site_keys")
    assert str(sites.source_kubeconfig).encode() not in pickled
    assert b"drstack.providers.drain_gate" in pickled  # by reference: the host imports it


def test_workloads_without_match_labels_are_matched_by_pod_name() -> None:
    from drstack.providers.drain_gate import blocking_pods

    spec, inputs = DrainSpec.from_props(props(claims=[], workloads=[
        {"kind": "Deployment", "name": "web", "podLabels": {}},
        {"kind": "StatefulSet", "name": "db", "podLabels": {}}]))
    assert inputs.failures == []
    pods = [objects.pod(name, {"x": "y"}) for name in
            ("web-7d9f8b6c5-x2k4p", "db-0", "db-1", "webhook-0", "web-admin", "dbx-0")]
    assert [p.name for p in blocking_pods(pods, spec)] == ["db-0", "db-1", "web-7d9f8b6c5-x2k4p"]


def test_the_spec_reads_back_what_it_writes() -> None:
    spec, inputs = DrainSpec.from_props(props())
    assert inputs.failures == [] and not inputs.incomplete
    assert spec.to_props() == props()
    assert DrainSpec.from_props(spec.to_props())[0] == spec


def test_inputs_saved_by_a_polling_drstack_still_read(sites: Sites) -> None:
    """Stacks updated before the gates watched hold pollSeconds in their saved inputs."""
    saved = props(pollSeconds=0.5)
    spec, inputs = DrainSpec.from_props(saved)
    assert inputs.failures == [] and spec == DrainSpec.from_props(props())[0]
    provider = configured(DrainGateProvider, sites.config)
    assert provider.check(saved, saved).failures == []
    assert provider.update("id", saved, saved).outs["result"] == "drained"


def test_a_timeout_in_a_switch_says_the_state_of_the_app_and_the_two_ways_out(
        sites: Sites) -> None:
    put_pods(sites)
    recovery = Recovery(stack="dr", other_stack="source", from_site=Site.SOURCE,
                        to_site=Site.DR, strategy="cold", transition="cutover#5")
    provider = configured(DrainGateProvider, sites.config)

    with pytest.raises(DrainTimeout) as caught:
        provider.create(props(timeoutSeconds=0.3, transition="cutover#5",
                              recovery=recovery.to_props()))

    text = str(caught.value)
    assert "3 pod(s) still in namespace shop on the source site" in text  # the cause first
    assert ("Now: source is scaled to 0 but some of its pods are still stopping, and dr has "
            "not started: the application is down on both sites") in text
    assert 'pulumi up -s dr -m "cutover to dr, again"' in text
    assert ('pulumi up -s source -c drstack:breakLease=true -m "back to source after a failed '
            'cutover"') in text
    assert "pulumi config set -s source drstack:breakLease false" in text
