"""The VolumeSnapshot API on a local cluster, so drstack:snapshotBeforeCopy runs for real.

A real cluster gets it from the CSI external-snapshotter (its CRDs and its controller), which
cannot be installed here. The sandbox installs the three CRDs of `snapshot.storage.k8s.io/v1`
with open schemas, a default VolumeSnapshotClass, and a kwok stage that plays the snapshot
controller: a new VolumeSnapshot becomes `readyToUse` (no bytes are snapshotted: kwok runs no
storage, as it runs no containers).
"""

from __future__ import annotations

from typing import Any

GROUP = "snapshot.storage.k8s.io"
DEFAULT_CLASS = "drstack-sandbox-snapclass"

_KINDS = (  # (kind, plural, scope)
    ("VolumeSnapshot", "volumesnapshots", "Namespaced"),
    ("VolumeSnapshotClass", "volumesnapshotclasses", "Cluster"),
    ("VolumeSnapshotContent", "volumesnapshotcontents", "Cluster"),
)


def crds() -> list[dict[str, Any]]:
    return [{
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        # A *.k8s.io group is protected: the upstream CRDs carry this approval, and so must these.
        "metadata": {"name": f"{plural}.{GROUP}", "annotations": {
            "api-approved.kubernetes.io":
                "https://github.com/kubernetes-csi/external-snapshotter/pull/419"}},
        "spec": {
            "group": GROUP, "scope": scope,
            "names": {"kind": kind, "plural": plural, "singular": kind.lower(),
                      "listKind": f"{kind}List"},
            "versions": [{
                "name": "v1", "served": True, "storage": True,
                "schema": {"openAPIV3Schema": {"type": "object",
                                               "x-kubernetes-preserve-unknown-fields": True}},
                "subresources": {"status": {}} if kind != "VolumeSnapshotClass" else {},
            }],
        },
    } for kind, plural, scope in _KINDS]


def default_class() -> dict[str, Any]:
    return {"apiVersion": f"{GROUP}/v1", "kind": "VolumeSnapshotClass",
            "metadata": {"name": DEFAULT_CLASS, "annotations": {
                "snapshot.storage.kubernetes.io/is-default-class": "true"}},
            "driver": "hostpath.csi.k8s.io", "deletionPolicy": "Retain"}


def kwok_stage() -> dict[str, Any]:
    """A VolumeSnapshot becomes ready to use, as a snapshot controller would make it."""
    return {
        "apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Stage",
        "metadata": {"name": "volumesnapshot-ready"},
        "spec": {
            "resourceRef": {"apiGroup": f"{GROUP}/v1", "kind": "VolumeSnapshot"},
            "selector": {"matchExpressions": [
                {"key": ".metadata.deletionTimestamp", "operator": "DoesNotExist"},
                {"key": ".status.readyToUse", "operator": "DoesNotExist"},
            ]},
            "next": {"statusTemplate": (
                "readyToUse: true\n"
                "creationTime: {{ Now | Quote }}\n"
                "restoreSize: \"1Gi\"\n"
                "boundVolumeSnapshotContentName: {{ printf \"snapcontent-%s\" .metadata.uid "
                "| Quote }}\n")},
        },
    }
