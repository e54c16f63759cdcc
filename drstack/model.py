"""The values drstack plans with: the two sites as read from their clusters, and the
validated stack config. No I/O here: the planner builds on these alone.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import urlsplit


class Site(enum.StrEnum):
    """One of the pair: the source site, where the application normally runs, or DR."""

    SOURCE = "source"
    DR = "dr"

    @property
    def other(self) -> Site:
        return Site.DR if self is Site.SOURCE else Site.SOURCE


class Kind(enum.StrEnum):
    """The workload kinds drstack switches."""

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
    # spec.template.metadata.labels: the labels its pods get, which a Service's selector
    # matches (the Service gate waits for the Services that select them).
    template_labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class LivePvc:
    """A PersistentVolumeClaim as it is on one site."""

    name: str
    phase: str = "Bound"


@dataclass(frozen=True)
class Lease:
    """Held on a site's namespace while a switch runs, so the source and dr stacks cannot switch
    the same pair at once. A switch takes it first (drstack.cluster.lease, by compare-and-swap)
    and its ledger write releases it (sets the annotation to "").
    """

    holder: str  # the stack running the switch
    acquired_at: str
    transition: str | None = None  # e.g. "failback#5"
    # The site that was active when the switch started: if the switch dies before its ledger
    # is written, a re-run still knows where the current data is.
    from_site: Site | None = None

    def encode(self) -> str:
        """The lease as the namespace annotation's value."""
        return json.dumps({
            "holder": self.holder,
            "acquiredAt": self.acquired_at,
            "transition": self.transition,
            "from": self.from_site.value if self.from_site else None,
        }, sort_keys=True)

    @classmethod
    def parse(cls, text: str | None) -> Lease | None:
        """The lease in an annotation value; None when free ("") or unreadable."""
        if not text:
            return None
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        holder, acquired = data.get("holder"), data.get("acquiredAt")
        if not isinstance(holder, str) or not isinstance(acquired, str) or not holder:
            return None
        transition = data.get("transition")
        from_site = data.get("from")
        return cls(
            holder=holder,
            acquired_at=acquired,
            transition=transition if isinstance(transition, str) else None,
            from_site=Site(from_site) if from_site in {s.value for s in Site} else None,
        )

    def same_switch(self, other: Lease) -> bool:
        """Whether ``other`` is this lease taken again by a re-run of the same switch."""
        return (self.holder, self.transition, self.from_site) == (
            other.holder, other.transition, other.from_site)

    def stops(self, holder: str) -> bool:
        """Whether this lease stops a switch by stack ``holder``: another stack holds it."""
        return self.holder != holder

    def refusal(self, site: Site, holder: str) -> str:
        """Why stack ``holder`` must not switch ``site`` now, and the ways out."""
        what = f" ({self.transition})" if self.transition else ""
        return (
            f"site {site}: a switch by stack {self.holder!r}{what} holds the drstack lease since "
            f"{self.acquired_at}, so stack {holder!r} must not switch now. Wait for that "
            f"`pulumi up -s {self.holder}` to finish. If it died (no update of stack "
            f"{self.holder!r} is running: check `pulumi stack history -s {self.holder}`), take "
            f"the lease over once: pulumi config set -s {holder} drstack:breakLease true, run "
            f"pulumi up -s {holder}, then pulumi config set -s {holder} drstack:breakLease false"
        )


@dataclass(frozen=True)
class CopyRecord:
    """What a finished copy wrote on the namespace it copied into (annotation_keys.COPY_RECORD):
    which switch, from where, and under which taking of its lease."""

    transition: str  # e.g. "failback#5"
    from_site: Site
    lease_acquired_at: str | None
    copied_at: str

    def encode(self) -> str:
        return json.dumps({"transition": self.transition, "from": self.from_site.value,
                           "leaseAcquiredAt": self.lease_acquired_at, "at": self.copied_at},
                          sort_keys=True)

    @classmethod
    def parse(cls, text: str | None) -> CopyRecord | None:
        """The record in an annotation value; None when absent or unreadable."""
        try:
            data = json.loads(text) if text else None
        except ValueError:
            return None
        if not isinstance(data, dict) or data.get("from") not in {s.value for s in Site}:
            return None
        transition, at, lease = data.get("transition"), data.get("at"), data.get("leaseAcquiredAt")
        if not isinstance(transition, str) or not isinstance(at, str):
            return None
        return cls(transition, Site(data["from"]), lease if isinstance(lease, str) else None, at)

    def finished_under(self, lease: Lease | None, transition: str) -> bool:
        """Whether this copy was finished by ``transition`` under ``lease``, the lease held now:
        a lease taken again (a go-back broke it, or a new switch) makes the copy stale."""
        return (lease is not None and self.transition == transition == lease.transition
                and self.lease_acquired_at == lease.acquired_at)


@dataclass(frozen=True)
class Ledger:
    """What drstack recorded on a site's namespace at the end of its last switch."""

    active_site: Site | None = None
    generation: int = 0
    switched_at: str | None = None
    stack: str | None = None
    transition: str | None = None
    fenced_at: str | None = None
    # The snapshots the last switch took before its copy, as the ledger records them.
    snapshots: str | None = None
    lease: Lease | None = None
    # Written by a finished copy into this namespace (not by the ledger write).
    copied: CopyRecord | None = None

    @property
    def recorded(self) -> bool:
        return self.active_site is not None


