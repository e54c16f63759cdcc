"""Kubernetes API faults on the real wire: 5xx bursts, 429 with Retry-After, latency, refused
connections, for drstack's own calls (the program's reader and the dynamic gates).

The fake servers inject the faults (drstack/testing/fakekube); drstack talks to them with the real
``kubernetes`` client over HTTP, so the retry layer is exercised as it would be in a cluster.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pulumi
import pytest
import yaml

import drstack.cluster.client as cluster_client
import drstack.cluster.reader as cluster_reader
from drstack.cluster.retry import ClusterUnavailable
from drstack.providers import (
    SKIPPED,
    DrainGateProvider,
    PvcMigrationProvider,
    ReadinessGateProvider,
)
from drstack.testing.fakekube import FakeKubeServer, objects
from drstack.testing.scenario import DR_NS, SOURCE_NS, base_config, ledger, populate
from tests.faults import K8S_PROVIDER, dynamic, run, write_paths
from tests.providers.sites import DR_NS as GATE_DR_NS
from tests.providers.sites import SOURCE_NS as GATE_SOURCE_NS
from tests.providers.sites import Sites, configured

# ---- the program (reader) -------------------------------------------------------------------


@pytest.fixture
def after_cutover(source_cluster: FakeKubeServer, dr_cluster: FakeKubeServer, tmp_path):
    """DR serves since a cutover; `pulumi up -s source` is a failback, dr is the old site."""
    populate(source_cluster, SOURCE_NS, deployments={"web": 0, "api": 0}, statefulsets={"db": 0},
             originals={"web": "3", "api": "2", "db": "1"}, ledger_annotations=ledger("dr", 4))
    populate(dr_cluster, DR_NS, deployments={"web": 5, "api": 2}, statefulsets={"db": 1},
             originals={"web": "3", "api": "2", "db": "1"}, ledger_annotations=ledger("dr", 4))
    return base_config(source_cluster, dr_cluster, tmp_path)


@pytest.fixture
def short_deadline(monkeypatch: pytest.MonkeyPatch) -> float:
    """The reader's total deadline per call, cut from 60 s so a refused site fails fast."""
    monkeypatch.setitem(cluster_reader.read_site.__kwdefaults__, "deadline", 1.5)
    return 1.5


EXPECTED_FAILBACK = {
    # workload -> (source desired, dr desired)
    "Deployment/web": (5, 0), "Deployment/api": (2, 0), "StatefulSet/db": (1, 0),
}


def assert_plans_the_failback(config: dict[str, Any]) -> dict[str, Any]:
    captured = run(config, stack="source")
    assert captured.error is None, captured.error
    outputs = captured.outputs
    assert outputs["transition"] == "failback"
    desired = {w["workload"]: (w["source"]["desired"], w["dr"]["desired"])
               for w in outputs["workloads"]}
    assert desired == EXPECTED_FAILBACK
    assert {"dr-drain", "source-ready"} <= set(captured.names())
    return outputs


def statuses(server: FakeKubeServer) -> list[int]:
    return [r.status for r in server.requests]


@pytest.mark.parametrize("site", ["source", "dr"])
def test_program_plans_correctly_through_a_503_burst(site, after_cutover, source_cluster,
                                                     dr_cluster):
    server = source_cluster if site == "source" else dr_cluster
    # Three 503s on the namespace GET, and three more on the deployments LIST.
    server.fail_next(3, 503, method="GET", path_contains="/namespaces/my-app")
    server.fail_next(3, 503, method="GET", path_contains="/deployments")
    assert_plans_the_failback(after_cutover)
    assert statuses(server).count(503) == 6
    # Every call was retried until it answered 200: the reader's 4 calls all got through.
    assert statuses(server).count(200) >= 4
    assert write_paths(source_cluster, dr_cluster) == []


