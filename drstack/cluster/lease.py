"""Taking the switch lease on a namespace by compare-and-swap.

The write is a PUT of the namespace carrying the resourceVersion just read: if anyone changed the
namespace in between, the API server answers 409 and the lease is read and judged again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drstack import annotation_keys
from drstack.cluster.raw import Obj, json_body
from drstack.cluster.retry import update_with_conflict_retry
from drstack.errors import ClusterError
from drstack.model import Lease, Site

if TYPE_CHECKING:
    from kubernetes.client import CoreV1Api


class LeaseHeld(ClusterError):
    """Another stack's switch holds the lease."""


def acquire_lease(core: CoreV1Api, site: Site, namespace: str, lease: Lease, *,
                  break_lease: bool, deadline: float = 60.0) -> Lease | None:
    """Take the lease on ``namespace``; returns the lease it replaced (broken or own), if any.

    Raises LeaseHeld when another stack holds it and ``break_lease`` is False.
    """
    replaced: list[Lease | None] = [None]

    def read() -> Obj:
        return json_body(core.read_namespace(namespace, _preload_content=False))

    def mutate(ns: Obj) -> Obj | None:
        notes = ns.setdefault("metadata", {}).setdefault("annotations", {}) or {}
        ns["metadata"]["annotations"] = notes
        current = Lease.parse(notes.get(annotation_keys.LEDGER_LEASE))
        replaced[0] = current
        if current is not None and current.stops(lease.holder) and not break_lease:
            raise LeaseHeld(current.refusal(site, lease.holder))
        if current is not None and current.same_switch(lease):
            # A re-run of the same switch keeps the lease it took first: what it recorded under
            # that lease (a finished copy) stays valid, and nothing needs writing.
            return None
        notes[annotation_keys.LEDGER_LEASE] = lease.encode()
        return ns  # carries the resourceVersion read: the PUT is a compare-and-swap

    def write(ns: Obj) -> Obj:
        return _replace(core, namespace, ns)

    update_with_conflict_retry(read, mutate, write,
                               what=f"the drstack lease on namespace {namespace} ({site})",
                               deadline=deadline)
    return replaced[0]


def release_lease(core: CoreV1Api, site: Site, namespace: str, holder: str, *,
                  deadline: float = 60.0) -> None:
    """Free the lease if ``holder`` still has it (undoing a partly taken lease)."""

    def read() -> Obj:
        return json_body(core.read_namespace(namespace, _preload_content=False))

    def mutate(ns: Obj) -> Obj | None:
        notes = (ns.get("metadata") or {}).get("annotations") or {}
        current = Lease.parse(notes.get(annotation_keys.LEDGER_LEASE))
        if current is None or current.holder != holder:
            return None
        notes[annotation_keys.LEDGER_LEASE] = ""
        return ns

    def write(ns: Obj) -> Obj:
        return _replace(core, namespace, ns)

    update_with_conflict_retry(read, mutate, write,
                               what=f"release the drstack lease on namespace {namespace} ({site})",
                               deadline=deadline)


def _replace(core: CoreV1Api, namespace: str, ns: Obj) -> Obj:
    """PUT the namespace; it carries the resourceVersion read, so this is a compare-and-swap."""
    body: Any = ns  # the client sends a dict as it is; its annotations ask for a V1Namespace
    return json_body(core.replace_namespace(namespace, body, field_manager="drstack-lease",
                                            _preload_content=False))
