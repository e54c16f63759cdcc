"""What the fake serves: its resource types, how kube-apiserver names them, and discovery."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]

SERVER_VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0-fakekube",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2025-01-01T00:00:00Z",
    "goVersion": "go1.23.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}


@dataclass(frozen=True)
class ResourceType:
    """One resource type the fake serves, with the names kube-apiserver knows it by."""

    plural: str
    singular: str
    kind: str
    group: str  # "" for core
    version: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ("status",)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        # How kube-apiserver names a resource in messages: deployments.apps, pods.
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def is_workload(self) -> bool:
        return self.kind in ("Deployment", "StatefulSet")


RESOURCES: tuple[ResourceType, ...] = (
    ResourceType("namespaces", "namespace", "Namespace", "", "v1", False, ("ns",)),
    ResourceType("nodes", "node", "Node", "", "v1", False, ("no",)),
    ResourceType("pods", "pod", "Pod", "", "v1", True, ("po",)),
    ResourceType(
        "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", "", "v1",
        True, ("pvc",),
    ),
    ResourceType("events", "event", "Event", "", "v1", True, ("ev",), subresources=()),
    ResourceType(
        "deployments", "deployment", "Deployment", "apps", "v1", True, ("deploy",),
        subresources=("scale", "status"),
    ),
    ResourceType(
        "statefulsets", "statefulset", "StatefulSet", "apps", "v1", True, ("sts",),
        subresources=("scale", "status"),
    ),
    ResourceType("services", "service", "Service", "", "v1", True, ("svc",)),
    ResourceType(
        "endpointslices", "endpointslice", "EndpointSlice", "discovery.k8s.io", "v1", True,
        subresources=(),
    ),
    # The CSI external-snapshotter's CRDs, as a cluster with them installed serves them.
    ResourceType(
        "volumesnapshots", "volumesnapshot", "VolumeSnapshot", "snapshot.storage.k8s.io", "v1",
        True, ("vs",),
    ),
    ResourceType(
        "volumesnapshotclasses", "volumesnapshotclass", "VolumeSnapshotClass",
        "snapshot.storage.k8s.io", "v1", False, ("vsclass", "vsclasses"), subresources=(),
    ),
)
# The API groups served besides the core group, each at the one version the fake knows.
GROUP_VERSIONS: dict[str, str] = {rt.group: rt.version for rt in RESOURCES if rt.group}
_BY_NAME: dict[str, ResourceType] = {}
for _rt in RESOURCES:
    for _key in (_rt.plural, _rt.singular, _rt.kind.lower(), *_rt.short_names):
        _BY_NAME[_key] = _rt


def resource_type(kind: str) -> ResourceType:
    """A resource type by kind, plural, singular or short name (``Deployment``, ``pvc``...)."""
    try:
        return _BY_NAME[kind.lower()]
    except KeyError:
        raise KeyError(f"the fake server has no resource {kind!r}") from None


# The characters kube-apiserver and the controllers use in generated names (pod suffixes).
NAME_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def discovery(path: str, port: int) -> Obj | None:
    """The discovery document at ``path`` (``/api``, ``/apis/apps/v1``...), None for others."""
    path = path.rstrip("/") or "/"
    if path == "/version":
        return dict(SERVER_VERSION)
    if path == "/api":
        return {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": f"127.0.0.1:{port}"}
            ],
        }
    if path == "/apis":
        return {
            "kind": "APIGroupList",
            "apiVersion": "v1",
            "groups": [_api_group(group) for group in GROUP_VERSIONS],
        }
    for group in GROUP_VERSIONS:
        if path == f"/apis/{group}":
            return {"kind": "APIGroup", "apiVersion": "v1", **_api_group(group)}
    prefixes = {"v1": "/api/v1"} | {f"{g}/{v}": f"/apis/{g}/{v}" for g, v in GROUP_VERSIONS.items()}
    for group_version, prefix in prefixes.items():
        if path == prefix:
            return {
                "kind": "APIResourceList",
                "apiVersion": "v1",
                "groupVersion": group_version,
                "resources": api_resources(group_version),
            }
    return None


def _api_group(group: str) -> Obj:
    gv = {"groupVersion": f"{group}/{GROUP_VERSIONS[group]}", "version": GROUP_VERSIONS[group]}
    return {"name": group, "versions": [gv], "preferredVersion": gv}


def api_resources(group_version: str) -> list[Obj]:
    """The APIResourceList entries of one group version, subresources included."""
    out = []
    for rt in RESOURCES:
        if rt.api_version != group_version:
            continue
        out.append(
            {
                "name": rt.plural,
                "singularName": rt.singular,
                "namespaced": rt.namespaced,
                "kind": rt.kind,
                "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
                "shortNames": list(rt.short_names),
            }
        )
        for sub in rt.subresources:
            entry: Obj = {
                "name": f"{rt.plural}/{sub}",
                "singularName": "",
                "namespaced": rt.namespaced,
                "kind": rt.kind,
                "verbs": ["get", "patch", "update"],
            }
            if sub == "scale":
                entry.update({"group": "autoscaling", "version": "v1", "kind": "Scale"})
            out.append(entry)
    return out