@dataclass(frozen=True)
class SnapshotApi:
    """What a site offers for VolumeSnapshots (snapshot.storage.k8s.io/v1)."""

    served: bool  # False: the API (the CSI snapshotter's CRDs) is not installed
    # The VolumeSnapshotClasses; None when the kubeconfig may not list them.
    classes: tuple[str, ...] | None = None
    default_class: str | None = None


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
    # Read only on a site a switch will snapshot claims in (drstack:snapshotBeforeCopy).
    snapshot_api: SnapshotApi | None = None


# ---- the stack config, validated (drstack.config builds it) ----------------------------------


class Strategy(enum.StrEnum):
    """The order of a switch: cold stops the old site before the new one starts, warm after."""

    COLD = "cold"
    WARM = "warm"


@dataclass(frozen=True)
class SiteConfig:
    """How to reach one site: kubeconfig, context and namespace."""

    site: Site
    # A path to a kubeconfig file, or the file's contents (set with `pulumi config set --secret`).
    # Kept out of repr so that it never lands in a log or an error message.
    kubeconfig: str = field(repr=False)
    context: str | None
    namespace: str

    @property
    def kubeconfig_is_inline(self) -> bool:
        """True when ``kubeconfig`` holds the file's contents rather than a path."""
        return is_inline_kubeconfig(self.kubeconfig)


def is_inline_kubeconfig(value: str) -> bool:
    """Whether a kubeconfig setting holds the file's contents (else it is a path)."""
    # A kubeconfig file always has several lines; a path never has a newline.
    return "\n" in value.strip() or value.lstrip().startswith(("{", "apiVersion"))


@dataclass(frozen=True, repr=False)
class VerifyUrl:
    """A URL that drstack:verifyUrls probes after a switch, and the status it must answer."""

    # As configured: it may carry user:password@ or a token in its query, so it is never shown
    # (``shown`` is) and its resource input is a secret when ``sensitive``.
    url: str
    # "2xx" (the default), another class such as "3xx", or one status such as "204".
    expect: str = "2xx"
    # Set with `pulumi config set --secret`.
    from_secret: bool = False

    @property
    def shown(self) -> str:
        return shown_url(self.url)

    @property
    def has_password(self) -> bool:
        return urlsplit(self.url).password is not None

    @property
    def sensitive(self) -> bool:
        """Whether the full URL must be kept secret: set as one, or carrying credentials."""
        parts = urlsplit(self.url)
        return self.from_secret or "@" in parts.netloc or bool(parts.query)

    def accepts(self, status: int) -> bool:
        code = str(status)
        return code == self.expect or (self.expect.endswith("xx") and code[0] == self.expect[0])

    def __repr__(self) -> str:
        return f"VerifyUrl({self.shown!r}, expect={self.expect!r})"


def shown_url(url: str) -> str:
    """``url`` as drstack shows it: no ``user:password@``, and its query (which may hold a
    token) as ``?…``. When an ``@`` is anywhere but before the host, drstack cannot tell a
    password from a path, and shows only the scheme."""
    text = url.strip()
    if "@" not in text:  # no user:password: only the query may hold a secret
        base, query, _ = text.partition("#")[0].partition("?")
        return base + ("?…" if query else "")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return "…"
    if not parts.hostname or text.count("@") != parts.netloc.count("@"):
        return f"{parts.scheme}://…" if parts.scheme.isalpha() else "…"
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}" + ("?…" if parts.query else "")


@dataclass(frozen=True)
class StackConfig:
    """The validated config of one stack: both sites, and how this stack switches to its own."""

    stack: str
    active_site: Site
    source: SiteConfig
    dr: SiteConfig
    workload_selector: str | None = None
    exclude_workloads: frozenset[WorkloadRef] = frozenset()
    replica_overrides: Mapping[WorkloadRef, int] = field(
        default_factory=lambda: MappingProxyType({}))
    # How many entries drstack:replicaOverrides has as written (duplicates included): the
    # index `pulumi config set --path 'drstack:replicaOverrides[N]'` appends at.
    replica_override_entries: int = 0
    strategy: Strategy = Strategy.COLD
    readiness_timeout: float = 600.0
    drain_timeout: float = 300.0
    assume_active_site: Site | None = None
    migrate_pvc_data: bool = False
    reverse_migrate_pvc_data: bool = False
    pv_migrate_flags: tuple[str, ...] = ()
    # Source claim name -> DR claim name, for claims whose names differ.
    pvc_map: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    migration_concurrency: int = 2
    migration_timeout: float = 7200.0
    pv_migrate_path: str = "pv-migrate"
    old_site_unreachable: bool = False
    break_lease: bool = False
    snapshot_before_copy: bool = False
    volume_snapshot_class: str = ""  # "" for the destination's default class
    # After the readiness gate: URLs probed from the machine running `pulumi up`, and how long
    # they may take to answer as expected (the Service gate uses readiness_timeout).
    verify_urls: tuple[VerifyUrl, ...] = ()
    verify_timeout: float = 300.0

    def site(self, site: Site) -> SiteConfig:
        return self.source if site is Site.SOURCE else self.dr

    def copies_data_into(self, site: Site) -> bool:
        """Whether a switch that makes ``site`` active copies PVC data into it."""
        return self.reverse_migrate_pvc_data if site is Site.SOURCE else self.migrate_pvc_data
