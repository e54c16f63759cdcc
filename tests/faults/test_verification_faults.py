"""Faults after the readiness gate: a Service without ready endpoints, URLs that answer 503,
refuse, answer another status or hang; API faults under the Service gate; and the order that
keeps a failed verification from recording anything (the ledger is written last)."""

from __future__ import annotations

import time

import pytest

from drstack.providers import (
    ServiceGateProvider,
    ServiceTimeout,
    UrlProbeProvider,
    UrlsNotAnswering,
)
from drstack.testing.fakekube import FakeKubeServer, objects
from drstack.testing.scenario import DR_NS, SOURCE_NS, base_config, ledger, populate
from drstack.testing.scripted_http import ScriptedHttpServer, refusing_port
from tests.faults import NAMESPACE_PATCH, run, write_paths
from tests.faults.test_api_faults import (  # noqa: F401 - hung_api_server is a fixture
    FAULTS,
    fault_mid_wait,
    hung_api_server,
    statuses,
)
from tests.providers.sites import DR_NS as GATE_DR_NS
from tests.providers.sites import Sites, configured

PASSWORD = "fault-pa55-51c0"


def gate_props(**over: object) -> dict:
    base = {"site": "dr", "namespace": GATE_DR_NS, "transition": "cutover#3",
            "workloads": [{"kind": kind, "name": name, "replicas": replicas,
                           "templateLabels": {"app": name}}
                          for kind, name, replicas in (("Deployment", "web", 3),
                                                       ("Deployment", "api", 1),
                                                       ("StatefulSet", "db", 1))],
            "timeoutSeconds": 20.0}
    return {**base, **over}


def probe_props(url: str, expect: str = "2xx", **over: object) -> dict:
    base = {"site": "dr", "transition": "cutover#3", "urls": [{"url": url, "expect": expect}],
            "timeoutSeconds": 0.3, "intervalSeconds": 0.01}
    return {**base, **over}


def put_services(sites: Sites) -> None:
    for name in ("web", "api", "db"):
        sites.dr.put(objects.service(name), GATE_DR_NS)


def test_a_service_that_never_gets_ready_endpoints_fails_naming_it_and_its_counts(sites: Sites):
    put_services(sites)
    dr = sites.dr
    # web: one of three pods ready; api: no slice at all; db: all there.
    dr.put(objects.endpoint_slice("web-x1", "web", ready=1, not_ready=2), GATE_DR_NS)
    dr.put(objects.endpoint_slice("db-x1", "db", ready=1), GATE_DR_NS)
    provider = configured(ServiceGateProvider, sites.config)
    with pytest.raises(ServiceTimeout) as caught:
        provider.create(gate_props(timeoutSeconds=0.5))
    text = str(caught.value)
    assert ("2 of 3 Service(s) in namespace shop-dr on the dr site have fewer ready endpoints "
            "than pods after 0.5s") in text
    rows = {line.split()[0]: line.split() for line in text.splitlines() if line.startswith("  ")}
    assert rows["web"][2:5] == ["1/3", "3", "2"] and rows["api"][2:5] == ["0/0", "1", "1"]
    assert rows["db"][2:] == ["1/1", "1", "ok"]
    assert "the ledger is not written" in text
    assert write_paths(sites.source, sites.dr) == []


@pytest.mark.parametrize("fault", list(FAULTS))
def test_service_gate_rides_out_a_fault_mid_wait_and_still_finishes(fault, sites: Sites):
    put_services(sites)
    dr = sites.dr
    for workload in (objects.deployment("web", 3), objects.deployment("api", 1),
                     objects.statefulset("db", 1)):
        dr.put(workload, GATE_DR_NS)

    def controllers() -> None:
        dr.sync_pods(GATE_DR_NS)
        dr.sync_endpoint_slices(GATE_DR_NS)

    provider = configured(ServiceGateProvider, sites.config)
    fault_mid_wait(dr, fault, controllers)
    outs = provider.create(gate_props()).outs
    assert outs["services"] == {name: {"ready": n, "total": n, "expected": n}
                                for name, n in (("api", 1), ("db", 1), ("web", 3))}
    codes = statuses(dr)
    if fault == "503 burst":
        assert codes.count(503) == 4
    elif fault == "429 retry-after":
        assert codes.count(429) == 2
    else:
        assert outs["waitedSeconds"] >= 0.5  # it waited through the refusal
    assert write_paths(sites.source, sites.dr) == []


