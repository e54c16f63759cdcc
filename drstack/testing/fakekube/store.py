"""The objects of one fake cluster, by resource, namespace and name, with resourceVersions.

Every read and write holds ``lock``: the HTTP handlers and the test (playing controllers) run on
threads of their own.
"""

from __future__ import annotations

import threading
import time
import uuid

from drstack.testing.fakekube.resources import RESOURCES, Obj, ResourceType


def timestamp() -> str:
    """Now, as Kubernetes writes times: RFC 3339, UTC, whole seconds."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Store:
    """What one fake cluster holds. Callers hold ``lock`` around every use of it."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._objects: dict[str, dict[str, dict[str, Obj]]] = {rt.plural: {} for rt in RESOURCES}
        self._rv = 1

    @property
    def resource_version(self) -> str:
        """The cluster's latest resourceVersion (a LIST answers with it)."""
        return str(self._rv)

    def bump(self) -> str:
        self._rv += 1
        return str(self._rv)

    def buckets(self, rt: ResourceType) -> dict[str, dict[str, Obj]]:
        """The objects of one resource type, by namespace ("" for cluster-scoped) and name."""
        return self._objects[rt.plural]

    def bucket(self, rt: ResourceType, namespace: str | None) -> dict[str, Obj]:
        return self._objects[rt.plural].setdefault(namespace or "", {})

    def find(self, rt: ResourceType, namespace: str | None, name: str) -> Obj | None:
        return self._objects[rt.plural].get(namespace or "", {}).get(name)

    def namespace_exists(self, namespace: str) -> bool:
        return namespace in self._objects["namespaces"].get("", {})

    def save(self, rt: ResourceType, obj: Obj, old: Obj | None) -> Obj:
        """Store ``obj`` (a fresh dict) as the new version; a no-op write changes nothing."""
        meta = obj.setdefault("metadata", {})
        obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
        if old is not None:
            old_meta = old["metadata"]
            for key in ("uid", "creationTimestamp", "namespace", "generation"):
                if key in old_meta:
                    meta[key] = old_meta[key]
                else:
                    meta.pop(key, None)
            if rt.is_workload and obj.get("spec") != old.get("spec"):
                meta["generation"] = int(old_meta.get("generation", 1)) + 1
            meta["resourceVersion"] = old_meta["resourceVersion"]
            if obj == old:
                return old  # kube-apiserver skips no-op updates: no new resourceVersion
        else:
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", timestamp())
            if rt.is_workload:
                meta.setdefault("generation", 1)
        meta["resourceVersion"] = self.bump()
        self.bucket(rt, meta.get("namespace"))[meta["name"]] = obj
        return obj

    def remove(self, rt: ResourceType, namespace: str | None, name: str) -> Obj | None:
        obj = self._objects[rt.plural].get(namespace or "", {}).pop(name, None)
        if obj is not None:
            self.bump()
            if rt.kind == "Namespace":
                # No namespace controller here: the namespace's objects go at once.
                for other in RESOURCES:
                    if other.namespaced and self._objects[other.plural].pop(name, {}):
                        self.bump()
        return obj
