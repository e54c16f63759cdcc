"""Values that describe the two sites as read from their clusters."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Site(enum.StrEnum):
    SOURCE = "source"
    DR = "dr"

    @property
    def other(self) -> Site:
        return Site.DR if self is Site.SOURCE else Site.SOURCE


class Kind(enum.StrEnum):
    DEPLOYMENT = "Deployment"
    STATEFUL_SET = "StatefulSet"


@dataclass(frozen=True, order=True)
class WorkloadRef:
    """A workload by kind and name; the two sites pair workloads on this."""

    kind: Kind
    name: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"

    @classmethod
    def parse(cls, text: str) -> WorkloadRef:
        """Parse ``Kind/name``; raises ValueError with a message fit for an operator."""
        kind_text, sep, name = text.strip().partition("/")
        if not sep or not name or "/" in name:
            raise ValueError(f"{text!r} is not of the form Kind/name (e.g. Deployment/web)")
        for kind in Kind:
            if kind.value.lower() == kind_text.lower():
                return cls(kind, name)
        raise ValueError(
            f"{text!r} has kind {kind_text!r}; drstack switches Deployment and StatefulSet"
        )


@dataclass(frozen=True)
class LiveWorkload:
    """One Deployment or StatefulSet as it is on one site."""

    ref: WorkloadRef
    replicas: int
    # Raw value of dr-syncer.io/original-replicas, None when absent; parsed by the planner.
    original_annotation: str | None = None
    images: tuple[str, ...] = ()
    # PVCs its pods mount (pod volumes), and for StatefulSets the claim templates' names.
    claim_names: tuple[str, ...] = ()
    claim_templates: tuple[str, ...] = ()
    # spec.selector.matchLabels: finds the workload's pods for the drain gate.
    pod_labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class LivePvc:
    name: str
    phase: str = "Bound"


@dataclass(frozen=True)
class Lease:
    """Held on a site's namespace while a switch runs (see drstack.cluster.lease)."""

    holder: str  # the stack running the switch
    acquired_at: str
    transition: str | None = None  # e.g. "failback#5"
    # The site that was active when the switch started: if the switch dies before its ledger
    # is written, a re-run still knows where the current data is.
    from_site: Site | None = None


@dataclass(frozen=True)
class Ledger:
    """What drstack recorded on a site's namespace at the end of its last switch."""

    active_site: Site | None = None
    generation: int = 0
    switched_at: str | None = None
    stack: str | None = None
    transition: str | None = None
    fenced_at: str | None = None
    lease: Lease | None = None

    @property
    def recorded(self) -> bool:
        return self.active_site is not None


@dataclass(frozen=True)
class SiteSnapshot:
    """One site's namespace, read once at the start of a preview or update."""

    site: Site
    namespace: str
    workloads: tuple[LiveWorkload, ...] = ()
    pvcs: tuple[LivePvc, ...] = ()
    ledger: Ledger = field(default_factory=Ledger)
    # False when the site could not be reached and the operator declared it unreachable.
    reachable: bool = True
    namespace_exists: bool = True
    # Ready nodes, counted only on the site being made active; None when not counted (or the
    # kubeconfig may not list nodes).
    ready_nodes: int | None = None