@pytest.mark.parametrize("status", [500, 502, 504])
def test_program_retries_every_transient_5xx(status, after_cutover, source_cluster, dr_cluster):
    dr_cluster.fail_next(2, status, method="GET", path_contains="/statefulsets")
    assert_plans_the_failback(after_cutover)
    assert statuses(dr_cluster).count(status) == 2


@pytest.mark.parametrize("site", ["source", "dr"])
def test_program_waits_out_a_429_with_retry_after(site, after_cutover, source_cluster,
                                                  dr_cluster):
    server = source_cluster if site == "source" else dr_cluster
    server.fail_next(2, 429, method="GET", path_contains="/namespaces/", retry_after=0.5)
    started = time.monotonic()
    assert_plans_the_failback(after_cutover)
    elapsed = time.monotonic() - started
    assert statuses(server).count(429) == 2
    # Two Retry-After: 0.5 waits on one call; the plain backoff would have waited < 0.6 s.
    assert elapsed >= 1.0


def test_program_plans_correctly_on_slow_api_servers(after_cutover, source_cluster, dr_cluster):
    source_cluster.latency = dr_cluster.latency = 0.15
    outputs = assert_plans_the_failback(after_cutover)
    assert outputs["steps"]


def test_program_fails_on_a_site_slower_than_the_request_timeout(after_cutover, source_cluster,
                                                                 dr_cluster, short_deadline,
                                                                 monkeypatch):
    # An API server that accepts but never answers in time must not hang the preview.
    monkeypatch.setitem(cluster_client.connect.__kwdefaults__, "request_timeout", 0.3)
    dr_cluster.latency = 1.0
    started = time.monotonic()
    captured = run(after_cutover, stack="source")
    elapsed = time.monotonic() - started
    assert isinstance(captured.error, pulumi.RunError)
    message = str(captured.error)
    assert "site dr cannot be reached" in message
    assert "read namespace my-app-dr on site dr" in message
    assert "drstack:oldSiteUnreachable" in message
    assert elapsed < short_deadline + 3.0
    assert captured.registrations == []


def test_old_site_refusing_longer_than_the_deadline_fails_naming_site_call_and_flag(
        after_cutover, source_cluster, dr_cluster, short_deadline):
    dr_cluster.refuse_connections()  # dr is the old site of a failback
    started = time.monotonic()
    captured = run(after_cutover, stack="source")
    elapsed = time.monotonic() - started
    assert isinstance(captured.error, pulumi.RunError), captured.error
    message = str(captured.error)
    assert "site dr cannot be reached" in message
    assert "read namespace my-app-dr on site dr" in message  # the call
    assert "gave up after" in message and "refused" in message.lower()
    # The way out: the exact commands, in order, for the stack being run.
    commands = [line.strip() for line in message.splitlines() if line.strip().startswith("pulumi")]
    assert commands == [
        "pulumi config set -s source drstack:oldSiteUnreachable true",
        'pulumi up -s source -m "disaster switch to source: dr unreachable"',
        "pulumi config set -s source drstack:oldSiteUnreachable false",
        'pulumi up -s source -m "fence dr"',
    ]
    assert "Traceback" not in message
    assert elapsed < short_deadline + 2.0
    # Nothing was declared, nothing written on the reachable site.
    assert captured.registrations == []
    assert source_cluster.writes() == []


def test_new_site_refusing_fails_without_offering_the_disaster_flag(after_cutover, source_cluster,
                                                                    dr_cluster, short_deadline):
    source_cluster.refuse_connections()  # source is the site a failback makes active
    captured = run(after_cutover, stack="source")
    assert isinstance(captured.error, pulumi.RunError), captured.error
    message = str(captured.error)
    assert "site source (being made active) cannot be reached" in message
    assert "read namespace my-app on site source" in message
    assert "drstack:sourceKubeconfig" in message
    assert "oldSiteUnreachable true" not in message
    assert captured.registrations == []
    assert dr_cluster.writes() == []


def test_a_short_refusal_while_reading_is_ridden_out(after_cutover, source_cluster, dr_cluster):
    dr_cluster.refuse_connections(for_seconds=0.5)
    assert_plans_the_failback(after_cutover)


