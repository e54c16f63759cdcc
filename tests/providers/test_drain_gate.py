"""DrainGate called directly: waits for the old site's pods, one pod LIST per poll."""

from __future__ import annotations

import base64

import dill
import pytest
from pulumi.dynamic.dynamic import serialize_provider

from drstack.providers import (
    SKIPPED,
    DrainGateProvider,
    DrainSpec,
    DrainTimeout,
    ProviderNotConfigured,
)
from drstack.testing.fakekube import objects
from tests.providers.sites import SOURCE_NS, Sites, configured

WEB = {"kind": "Deployment", "name": "web", "podLabels": {"app": "web"}}
# The pods go after the gate's sixth poll (one pod LIST each, 0.05 s apart): >= 0.3 s of waiting.
POLLS_WHILE_PODS_RUN = 6
DB = {"kind": "StatefulSet", "name": "db", "podLabels": {"app": "db"}}


def props(**over: object) -> dict:
    base = {
        "site": "source", "namespace": SOURCE_NS, "transition": "failback#5",
        "workloads": [WEB, DB], "claims": ["data"], "timeoutSeconds": 2.0, "pollSeconds": 0.05,
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


def blocking_pods_go_after_polls(sites: Sites, polls: int) -> None:
    """Play the controllers: the blocking pods go once the gate has polled ``polls`` times."""

    def controller() -> None:
        for name in ("web-7d9f8b6c5d-abcde", "db-0", "debug"):
            sites.source.delete("Pod", SOURCE_NS, name)

    sites.source.after_requests(polls, controller)


def test_passes_when_pods_go_mid_wait(sites: Sites) -> None:
    put_pods(sites)
    provider = configured(DrainGateProvider, sites.config)
    blocking_pods_go_after_polls(sites, POLLS_WHILE_PODS_RUN)
    result = provider.create(props())
    outs = result.outs
    assert outs["result"] == "drained"
    assert outs["site"] == "source" and outs["transition"] == "failback#5"
    assert outs["podsAtStart"] == ["db-0", "debug", "web-7d9f8b6c5d-abcde"]
    assert 0.25 <= outs["waitedSeconds"] < 2.0
    assert result.id


def test_one_pod_list_per_poll(sites: Sites) -> None:
    put_pods(sites)
    provider = configured(DrainGateProvider, sites.config)
    blocking_pods_go_after_polls(sites, POLLS_WHILE_PODS_RUN)
    sites.clear_logs()
    outs = provider.update("id", props(), props()).outs
    requests = sites.source.requests
    pods_path = f"/api/v1/namespaces/{SOURCE_NS}/pods"
    assert {(r.method, r.path) for r in requests} == {("GET", pods_path)}
    # Polls every 0.05 s until the pods go: one LIST each, not one per workload or claim.
    polls = outs["waitedSeconds"] / 0.05
    assert 2 <= len(requests) <= polls + 2
    assert sites.dr.requests == []


def test_timeout_names_the_pods_still_there(sites: Sites) -> None:
    put_pods(sites)
    provider = configured(DrainGateProvider, sites.config)
    with pytest.raises(DrainTimeout) as caught:
        provider.create(props(timeoutSeconds=0.3))
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
    assert provider.check({}, props(timeoutSeconds=3.0, pollSeconds=1.0)).failures == []
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
