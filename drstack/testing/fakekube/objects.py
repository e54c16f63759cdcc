"""Builders of schema-valid Kubernetes objects as plain dicts, for the fake API server's tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Obj = dict[str, Any]


def _meta(name: str, labels: Mapping[str, str] | None,
          annotations: Mapping[str, str] | None) -> Obj:
    meta: Obj = {"name": name}
    if labels:
        meta["labels"] = dict(labels)
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta


def namespace(name: str, annotations: Mapping[str, str] | None = None) -> Obj:
    """A Namespace, with the annotations given."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": _meta(name, {"kubernetes.io/metadata.name": name}, annotations),
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def node(name: str, ready: bool = True) -> Obj:
    """A Node, Ready or not."""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": _meta(name, {"kubernetes.io/hostname": name}, None),
        "spec": {},
        "status": {
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True" if ready else "False",
                    "reason": "KubeletReady" if ready else "KubeletNotReady",
                    "message": "fake node",
                }
            ],
        },
    }


def _pod_template(
    labels: Mapping[str, str], image: str, claim_names: Iterable[str], mounts: Iterable[str] = ()
) -> Obj:
    claims = list(claim_names)
    volumes = [
        {"name": claim, "persistentVolumeClaim": {"claimName": claim}} for claim in claims
    ]
    mount_names = claims + list(mounts)
    container: Obj = {"name": "app", "image": image}
    if mount_names:
        container["volumeMounts"] = [
            {"name": m, "mountPath": f"/data/{m}"} for m in mount_names
        ]
    spec: Obj = {"containers": [container]}
    if volumes:
        spec["volumes"] = volumes
    return {"metadata": {"labels": dict(labels)}, "spec": spec}


def deployment(
    name: str,
    replicas: int,
    *,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    image: str = "app:1",
    claim_names: Iterable[str] = (),
) -> Obj:
    """A Deployment whose pods are labelled app=<name>, mounting ``claim_names``."""
    pod_labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(name, {**pod_labels, **(labels or {})}, annotations),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": pod_labels},
            "template": _pod_template(pod_labels, image, claim_names),
        },
    }


def statefulset(
    name: str,
    replicas: int,
    *,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    image: str = "app:1",
    claim_templates: Iterable[str] = (),
) -> Obj:
    """A StatefulSet whose pods are labelled app=<name>, one claim template per name given."""
    pod_labels = {"app": name}
    templates = list(claim_templates)
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": _meta(name, {**pod_labels, **(labels or {})}, annotations),
        "spec": {
            "replicas": replicas,
            "serviceName": name,
            "selector": {"matchLabels": pod_labels},
            "template": _pod_template(pod_labels, image, (), mounts=templates),
            "volumeClaimTemplates": [
                {
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    "metadata": {"name": t},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "1Gi"}},
                    },
                }
                for t in templates
            ],
        },
    }


def pvc(name: str, phase: str = "Bound") -> Obj:
    """A PersistentVolumeClaim in ``phase``."""
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "1Gi"}},
            "storageClassName": "standard",
        },
        "status": {"phase": phase},
    }


def pod(
    name: str,
    labels: Mapping[str, str],
    claim_names: Iterable[str] = (),
    phase: str = "Running",
) -> Obj:
    """A Pod with ``labels``, mounting ``claim_names``, in ``phase``."""
    template = _pod_template(labels, "app:1", claim_names)
    status: Obj = {"phase": phase}
    if phase == "Running":
        status["conditions"] = [{"type": "Ready", "status": "True"}]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _meta(name, labels, None),
        "spec": template["spec"],
        "status": status,
    }


def service(name: str, selector: Mapping[str, str] | None = None, *,
            type_: str = "ClusterIP") -> Obj:
    """A Service selecting pods labelled ``selector`` (default app=<name>); ``{}``: none."""
    spec: Obj = {"type": type_}
    if type_ == "ExternalName":  # a DNS alias: no ports, never any endpoint
        spec["externalName"] = f"{name}.example.com"
    else:
        spec["ports"] = [{"port": 80, "targetPort": 8080}]
    selector = {"app": name} if selector is None else dict(selector)
    if selector:
        spec["selector"] = selector
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec}


def endpoint_slice(name: str, service: str, *, ready: int = 0, not_ready: int = 0,
                   ready_unset: int = 0) -> Obj:
    """An EndpointSlice of ``service``: ``ready`` endpoints with conditions.ready true,
    ``not_ready`` with it false, and ``ready_unset`` without it, each a pod of its own."""
    states = [True] * ready + [False] * not_ready + [None] * ready_unset
    endpoints = []
    for index, state in enumerate(states):
        endpoint: Obj = {"addresses": [f"10.1.{len(name) % 250}.{index + 1}"],
                         "targetRef": {"kind": "Pod", "name": f"{name}-pod-{index}"},
                         "conditions": {} if state is None else {"ready": state}}
        endpoints.append(endpoint)
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": name, "labels": {"kubernetes.io/service-name": service}},
        "addressType": "IPv4",
        "endpoints": endpoints,
        "ports": [{"port": 8080, "protocol": "TCP"}],
    }
