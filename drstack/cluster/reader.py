"""Read one site's namespace into a SiteSnapshot with a constant number of requests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from drstack import annotation_keys as ann
from drstack.cluster.raw import Obj, get, json_body
from drstack.cluster.retry import call
from drstack.model import (
    CopyRecord,
    Kind,
    Lease,
    Ledger,
    LivePvc,
    LiveWorkload,
    Site,
    SiteConfig,
    SiteSnapshot,
    SnapshotApi,
    WorkloadRef,
)


def read_site(
    api: k8s.ApiClient,
    site: SiteConfig,
    *,
    selector: str | None,
    excluded: frozenset[WorkloadRef],
    deadline: float = 60.0,
    count_ready_nodes: bool = False,
    read_snapshot_api: bool = False,
) -> SiteSnapshot:
    """GET the namespace, then LIST deployments, statefulsets and PVCs: four requests in all,
    and a fifth, LIST nodes, with ``count_ready_nodes`` (for the site being made active).

    A missing namespace gives ``namespace_exists=False`` after the one GET.
    Raises ClusterUnavailable (from drstack.cluster.retry) when the site cannot be reached.
    """
    ns = site.namespace
    where = f"in namespace {ns} on site {site.site}"

    def fetch(what: str, path: str, **query: str) -> Obj:
        def once() -> Obj:
            response = get(api, path, **query)
            try:
                return json_body(response)
            finally:
                response.release_conn()

        return call(once, what=what, deadline=deadline)

    try:
        namespace = fetch(f"read namespace {ns} on site {site.site}", f"/api/v1/namespaces/{ns}")
    except ApiException as error:
        if error.status == 404:
            return SiteSnapshot(site=site.site, namespace=ns, namespace_exists=False)
        raise
    listing = {} if selector is None else {"labelSelector": selector}
    apps = f"/apis/apps/v1/namespaces/{ns}"
    # The LISTs go out at once: the site's answer takes one round trip, not four.
    with ThreadPoolExecutor(max_workers=4) as pool:
        deployments_ = pool.submit(fetch, f"list deployments {where}", f"{apps}/deployments",
                                   **listing)
        statefulsets_ = pool.submit(fetch, f"list statefulsets {where}", f"{apps}/statefulsets",
                                    **listing)
        # PVCs are listed whole: claims rarely carry the workloads' labels.
        pvcs_ = pool.submit(fetch, f"list persistentvolumeclaims {where}",
                            f"/api/v1/namespaces/{ns}/persistentvolumeclaims")
        nodes_ = pool.submit(_ready_nodes, fetch, site) if count_ready_nodes else None
        snapshot_api_ = (pool.submit(_snapshot_api, fetch, site) if read_snapshot_api
                         else None)
        deployments, statefulsets, pvcs = (deployments_.result(), statefulsets_.result(),
                                           pvcs_.result())
        ready_nodes = nodes_.result() if nodes_ is not None else None
        snapshot_api = snapshot_api_.result() if snapshot_api_ is not None else None

    workloads = [
        workload_from(Kind.DEPLOYMENT, item) for item in deployments.get("items") or []
    ] + [workload_from(Kind.STATEFUL_SET, item) for item in statefulsets.get("items") or []]
    return SiteSnapshot(
        site=site.site,
        namespace=ns,
        ready_nodes=ready_nodes,
        snapshot_api=snapshot_api,
        workloads=tuple(sorted((w for w in workloads if w.ref not in excluded),
                               key=lambda w: w.ref)),
        pvcs=tuple(
            sorted(
                (
                    LivePvc(
                        name=item["metadata"]["name"],
                        phase=(item.get("status") or {}).get("phase") or "Pending",
                    )
                    for item in pvcs.get("items") or []
                ),
                key=lambda p: p.name,
            )
        ),
        ledger=parse_ledger((namespace.get("metadata") or {}).get("annotations") or {}),
    )


def workload_from(kind: Kind, obj: Mapping[str, Any]) -> LiveWorkload:
    """Map a Deployment/StatefulSet (raw JSON) to a LiveWorkload."""
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    pod_spec = (spec.get("template") or {}).get("spec") or {}
    containers = list(pod_spec.get("containers") or []) + list(pod_spec.get("initContainers") or [])
    replicas = spec.get("replicas")
    return LiveWorkload(
        ref=WorkloadRef(kind, meta["name"]),
        # Kubernetes defaults an absent spec.replicas to 1.
        replicas=1 if replicas is None else int(replicas),
        original_annotation=(meta.get("annotations") or {}).get(ann.ORIGINAL_REPLICAS),
        images=tuple(c.get("image") or "" for c in containers),
        claim_names=tuple(
            v["persistentVolumeClaim"]["claimName"]
            for v in pod_spec.get("volumes") or []
            if (v.get("persistentVolumeClaim") or {}).get("claimName")
        ),
        claim_templates=tuple(
            (t.get("metadata") or {}).get("name") or ""
            for t in spec.get("volumeClaimTemplates") or []
        ),
        pod_labels=tuple(sorted(((spec.get("selector") or {}).get("matchLabels") or {}).items())),
        template_labels=tuple(sorted(
            (((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}).items())),
    )


def parse_ledger(annotations: Mapping[str, str]) -> Ledger:
    """The ledger from a namespace's annotations; malformed values read as unrecorded."""
    active = annotations.get(ann.LEDGER_ACTIVE_SITE)
    generation = annotations.get(ann.LEDGER_GENERATION, "")
    return Ledger(
        active_site=Site(active) if active in (Site.SOURCE.value, Site.DR.value) else None,
        generation=int(generation) if generation.isascii() and generation.isdigit() else 0,
        switched_at=annotations.get(ann.LEDGER_SWITCHED_AT),
        stack=annotations.get(ann.LEDGER_STACK),
        transition=annotations.get(ann.LEDGER_TRANSITION),
        fenced_at=annotations.get(ann.LEDGER_FENCED_AT),
        snapshots=annotations.get(ann.LEDGER_SNAPSHOTS),
        lease=Lease.parse(annotations.get(ann.LEDGER_LEASE)),
        copied=CopyRecord.parse(annotations.get(ann.COPY_RECORD)),
    )


def _snapshot_api(fetch: Callable[..., Obj], site: SiteConfig) -> SnapshotApi:
    """One LIST of VolumeSnapshotClasses: 404, the API is not served; 403, not listable."""
    try:
        classes = fetch(f"list volumesnapshotclasses on site {site.site}",
                        "/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses")
    except ApiException as error:
        if error.status == 404:
            return SnapshotApi(served=False)
        if error.status in (401, 403):
            return SnapshotApi(served=True)
        raise
    names, default = [], None
    for item in classes.get("items") or []:
        meta = item.get("metadata") or {}
        names.append(str(meta.get("name")))
        if (meta.get("annotations") or {}).get(
                "snapshot.storage.kubernetes.io/is-default-class") == "true":
            default = str(meta.get("name"))
    return SnapshotApi(served=True, classes=tuple(sorted(names)), default_class=default)


def _ready_nodes(fetch: Callable[..., Obj], site: SiteConfig) -> int | None:
    """How many nodes are Ready; None when this kubeconfig may not list nodes (cluster-scoped)."""
    try:
        nodes = fetch(f"list nodes on site {site.site}", "/api/v1/nodes")
    except ApiException as error:
        if error.status in (401, 403):
            return None
        raise
    return sum(
        1
        for node in nodes.get("items") or []
        if any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (node.get("status") or {}).get("conditions") or [])
    )
