"""read_site against two fake clusters with the real kubernetes client."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kubernetes import client as k8s

from drstack import annotation_keys as ann
from drstack.cluster.client import connect
from drstack.cluster.reader import read_site
from drstack.cluster.retry import ClusterUnavailable, update_with_conflict_retry
from drstack.model import (
    Kind,
    Lease,
    LivePvc,
    LiveWorkload,
    Site,
    SiteConfig,
    SnapshotApi,
    WorkloadRef,
)
from drstack.testing.fakekube import FakeKubeServer, objects

NS = "shop"


def site_config(server: FakeKubeServer, site: Site, tmp_path: Path) -> SiteConfig:
    path = server.write_kubeconfig(tmp_path / f"{site}.yaml", context=f"{site}-ctx")
    return SiteConfig(site=site, kubeconfig=str(path), context=f"{site}-ctx", namespace=NS)


def populate(server: FakeKubeServer, ledger: dict[str, str] | None = None, extra: int = 0) -> None:
    server.put(objects.namespace(NS, annotations=ledger))
    web = objects.deployment("web", 3, labels={"part-of": "shop"}, image="web:2",
                             claim_names=["uploads"], annotations={ann.ORIGINAL_REPLICAS: "3"})
    # Its pods get a label its selector does not name: a Service may select on it.
    web["spec"]["template"]["metadata"]["labels"]["tier"] = "frontend"
    server.put(web, namespace=NS)
    server.put(objects.deployment("worker", 0, labels={"part-of": "shop"}), namespace=NS)
    server.put(
        objects.statefulset("db", 2, labels={"part-of": "shop"}, image="pg:16",
                            claim_templates=["data"]),
        namespace=NS,
    )
    server.put(objects.pvc("uploads"), namespace=NS)
    for i in range(extra):
        server.put(objects.deployment(f"extra-{i:03d}", 1, labels={"part-of": "shop"}),
                   namespace=NS)
    server.sync_pods(NS)  # creates the StatefulSet's claims, as its controller would


def test_snapshots_of_both_sites(
    source_cluster: FakeKubeServer, dr_cluster: FakeKubeServer, tmp_path: Path
) -> None:
    lease = json.dumps({"holder": "stack-a", "acquiredAt": "2025-01-01T00:00:00Z"})
    populate(source_cluster, {
        ann.LEDGER_ACTIVE_SITE: "source", ann.LEDGER_GENERATION: "4",
        ann.LEDGER_SWITCHED_AT: "2025-01-01T00:00:00Z", ann.LEDGER_STACK: "org/drstack/dr",
        ann.LEDGER_TRANSITION: "failback", ann.LEDGER_LEASE: lease,
    })
    dr_cluster.put(objects.namespace(NS, annotations={
        ann.LEDGER_ACTIVE_SITE: "elsewhere", ann.LEDGER_GENERATION: "x", ann.LEDGER_LEASE: "{oops",
    }))
    dr_cluster.put(objects.pvc("uploads", phase="Pending"), namespace=NS)
    src_site = site_config(source_cluster, Site.SOURCE, tmp_path)
    dr_site = site_config(dr_cluster, Site.DR, tmp_path)

    src = read_site(connect(src_site), src_site, selector=None, excluded=frozenset())
    dr = read_site(connect(dr_site), dr_site, selector=None, excluded=frozenset())

    assert (src.site, src.namespace, src.namespace_exists, src.reachable) == (
        Site.SOURCE, NS, True, True)
    assert src.workloads == (
        LiveWorkload(
            WorkloadRef(Kind.DEPLOYMENT, "web"), 3, original_annotation="3", images=("web:2",),
            claim_names=("uploads",), pod_labels=(("app", "web"),),
            template_labels=(("app", "web"), ("tier", "frontend")),
        ),
        LiveWorkload(WorkloadRef(Kind.DEPLOYMENT, "worker"), 0, images=("app:1",),
                     pod_labels=(("app", "worker"),), template_labels=(("app", "worker"),)),
        LiveWorkload(
            WorkloadRef(Kind.STATEFUL_SET, "db"), 2, images=("pg:16",), claim_templates=("data",),
            pod_labels=(("app", "db"),), template_labels=(("app", "db"),),
        ),
    )
    assert src.pvcs == (LivePvc("data-db-0"), LivePvc("data-db-1"), LivePvc("uploads"))
    assert src.ledger.active_site is Site.SOURCE and src.ledger.generation == 4
    assert src.ledger.transition == "failback" and src.ledger.stack == "org/drstack/dr"
    assert src.ledger.lease == Lease("stack-a", "2025-01-01T00:00:00Z")

    assert dr.workloads == () and dr.pvcs == (LivePvc("uploads", "Pending"),)
    assert not dr.ledger.recorded and dr.ledger.generation == 0 and dr.ledger.lease is None


def test_selector_and_exclusions(source_cluster: FakeKubeServer, tmp_path: Path) -> None:
    populate(source_cluster)
    source_cluster.put(objects.deployment("unrelated", 1), namespace=NS)
    unset = objects.deployment("defaulted", 1, labels={"part-of": "shop"})
    del unset["spec"]["replicas"]
    source_cluster.put(unset, namespace=NS)
    site = site_config(source_cluster, Site.SOURCE, tmp_path)
    snap = read_site(
        connect(site), site, selector="part-of=shop",
        excluded=frozenset({WorkloadRef(Kind.DEPLOYMENT, "worker")}),
    )
    assert [str(w.ref) for w in snap.workloads] == [
        "Deployment/defaulted", "Deployment/web", "StatefulSet/db"]
    assert snap.workloads[0].replicas == 1  # Kubernetes' default for an absent spec.replicas
    assert all("labelSelector=part-of" in "&".join(f"{k}={v}" for k, v in r.query.items())
               for r in source_cluster.requests if r.path.endswith(("deployments", "statefulsets")))


def test_request_count_does_not_grow_with_workloads(
    source_cluster: FakeKubeServer, dr_cluster: FakeKubeServer, tmp_path: Path
) -> None:
    populate(source_cluster)
    populate(dr_cluster, extra=297)
    counts = []
    for server, site in ((source_cluster, Site.SOURCE), (dr_cluster, Site.DR)):
        config = site_config(server, site, tmp_path)
        snap = read_site(connect(config), config, selector=None, excluded=frozenset())
        counts.append((len(snap.workloads), server.count(), server.count("GET")))
    assert counts == [(3, 4, 4), (300, 4, 4)]


def test_missing_namespace_is_one_request(source_cluster: FakeKubeServer, tmp_path: Path) -> None:
    site = site_config(source_cluster, Site.SOURCE, tmp_path)
    snap = read_site(connect(site), site, selector=None, excluded=frozenset())
    assert not snap.namespace_exists and snap.workloads == () and source_cluster.count() == 1


def test_503_burst_is_retried(source_cluster: FakeKubeServer, tmp_path: Path) -> None:
    populate(source_cluster)
    source_cluster.fail_next(3, status=503, path_contains="statefulsets")
    site = site_config(source_cluster, Site.SOURCE, tmp_path)
    snap = read_site(connect(site), site, selector=None, excluded=frozenset())
    assert len(snap.workloads) == 3
    statefulset_lists = [r.status for r in source_cluster.requests if "statefulsets" in r.path]
    assert statefulset_lists == [503, 503, 503, 200]


def test_refused_connection_past_the_deadline(dr_cluster: FakeKubeServer, tmp_path: Path) -> None:
    populate(dr_cluster)
    site = site_config(dr_cluster, Site.DR, tmp_path)
    api = connect(site)
    dr_cluster.refuse_connections()
    with pytest.raises(ClusterUnavailable) as exc:
        read_site(api, site, selector=None, excluded=frozenset(), deadline=0.5)
    message = str(exc.value)
    assert message.startswith(f"read namespace {NS} on site dr: gave up after")
    assert "refused" in message.lower() and exc.value.attempts >= 2
    dr_cluster.accept_connections()
    assert read_site(api, site, selector=None, excluded=frozenset()).namespace_exists


def test_conflict_on_update_rereads_then_succeeds(source_cluster: FakeKubeServer,
                                                  tmp_path: Path) -> None:
    populate(source_cluster)
    site = site_config(source_cluster, Site.SOURCE, tmp_path)
    core = k8s.CoreV1Api(connect(site))
    source_cluster.conflict_next(1, path_contains=f"/namespaces/{NS}")

    def mutate(ns: k8s.V1Namespace) -> k8s.V1Namespace:
        ns.metadata.annotations = {**(ns.metadata.annotations or {}), ann.LEDGER_GENERATION: "1"}
        return ns

    result = update_with_conflict_retry(
        lambda: core.read_namespace(NS), mutate, lambda ns: core.replace_namespace(NS, ns),
        what=f"namespace {NS} on site source",
    )
    assert result.metadata.annotations[ann.LEDGER_GENERATION] == "1"
    assert [(r.method, r.status) for r in source_cluster.requests] == [
        ("GET", 200), ("PUT", 409), ("GET", 200), ("PUT", 200),
    ]


def test_ready_nodes_are_counted_only_when_asked_and_forbidden_means_unknown(
    source_cluster: FakeKubeServer, tmp_path: Path
) -> None:
    populate(source_cluster)
    source_cluster.put(objects.node("n1"))
    source_cluster.put(objects.node("n2", ready=False))
    site = site_config(source_cluster, Site.SOURCE, tmp_path)
    api = connect(site)
    try:
        plain = read_site(api, site, selector=None, excluded=frozenset())
        assert plain.ready_nodes is None and source_cluster.count(path_contains="/nodes") == 0
        counted = read_site(api, site, selector=None, excluded=frozenset(), count_ready_nodes=True)
        assert counted.ready_nodes == 1
        # A namespace-scoped kubeconfig may not list nodes: that is not a failure.
        source_cluster.fail_next(1, status=403, path_contains="/nodes")
        forbidden = read_site(api, site, selector=None, excluded=frozenset(),
                              count_ready_nodes=True)
        assert forbidden.ready_nodes is None
    finally:
        api.close()


@pytest.mark.parametrize("fault, expected", [
    (None, SnapshotApi(served=True, classes=("csi-fast", "csi-standard"),
                       default_class="csi-standard")),
    (404, SnapshotApi(served=False)),  # no external-snapshotter CRDs
    (403, SnapshotApi(served=True, classes=None)),  # this kubeconfig may not list them
])
def test_the_snapshot_api_is_read_only_when_asked(source_cluster: FakeKubeServer, tmp_path: Path,
                                                  fault: int | None,
                                                  expected: SnapshotApi) -> None:
    populate(source_cluster)
    for name, default in (("csi-standard", True), ("csi-fast", False)):
        source_cluster.put({
            "apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshotClass",
            "metadata": {"name": name, "annotations": {
                "snapshot.storage.kubernetes.io/is-default-class": str(default).lower()}},
            "driver": "hostpath.csi.k8s.io", "deletionPolicy": "Retain"})
    if fault:
        source_cluster.fail_next(1, status=fault, path_contains="volumesnapshotclasses")
    config = site_config(source_cluster, Site.SOURCE, tmp_path)

    plain = read_site(connect(config), config, selector=None, excluded=frozenset())
    asked = read_site(connect(config), config, selector=None, excluded=frozenset(),
                      read_snapshot_api=True)

    assert plain.snapshot_api is None
    assert asked.snapshot_api == expected
