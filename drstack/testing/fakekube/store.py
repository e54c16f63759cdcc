"""The objects of one fake cluster, by resource, namespace and name, with resourceVersions, and
the recent changes a watch replays.

Every read and write holds ``lock``: the HTTP handlers and the test (playing controllers) run on
threads of their own. A write notifies ``changed``, which open watches wait on.
"""

from __future__ import annotations

import bisect
import threading
import time
import uuid
from dataclasses import dataclass

from drstack.testing.fakekube.resources import RESOURCES, Obj, ResourceType

# How many changes the store keeps for watches to replay; a watch from a resourceVersion older
# than the oldest kept is answered 410, as kube-apiserver does once its watch cache moved on.
HISTORY_LIMIT = 10_000


def timestamp() -> str:
    """Now, as Kubernetes writes times: RFC 3339, UTC, whole seconds."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass(frozen=True)
class Change:
    """One write as a watch reports it: ADDED, MODIFIED or DELETED, at resourceVersion ``rv``."""

    rv: int
    type: str
    plural: str
    namespace: str  # "" for cluster-scoped objects
    obj: Obj  # the stored object itself: stored objects are replaced, never changed in place


class Store:
    """What one fake cluster holds. Callers hold ``lock`` around every use of it."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self._objects: dict[str, dict[str, dict[str, Obj]]] = {rt.plural: {} for rt in RESOURCES}
        self._rv = 1
        self._history: list[Change] = []
        # Every change after this resourceVersion is in _history.
        self._history_from = self._rv

    @property
    def resource_version(self) -> str:
        """The cluster's latest resourceVersion (a LIST answers with it)."""
        return str(self._rv)

    @property
    def latest_rv(self) -> int:
        return self._rv

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
        self._record("ADDED" if old is None else "MODIFIED", rt.plural, obj)
        return obj

    def remove(self, rt: ResourceType, namespace: str | None, name: str) -> Obj | None:
        obj = self._objects[rt.plural].get(namespace or "", {}).pop(name, None)
        if obj is not None:
            self.bump()
            self._record_deleted(rt.plural, obj)
            if rt.kind == "Namespace":
                # No namespace controller here: the namespace's objects go at once.
                for other in RESOURCES:
                    gone = self._objects[other.plural].pop(name, {}) if other.namespaced else {}
                    if gone:
                        self.bump()
                        for member in gone.values():
                            self._record_deleted(other.plural, member)
        return obj

    # -- changes, for watches ---------------------------------------------------------------

    def changes_after(self, rv: int, plural: str, namespace: str | None) -> list[Change] | None:
        """The changes to ``plural`` (in ``namespace``, or all) after resourceVersion ``rv``;
        None when some of them are no longer kept (the watch must answer 410)."""
        if rv < self._history_from:
            return None
        start = bisect.bisect_right(self._history, rv, key=lambda c: c.rv)
        return [c for c in self._history[start:]
                if c.plural == plural and (namespace is None or c.namespace == namespace)]

    @property
    def oldest_watchable_rv(self) -> int:
        """The oldest resourceVersion a watch may start from."""
        return self._history_from

    def compact(self) -> None:
        """Forget every change so far, as etcd's compaction does: a watch from any
        resourceVersion before now is answered 410."""
        self._history.clear()
        self._history_from = self._rv

    def _record_deleted(self, plural: str, obj: Obj) -> None:
        # A DELETED event carries the object's last state at the deletion's resourceVersion.
        gone = {**obj, "metadata": {**obj["metadata"], "resourceVersion": str(self._rv)}}
        self._record("DELETED", plural, gone)

    def _record(self, type_: str, plural: str, obj: Obj) -> None:
        self._history.append(Change(self._rv, type_, plural,
                                    obj["metadata"].get("namespace") or "", obj))
        if len(self._history) > HISTORY_LIMIT:
            dropped = self._history[: HISTORY_LIMIT // 2]
            del self._history[: HISTORY_LIMIT // 2]
            self._history_from = dropped[-1].rv
        self.changed.notify_all()