# ---- disaster cutover: the old site declared unreachable ------------------------------------


@pytest.fixture
def source_serving(source_cluster: FakeKubeServer, dr_cluster: FakeKubeServer, tmp_path):
    """Source serves (ledger generation 2), with a PVC per deployment: `-s dr` is a cutover."""
    pvcs = ("web-data",)
    populate(source_cluster, SOURCE_NS, deployments={"web": 3, "api": 2}, pvcs=pvcs,
             originals={"web": "3", "api": "2"}, ledger_annotations=ledger("source", 2))
    populate(dr_cluster, DR_NS, deployments={"web": 0, "api": 0}, pvcs=pvcs,
             originals={"web": "3", "api": "2"}, ledger_annotations=ledger("source", 2))
    return {**base_config(source_cluster, dr_cluster, tmp_path), "migratePvcData": True}


def refers_to_source(value: Any) -> bool:
    """True when a declared input targets the source site or its namespace anywhere.

    (A lease's ``fromSite`` only records where the switch started; the copy, which would read
    from the old site, is checked on its own.)
    """
    if isinstance(value, dict):
        if value.get("site") == "source" or value.get("namespace") == SOURCE_NS:
            return True
        return any(refers_to_source(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(refers_to_source(v) for v in value)
    return value == SOURCE_NS


def test_unreachable_old_site_without_the_flag_fails_naming_it(source_serving, source_cluster,
                                                               dr_cluster, short_deadline):
    source_cluster.refuse_connections()
    captured = run(source_serving, stack="dr")
    assert isinstance(captured.error, pulumi.RunError)
    assert "drstack:oldSiteUnreachable true" in str(captured.error)
    assert "site source cannot be reached" in str(captured.error)
    assert captured.registrations == [] and dr_cluster.writes() == []


@pytest.mark.parametrize("old_site_state", ["up", "refusing"])
def test_disaster_cutover_never_contacts_nor_declares_anything_for_the_old_site(
        old_site_state, source_serving, source_cluster, dr_cluster):
    if old_site_state == "refusing":
        source_cluster.refuse_connections()
    captured = run({**source_serving, "oldSiteUnreachable": True}, stack="dr")
    assert captured.error is None, captured.error

    # Not one request to the old site, even when it happens to answer.
    assert source_cluster.requests == []
    assert dr_cluster.writes() == []
    # No provider, component, patch, gate, copy or ledger for it.
    assert [r.name for r in captured.of_type(K8S_PROVIDER)] == ["dr"]
    for r in captured.registrations:
        assert not r.name.startswith("source"), r.name
        assert "site source" not in r.name, r.name
        assert not refers_to_source({k: v for k, v in r.inputs.items() if k != "__provider"}), (
            f"{r.name} ({r.type}) is declared against the unreachable source site")
    assert "source-drain" not in captured.names()
    # The copy step stays in the stack (as in steady state) but is inert: no pairs and no
    # transition, so its provider returns at once without pv-migrate or any cluster.
    for copy in [r for r in dynamic(captured) if r.name.startswith("pvc-copy")]:
        assert copy.inputs["pairs"] == [] and copy.inputs["transition"] == "none"
        props = {k: v for k, v in copy.inputs.items() if not k.startswith("__")}
        assert PvcMigrationProvider().create(props).outs["result"] == SKIPPED
    outputs = captured.outputs
    assert outputs["transition"] == "cutover"
    assert outputs["untouchedSites"] == ["source"]
    assert outputs["dataCopy"]["pairs"] == []
    assert "unreachable" in outputs["dataCopy"]["skippedBecause"]
    # The new site comes up at the recorded originals.
    assert {w["workload"]: w["dr"]["desired"] for w in outputs["workloads"]} == {
        "Deployment/web": 3, "Deployment/api": 2}
    # The operator is told, in the preview and in the outputs, to fence the old site.
    fence = [w for w in captured.messages("warning") if "fence" in w]
    assert fence and "drstack:oldSiteUnreachable" in fence[0] and "source" in fence[0]
    assert any("fence" in w and "source" in w for w in outputs["warnings"])


# ---- the gates, called directly ---------------------------------------------------------------

WEB_PODS = {"kind": "Deployment", "name": "web", "podLabels": {"app": "web"}}


def drain_props(**over: Any) -> dict:
    base = {"site": "source", "namespace": GATE_SOURCE_NS, "transition": "failback#5",
            "workloads": [WEB_PODS], "claims": [], "timeoutSeconds": 6.0}
    return {**base, **over}


def ready_props(**over: Any) -> dict:
    base = {"site": "dr", "namespace": GATE_DR_NS, "transition": "cutover#3",
            "workloads": [{"kind": "Deployment", "name": "web", "replicas": 2.0},
                          {"kind": "StatefulSet", "name": "db", "replicas": 1.0}],
            "timeoutSeconds": 6.0}
    return {**base, **over}


FAULTS = {
    "503 burst": lambda s: s.fail_next(4, 503, method="GET"),
    "429 retry-after": lambda s: s.fail_next(2, 429, method="GET", retry_after=0.2),
    "refused 0.5s": lambda s: s.refuse_connections(for_seconds=0.5),
}


def fault_mid_wait(server: FakeKubeServer, fault: str, then: Callable[[], None]) -> None:
    """After the gate's first request (a LIST), inject ``fault`` (it hits the watch that follows,
    or the next LIST); once two more answers got through it (a LIST again, and the watch after
    it), ``then`` (the test playing the controller). Counted in requests, so the same on any
    machine."""

    def inject() -> None:
        FAULTS[fault](server)
        server.after_requests(2, then, status=200)

    server.after_requests(1, inject)


@pytest.mark.parametrize("fault", list(FAULTS))
def test_drain_gate_rides_out_a_fault_mid_wait_and_still_finishes(fault, sites: Sites):
    src = sites.source
    src.put(objects.pod("web-7d9f8b6c5d-abcde", {"app": "web"}), GATE_SOURCE_NS)
    provider = configured(DrainGateProvider, sites.config)
    fault_mid_wait(src, fault, lambda: src.delete("Pod", GATE_SOURCE_NS, "web-7d9f8b6c5d-abcde"))
    outs = provider.create(drain_props()).outs
    assert outs["result"] == "drained"
    assert outs["podsAtStart"] == ["web-7d9f8b6c5d-abcde"]
    codes = statuses(src)
    if fault == "503 burst":
        assert codes.count(503) == 4
    elif fault == "429 retry-after":
        assert codes.count(429) == 2
    else:
        assert outs["waitedSeconds"] >= 0.5  # it waited through the refusal
    assert codes[-1] == 200
    assert write_paths(sites.source, sites.dr) == []


@pytest.mark.parametrize("fault", list(FAULTS))
def test_readiness_gate_rides_out_a_fault_mid_wait_and_still_finishes(fault, sites: Sites):
    dr = sites.dr
    dr.put(objects.deployment("web", 2), GATE_DR_NS)
    dr.put(objects.statefulset("db", 1, claim_templates=["data"]), GATE_DR_NS)
    provider = configured(ReadinessGateProvider, sites.config)
    fault_mid_wait(dr, fault, lambda: dr.make_ready(GATE_DR_NS))
    outs = provider.create(ready_props()).outs
    assert outs["result"] == "ready"
    assert set(outs["readySeconds"]) == {"Deployment/web", "StatefulSet/db"}
    codes = statuses(dr)
    if fault == "503 burst":
        assert codes.count(503) == 4
    elif fault == "429 retry-after":
        assert codes.count(429) == 2
    else:
        assert outs["siteReadySeconds"] >= 0.5
    assert write_paths(sites.source, sites.dr) == []


def test_drain_gate_on_a_cluster_that_stays_down_fails_clearly_near_its_timeout(sites: Sites):
    src = sites.source
    src.put(objects.pod("web-7d9f8b6c5d-abcde", {"app": "web"}), GATE_SOURCE_NS)
    provider = configured(DrainGateProvider, sites.config)
    src.after_requests(1, src.refuse_connections)  # mid-wait, for good
    started = time.monotonic()
    with pytest.raises(ClusterUnavailable) as caught:
        provider.create(drain_props(timeoutSeconds=1.5))
    elapsed = time.monotonic() - started
    message = str(caught.value)
    assert f"list pods in source namespace {GATE_SOURCE_NS} (drain gate)" in message
    assert "gave up after" in message and "refused" in message.lower()
    assert elapsed < 1.5 + 1.5, f"the gate overran its 1.5 s timeout: {elapsed:.1f}s"


def test_readiness_gate_on_a_cluster_that_stays_down_fails_clearly_near_its_timeout(
        sites: Sites):
    dr = sites.dr
    dr.put(objects.deployment("web", 2), GATE_DR_NS)
    dr.put(objects.statefulset("db", 1, claim_templates=["data"]), GATE_DR_NS)
    provider = configured(ReadinessGateProvider, sites.config)
    dr.after_requests(1, dr.refuse_connections)  # mid-wait, for good
    started = time.monotonic()
    with pytest.raises(ClusterUnavailable) as caught:
        provider.create(ready_props(timeoutSeconds=1.5))
    elapsed = time.monotonic() - started
    message = str(caught.value)
    assert f"in dr namespace {GATE_DR_NS} (readiness gate)" in message
    assert "gave up after" in message and "refused" in message.lower()
    assert elapsed < 1.5 + 1.5, f"the gate overran its 1.5 s timeout: {elapsed:.1f}s"


def test_gates_only_read(sites: Sites):
    """409 handling applies to writes; the gates (like the program's reader) never write."""
    sites.source.conflict_next(5)
    sites.dr.conflict_next(5)
    sites.dr.put(objects.deployment("web", 2), GATE_DR_NS)
    sites.dr.put(objects.statefulset("db", 1, claim_templates=["data"]), GATE_DR_NS)
    sites.dr.make_ready(GATE_DR_NS)
    configured(DrainGateProvider, sites.config).create(drain_props())
    configured(ReadinessGateProvider, sites.config).create(ready_props())
    assert write_paths(sites.source, sites.dr) == []
    assert all(r.status == 200 for r in sites.source.requests + sites.dr.requests)


@pytest.fixture
def hung_api_server() -> Iterator[str]:
    """A URL whose server accepts connections (the kernel completes them) but never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


@pytest.mark.parametrize("gate", ["drain", "readiness"])
def test_gate_on_a_hung_api_server_fails_near_its_timeout(gate, sites: Sites, hung_api_server,
                                                          tmp_path):
    """An API server that accepts connections but never answers (the per-request timeout is
    15 s) must not hold a 1 s gate for 15 s."""
    config = dict(sites.config)
    for site, context in (("source", "source-ctx"), ("dr", "dr-ctx")):
        doc = sites.cluster(site).kubeconfig_dict(context)
        doc["clusters"][0]["cluster"]["server"] = hung_api_server
        path = tmp_path / f"hung-{site}.yaml"
        path.write_text(yaml.safe_dump(doc))
        config[f"drstack:{site}Kubeconfig"] = str(path)
    if gate == "drain":
        provider, props = configured(DrainGateProvider, config), drain_props
    else:
        provider, props = configured(ReadinessGateProvider, config), ready_props
    started = time.monotonic()
    with pytest.raises(ClusterUnavailable) as caught:
        provider.create(props(timeoutSeconds=1.0))
    elapsed = time.monotonic() - started
    assert f"({gate} gate)" in str(caught.value)
    assert "timed out" in str(caught.value).lower()
    assert elapsed < 1.0 + 1.5, f"a 1 s gate took {elapsed:.1f}s on a hung API server"
