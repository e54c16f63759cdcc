"""The verify step as the program declares it (under Pulumi's mocks: no provider runs)."""

from __future__ import annotations

import pytest

from drstack.testing.fakekube import objects as k8s
from drstack.testing.harness import ProgramRun, run_program
from drstack.testing.scenario import DR_NS, SOURCE_NS, base_config, ledger, populate
from tests.faults import SECRET_SIG, SIG_KEY, dump, without_secrets

NAMESPACE_PATCH = "kubernetes:core/v1:NamespacePatch"
PASSWORD = "prog-pa55-4d7f"


@pytest.fixture
def after_cutover(source_cluster, dr_cluster, tmp_path):
    """DR serves since generation 4; ``batch`` runs nowhere and has an original of 0."""
    for cluster, ns, counts in ((source_cluster, SOURCE_NS, (0, 0, 0)),
                                (dr_cluster, DR_NS, (3, 2, 1))):
        populate(cluster, ns, deployments={"web": counts[0], "api": counts[1], "batch": 0},
                 statefulsets={"db": counts[2]}, originals={"web": "3", "api": "2", "db": "1"},
                 ledger_annotations=ledger("dr", 4))
    # On source, web's pods carry a label its selector does not name.
    web = k8s.deployment("web", 0, annotations={"dr-syncer.io/original-replicas": "3"})
    web["spec"]["template"]["metadata"]["labels"]["tier"] = "front"
    source_cluster.put(web, SOURCE_NS)
    return {**base_config(source_cluster, dr_cluster, tmp_path),
            "replicaOverrides": ["Deployment/batch=0"]}


def failback(config, **extra) -> ProgramRun:
    return run_program({**config, **extra}, stack="source", preview=False)


def test_the_service_gate_follows_the_readiness_gate_with_the_new_sites_pod_labels(
        after_cutover):
    run = failback(after_cutover, readinessTimeout="7m")

    ready, gate = run.named("source-ready"), run.named("source-services")
    assert gate.type == "pulumi-python:dynamic/drstack:ServiceGate"
    assert gate.parent == ready.parent and gate.dependencies == [ready.urn]
    inputs = {k: v for k, v in gate.inputs.items() if k not in ("__provider", "recovery")}
    assert gate.inputs["recovery"]["transition"] == "failback#5"  # its failure's ways out
    assert inputs == {
        "site": "source", "namespace": SOURCE_NS, "transition": "failback#5",
        "timeoutSeconds": 420.0,  # drstack:readinessTimeout
        # batch runs 0 replicas: no Service of it is waited for.
        "workloads": [
            {"kind": "Deployment", "name": "api", "replicas": 2, "templateLabels": {"app": "api"}},
            {"kind": "Deployment", "name": "web", "replicas": 3,
             "templateLabels": {"app": "web", "tier": "front"}},
            {"kind": "StatefulSet", "name": "db", "replicas": 1, "templateLabels": {"app": "db"}}]}
    assert run.outputs["steps"][-2:] == ["ready source", "verify source"]
    for ledger_patch in run.of_type(NAMESPACE_PATCH):
        assert ledger_patch.dependencies == [gate.urn]
    assert [r.name for r in run.registrations if r.name.endswith("-urls")] == []


def test_verify_urls_are_probed_after_the_service_gate_and_before_the_ledger(after_cutover):
    run = failback(after_cutover, verifyUrls=["https://shop.example/health",
                                              "http://10.0.0.7:8080/ready=204"],
                   verifyTimeout="2m")

    gate, probe = run.named("source-services"), run.named("source-urls")
    assert probe.type == "pulumi-python:dynamic/drstack:UrlProbe"
    assert probe.dependencies == [gate.urn] and probe.parent == gate.parent
    inputs = {k: v for k, v in probe.inputs.items() if k not in ("__provider", "recovery")}
    assert probe.inputs["recovery"]["toSite"] == "source"
    assert inputs == {"site": "source", "transition": "failback#5", "timeoutSeconds": 120.0,
                      "intervalSeconds": 2.0,
                      "urls": [{"url": "https://shop.example/health", "expect": "2xx"},
                               {"url": "http://10.0.0.7:8080/ready", "expect": "204"}]}
    for ledger_patch in run.of_type(NAMESPACE_PATCH):
        assert ledger_patch.dependencies == [probe.urn]


def test_the_outputs_wait_for_the_step_that_saw_them(after_cutover):
    run = failback(after_cutover, verifyUrls=["https://shop.example/health"])
    gate, probe = run.named("source-services").urn, run.named("source-urls").urn
    assert run.waits_for["verifiedAt"] == [probe]
    assert run.waits_for["serviceEndpoints"] == [gate]
    assert run.waits_for["urlProbes"] == [probe]

    without = failback(after_cutover)
    assert without.waits_for["verifiedAt"] == [without.named("source-services").urn]
    assert without.outputs["urlProbes"] == []


def test_the_plan_table_says_what_the_verify_step_waits_for(after_cutover):
    run = run_program({**after_cutover, "verifyUrls": [
        f"https://ops:{PASSWORD}@shop.example/health?token=t0k", "https://shop.example/=301"]},
        stack="source", secret_keys=("verifyUrls",))
    table = next(m for m in run.messages("info") if m.startswith("drstack: failback"))
    assert table.splitlines()[0].endswith("ready source, verify source, ledger")
    assert table.splitlines()[-1] == (
        "verify source: each Service that selects a switched workload has a ready endpoint per "
        "pod; then, asked from this machine: https://shop.example/health?… -> 2xx, "
        "https://shop.example/ -> 301")
    bare = run_program(after_cutover, stack="source")
    assert next(m for m in bare.messages("info") if m.startswith("drstack: failback")
                ).splitlines()[-1].endswith("a ready endpoint per pod (no drstack:verifyUrls)")


def test_a_steady_run_declares_the_step_inert_and_prints_no_verify_line(after_cutover):
    run = run_program({**after_cutover, "verifyUrls": ["https://shop.example/"]}, stack="dr")
    for name in ("dr-services", "dr-urls"):
        assert run.named(name).inputs["transition"] == "none"
    table = next(m for m in run.messages("info") if m.startswith("drstack: nothing to do"))
    assert "verify" not in table


def test_warm_verifies_the_new_site_before_the_old_one_goes_down(after_cutover):
    run = failback(after_cutover, strategy="warm", verifyUrls=["https://shop.example/"])
    assert run.named("dr-scale").dependencies == [run.named("source-urls").urn]


def test_a_url_with_credentials_is_a_secret_input_and_never_shown(after_cutover):
    url = f"https://ops:{PASSWORD}@shop.example/health"
    run = run_program({**after_cutover, "verifyUrls": [url]}, stack="source", preview=False,
                      secret_keys=("verifyUrls",))

    wire = run.named("source-urls").wire["urls"]
    assert wire[SIG_KEY] == SECRET_SIG
    everything_shown = dump([without_secrets(r.wire) for r in run.registrations]) + dump(
        run.outputs) + dump(run.logs)
    assert PASSWORD not in everything_shown
    # A query may hold a token: secret too, even when the key is not.
    query = failback(after_cutover, verifyUrls=["https://shop.example/health?token=t0k"])
    assert query.named("source-urls").wire["urls"][SIG_KEY] == SECRET_SIG
    plain = failback(after_cutover, verifyUrls=["https://shop.example/health"])
    assert SIG_KEY not in dump(plain.named("source-urls").wire["urls"])
