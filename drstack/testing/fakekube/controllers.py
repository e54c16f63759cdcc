"""What the controllers of a real cluster would do, done on demand by a test: roll workloads out,
keep each workload's pods (and a StatefulSet's claims) in step with its spec.replicas, and each
Service's EndpointSlice in step with the pods it selects.

Nothing here runs by itself: the fake keeps objects as they are written until a test calls these.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from drstack.testing.fakekube.resources import (
    NAME_SUFFIX_ALPHABET,
    Obj,
    ResourceType,
    resource_type,
)
from drstack.testing.fakekube.store import Store, timestamp


def make_ready(store: Store, namespace: str) -> None:
    """Mark every Deployment/StatefulSet in ``namespace`` fully rolled out at spec.replicas."""
    with store.lock:
        for rt in (resource_type("deployments"), resource_type("statefulsets")):
            for old in list(store.bucket(rt, namespace).values()):
                new = copy.deepcopy(old)
                new["status"] = _ready_status(rt, old)
                store.save(rt, new, old)


def sync_pods(store: Store, namespace: str) -> None:
    """Create/delete pods so each workload has exactly spec.replicas pods, as controllers do."""
    pods_rt, pvc_rt = resource_type("pods"), resource_type("pvc")
    with store.lock:
        pods = store.bucket(pods_rt, namespace)
        for rt in (resource_type("deployments"), resource_type("statefulsets")):
            for workload in list(store.bucket(rt, namespace).values()):
                wanted = _wanted_pods(rt, workload, namespace)
                owned = [n for n, p in pods.items() if _owned_by(p, rt, workload)]
                for name in owned:
                    if name not in wanted:
                        store.remove(pods_rt, namespace, name)
                for name, pod in wanted.items():
                    if name not in pods:
                        store.save(pods_rt, pod, None)
                if rt.kind == "StatefulSet":
                    for claim in _sts_claims(workload):
                        if store.find(pvc_rt, namespace, claim["metadata"]["name"]) is None:
                            claim["metadata"]["namespace"] = namespace
                            store.save(pvc_rt, claim, None)


def _template_hash(template: Any) -> str:
    return hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]


def _ready_status(rt: ResourceType, obj: Obj) -> Obj:
    replicas = (obj.get("spec") or {}).get("replicas", 1)
    status: Obj = {"observedGeneration": obj["metadata"].get("generation", 1)}
    # kube-apiserver omits zero counts (omitempty), except StatefulSet's replicas.
    counts = {
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": replicas,
        "availableReplicas": replicas,
    }
    if rt.kind == "StatefulSet":
        counts["currentReplicas"] = replicas
    status.update({k: v for k, v in counts.items() if v})
    if rt.kind == "StatefulSet":
        status["replicas"] = replicas
        status["availableReplicas"] = replicas
        revision = f"{obj['metadata']['name']}-{_template_hash(obj['spec'].get('template'))}"
        status["currentRevision"] = revision
        status["updateRevision"] = revision
        status["collisionCount"] = 0
    else:
        now = timestamp()
        status["conditions"] = [
            {
                "type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                "message": "Deployment has minimum availability.",
                "lastUpdateTime": now, "lastTransitionTime": now,
            },
            {
                "type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                "message": f'ReplicaSet "{obj["metadata"]["name"]}-'
                f'{_template_hash(obj["spec"].get("template"))}" has successfully progressed.',
                "lastUpdateTime": now, "lastTransitionTime": now,
            },
        ]
    return status


def _owned_by(pod: Obj, rt: ResourceType, workload: Obj) -> bool:
    name = workload["metadata"]["name"]
    for ref in pod["metadata"].get("ownerReferences") or []:
        if rt.kind == "StatefulSet" and ref.get("kind") == "StatefulSet":
            if ref.get("name") == name:
                return True
        if rt.kind == "Deployment" and ref.get("kind") == "ReplicaSet":
            pod_hash = (pod["metadata"].get("labels") or {}).get("pod-template-hash")
            if ref.get("name") == f"{name}-{pod_hash}":
                return True
    return False


def _sts_claims(workload: Obj) -> list[Obj]:
    name = workload["metadata"]["name"]
    replicas = workload["spec"].get("replicas", 1)
    claims = []
    for template in workload["spec"].get("volumeClaimTemplates") or []:
        for ordinal in range(replicas):
            claim_name = f"{template['metadata']['name']}-{name}-{ordinal}"
            claim = {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {"name": claim_name, "labels": dict(
                    workload["spec"]["selector"].get("matchLabels") or {}
                )},
                "spec": copy.deepcopy(template.get("spec") or {}),
                "status": {"phase": "Bound"},
            }
            claims.append(claim)
    return claims


def _wanted_pods(rt: ResourceType, workload: Obj, namespace: str) -> dict[str, Obj]:
    meta, spec = workload["metadata"], workload["spec"]
    template = spec.get("template") or {}
    replicas = spec.get("replicas", 1)
    template_hash = _template_hash(template)
    labels = dict((template.get("metadata") or {}).get("labels") or {})
    labels.update((spec.get("selector") or {}).get("matchLabels") or {})
    pods: dict[str, Obj] = {}
    for ordinal in range(replicas):
        pod_spec = copy.deepcopy(template.get("spec") or {})
        pod_labels = dict(labels)
        if rt.kind == "StatefulSet":
            name = f"{meta['name']}-{ordinal}"
            owner = {"kind": "StatefulSet", "name": meta["name"]}
            pod_labels["statefulset.kubernetes.io/pod-name"] = name
            pod_labels["controller-revision-hash"] = f"{meta['name']}-{template_hash}"
            volumes = pod_spec.setdefault("volumes", [])
            for t in spec.get("volumeClaimTemplates") or []:
                tname = t["metadata"]["name"]
                volumes.append(
                    {"name": tname,
                     "persistentVolumeClaim": {"claimName": f"{tname}-{meta['name']}-{ordinal}"}}
                )
        else:
            # Stable names per template and ordinal keep sync_pods idempotent.
            suffix = hashlib.sha256(f"{template_hash}-{ordinal}".encode()).digest()
            name = f"{meta['name']}-{template_hash}-" + "".join(
                NAME_SUFFIX_ALPHABET[b % len(NAME_SUFFIX_ALPHABET)] for b in suffix[:5]
            )
            owner = {"kind": "ReplicaSet", "name": f"{meta['name']}-{template_hash}"}
            pod_labels["pod-template-hash"] = template_hash
        pods[name] = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": pod_labels,
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        **owner,
                        "uid": meta.get("uid", ""),
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            "spec": pod_spec,
            "status": {
                "phase": "Running",
                "conditions": [{"type": "Ready", "status": "True"}],
            },
        }
    return pods



def sync_endpoint_slices(store: Store, namespace: str) -> None:
    """Give each Service with a selector one EndpointSlice of the pods it selects, as the
    EndpointSlice controller does: a Running pod is an endpoint, ready when the pod is Ready."""
    services_rt, pods_rt = resource_type("services"), resource_type("pods")
    slices_rt = resource_type("endpointslices")
    with store.lock:
        pods = list(store.bucket(pods_rt, namespace).values())
        for service in list(store.bucket(services_rt, namespace).values()):
            spec = service.get("spec") or {}
            selector = spec.get("selector") or {}
            if not selector or spec.get("type") == "ExternalName":
                continue
            name = service["metadata"]["name"]
            endpoints = [_endpoint(pod) for pod in pods
                         if (pod.get("status") or {}).get("phase") == "Running"
                         and all((pod["metadata"].get("labels") or {}).get(k) == v
                                 for k, v in selector.items())]
            slice_name = f"{name}-{_template_hash(name)[:5]}"
            old = store.find(slices_rt, namespace, slice_name)
            if old is not None and old.get("endpoints") == endpoints:
                continue  # unchanged: no event, as the controller writes only changes
            new = {
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"name": slice_name, "namespace": namespace,
                             "labels": {"kubernetes.io/service-name": name}},
                "addressType": "IPv4",
                "endpoints": endpoints,
                "ports": [{"port": p.get("targetPort", p.get("port")), "protocol": "TCP"}
                          for p in spec.get("ports") or []],
            }
            store.save(slices_rt, new, old)


def _endpoint(pod: Obj) -> Obj:
    name = pod["metadata"]["name"]
    digest = hashlib.sha256(name.encode()).digest()
    ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                for c in (pod.get("status") or {}).get("conditions") or [])
    return {"addresses": [f"10.{digest[0]}.{digest[1]}.{digest[2]}"],
            "conditions": {"ready": ready},
            "targetRef": {"kind": "Pod", "name": name, "namespace": pod["metadata"]["namespace"]}}