def test_a_url_answering_503_fails_naming_it_and_its_last_status():
    with ScriptedHttpServer(then=503) as server:
        url = server.url("/health", userinfo=f"ops:{PASSWORD}")
        with pytest.raises(UrlsNotAnswering) as caught:
            UrlProbeProvider().create(probe_props(url))
    text = str(caught.value)
    assert f"http://127.0.0.1:{server.port}/health: expected 2xx, last answer 503 " \
           "Service Unavailable" in text
    assert PASSWORD not in text


def test_an_unreachable_url_fails_naming_it_and_the_error():
    sock, port = refusing_port()
    with sock, pytest.raises(UrlsNotAnswering) as caught:
        UrlProbeProvider().create(probe_props(f"http://127.0.0.1:{port}/health"))
    assert (f"http://127.0.0.1:{port}/health: expected 2xx, last error: "
            "ConnectionRefusedError: Connection refused") in str(caught.value)


def test_a_url_answering_another_status_than_expected_fails_naming_both():
    with ScriptedHttpServer(then=200) as server:
        with pytest.raises(UrlsNotAnswering) as caught:
            UrlProbeProvider().create(probe_props(server.url("/legacy"), "301"))
    assert (f"http://127.0.0.1:{server.port}/legacy: expected 301, last answer 200 OK"
            in str(caught.value))


@pytest.fixture
def hung_url(request: pytest.FixtureRequest) -> str:
    """A server that accepts connections (the kernel completes them) but never answers."""
    return f"{request.getfixturevalue('hung_api_server')}/health"


def test_a_url_that_never_answers_fails_near_the_timeout(hung_url):
    started = time.monotonic()
    with pytest.raises(UrlsNotAnswering) as caught:
        UrlProbeProvider().create(probe_props(hung_url, timeoutSeconds=1.0))
    elapsed = time.monotonic() - started
    assert f"{hung_url}: expected 2xx, last error: no answer within 1s" in str(caught.value)
    assert elapsed < 1.0 + 2.5, f"a 1 s probe took {elapsed:.1f}s on a silent server"


def test_the_ledger_waits_for_the_verification_so_a_failure_records_nothing(
        source_cluster: FakeKubeServer, dr_cluster: FakeKubeServer, tmp_path):
    # The engine runs a resource only after those it depends on succeeded: with the ledger
    # after the URL probe, a probe that fails leaves the ledger and the lease as they were, and
    # the same `pulumi up` re-plans the same switch (shown on the real engine in
    # tests/e2e/test_verification.py).
    populate(source_cluster, SOURCE_NS, deployments={"web": 3}, ledger_annotations=ledger(
        "source", 2))
    populate(dr_cluster, DR_NS, deployments={"web": 0}, ledger_annotations=ledger("source", 2))
    config = {**base_config(source_cluster, dr_cluster, tmp_path),
              "verifyUrls": ["https://shop.example/health"]}
    captured = run(config, stack="dr")
    assert captured.error is None, captured.error
    ready, gate, probe = (captured.named(n) for n in ("dr-ready", "dr-services", "dr-urls"))
    assert gate.dependencies == [ready.urn] and probe.dependencies == [gate.urn]
    for ledger_patch in captured.of_type(NAMESPACE_PATCH):
        assert ledger_patch.dependencies == [probe.urn]
    assert write_paths(source_cluster, dr_cluster) == []
