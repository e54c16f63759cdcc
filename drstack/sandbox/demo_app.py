"""The demo application of the failback tutorial, on a local cluster.

On the site that serves it runs at its counts; on the other it is deployed at 0 with each
count recorded in ``dr-syncer.io/original-replicas``, as DR-Syncer leaves a DR namespace.
Every claim is bound to a static PV (no provisioner runs on a kwok cluster).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from drstack.annotation_keys import ORIGINAL_REPLICAS

SOURCE_NAMESPACE = "my-app"
DR_NAMESPACE = "my-app-dr"
CLAIM_TEMPLATE = "data"


@dataclass(frozen=True)
class DemoWorkload:
    kind: str  # Deployment | StatefulSet
    name: str
    replicas: int
    image: str


DEMO_WORKLOADS = (
    DemoWorkload("Deployment", "web", 3, "registry.example/shop/web:1.4.2"),
    DemoWorkload("Deployment", "api", 2, "registry.example/shop/api:2.0.1"),
    DemoWorkload("StatefulSet", "db", 1, "registry.example/shop/postgres:16.4"),
)


class Api(Protocol):
    def request(self, method: str, path: str, body: Any = None) -> Any: ...


def create_namespace(api: Api, namespace: str) -> None:
    api.request("POST", "/api/v1/namespaces", {
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})


def seed(api: Api, namespace: str, *, serving: bool,
         workloads: tuple[DemoWorkload, ...] = DEMO_WORKLOADS) -> None:
    """Create the application in ``namespace`` (which exists; its claims' PVs do not)."""
    for w in workloads:
        api.request("POST", "/api/v1/namespaces/" + namespace + "/services", service(w))
        if w.kind == "StatefulSet":
            for ordinal in range(max(w.replicas, 1)):
                claim = f"{CLAIM_TEMPLATE}-{w.name}-{ordinal}"
                api.request("POST", "/api/v1/persistentvolumes", volume(namespace, claim))
                api.request("POST", f"/api/v1/namespaces/{namespace}/persistentvolumeclaims",
                            claim_of(namespace, claim))
        group = "apps/v1"
        plural = "deployments" if w.kind == "Deployment" else "statefulsets"
        api.request("POST", f"/apis/{group}/namespaces/{namespace}/{plural}",
                    workload(w, replicas=w.replicas if serving else 0,
                             record_original=not serving))


def labels(w: DemoWorkload) -> dict[str, str]:
    return {"app.kubernetes.io/name": w.name, "app.kubernetes.io/part-of": "shop"}


def workload(w: DemoWorkload, *, replicas: int, record_original: bool) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": w.name, "labels": labels(w)}
    if record_original:
        meta["annotations"] = {ORIGINAL_REPLICAS: str(w.replicas)}
    pod: dict[str, Any] = {
        "metadata": {"labels": labels(w)},
        "spec": {
            "containers": [{"name": w.name, "image": w.image,
                            "ports": [{"containerPort": 8080}]}],
            # kwok's nodes carry no taint; this keeps pods off nothing but documents intent.
            "terminationGracePeriodSeconds": 5,
        },
    }
    spec: dict[str, Any] = {"replicas": replicas, "selector": {"matchLabels": labels(w)},
                            "template": pod}
    if w.kind == "StatefulSet":
        spec["serviceName"] = w.name
        pod["spec"]["containers"][0]["volumeMounts"] = [
            {"name": CLAIM_TEMPLATE, "mountPath": "/var/lib/data"}]
        spec["volumeClaimTemplates"] = [{
            "metadata": {"name": CLAIM_TEMPLATE},
            "spec": _claim_spec(),
        }]
    return {"apiVersion": "apps/v1", "kind": w.kind, "metadata": meta, "spec": spec}


def service(w: DemoWorkload) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": w.name},
            "spec": {"selector": labels(w), "ports": [{"port": 80, "targetPort": 8080}]}}


def volume(namespace: str, claim: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "PersistentVolume",
        "metadata": {"name": f"{namespace}-{claim}"},
        "spec": {
            "capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "",
            "hostPath": {"path": f"/tmp/drstack-sandbox/{namespace}/{claim}"},
            # Pre-bound: the PV controller binds it to this claim and no other.
            "claimRef": {"namespace": namespace, "name": claim},
        },
    }


def claim_of(namespace: str, claim: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": claim, "namespace": namespace},
            "spec": {**_claim_spec(), "volumeName": f"{namespace}-{claim}"}}


def _claim_spec() -> dict[str, Any]:
    return {"accessModes": ["ReadWriteOnce"], "storageClassName": "",
            "resources": {"requests": {"storage": "1Gi"}}}
