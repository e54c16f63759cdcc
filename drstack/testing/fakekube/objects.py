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
