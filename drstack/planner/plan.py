"""The plan: what a run of drstack will do, as values. Built by ``build_plan``."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from drstack import annotation_keys
from drstack.errors import DrstackError
from drstack.model import Site, Strategy, VerifyUrl, WorkloadRef

# The run id prefix of a run that switches nothing but moves counts (Plan.transition_id).
REALIGN = "realign"


class Transition(enum.StrEnum):
    """What a run does: switch to the other site (cutover, failback), or nothing (``NONE``, the one
    steady-state sentinel, also in the dynamic resources' inputs)."""

    NONE = "none"  # steady state: the active site stays active
    CUTOVER = "cutover"  # source -> dr
    FAILBACK = "failback"  # dr -> source

    @classmethod
    def between(cls, last_active: Site, active: Site) -> Transition:
        if last_active is active:
            return cls.NONE
        return cls.CUTOVER if active is Site.DR else cls.FAILBACK


class Phase(enum.StrEnum):
    """One kind of step of a switch."""

    SCALE_DOWN = "scale-down"  # passive site's workloads -> 0
    DRAIN = "drain"  # wait until the passive site's pods are gone
    SNAPSHOT = "snapshot"  # VolumeSnapshots of the claims the copy overwrites, on the active site
    COPY = "copy"  # PVC data, last active site -> active site
    SCALE_UP = "scale-up"  # active site's workloads -> original counts
    READY = "ready"  # wait until the active site serves
    # Then until its Services have ready endpoints, and its drstack:verifyUrls answer.
    VERIFY = "verify"


@dataclass(frozen=True)
class Step:
    """One step of a switch: a phase on a site (a copy is named by the site it copies into)."""

    phase: Phase
    site: Site

    def __str__(self) -> str:
        if self.phase is Phase.COPY:  # into the site; always from the other one
            return f"copy {self.site.other} -> {self.site}"
        return f"{self.phase} {self.site}"


@dataclass(frozen=True)
class WorkloadPlan:
    """One workload on both sites: its original count, the live counts read, and the counts to
    declare."""

    ref: WorkloadRef
    original: int
    # Where the original count came from, for the plan table and the audit trail.
    original_from: str
    live_source: int | None
    live_dr: int | None
    desired_source: int
    desired_dr: int

    def live(self, site: Site) -> int | None:
        return self.live_source if site is Site.SOURCE else self.live_dr

    def desired(self, site: Site) -> int:
        return self.desired_source if site is Site.SOURCE else self.desired_dr


@dataclass(frozen=True)
class PvcPair:
    """A claim and its counterpart on the other site: what one pv-migrate run copies."""

    source: str  # claim name on the source site
    dr: str  # claim name on the DR site

    def on(self, site: Site) -> str:
        return self.source if site is Site.SOURCE else self.dr


@dataclass(frozen=True)
class CopyPlan:
    """PVC data to copy in this run; ``pairs`` is empty when nothing is copied."""

    from_site: Site
    to_site: Site
    pairs: tuple[PvcPair, ...]
    # Why nothing is copied this run, when ``pairs`` is empty.
    skipped_because: str | None = None
    # The pairs an earlier run of this same switch copied (so this run does not): its
    # snapshots are still this switch's, and the ledger lists them.
    copied_earlier: tuple[PvcPair, ...] = ()

    @property
    def direction(self) -> str:
        return f"{self.from_site} -> {self.to_site}"

    @property
    def switch_pairs(self) -> tuple[PvcPair, ...]:
        """The pairs this switch copies, in this run or in an earlier run of it."""
        return self.pairs or self.copied_earlier


def snapshot_name(transition: str, claim: str) -> str:
    """The VolumeSnapshot of ``claim`` taken before ``transition``'s copy, e.g.
    ``drstack-failback-5-data-db-0``: a re-run of the switch finds it under the same name."""
    name = f"drstack-{re.sub(r'[^a-z0-9-]', '-', transition.lower())}-{claim}"
    return name[:253].rstrip("-.")


@dataclass(frozen=True)
class SnapshotPlan:
    """The VolumeSnapshots taken before the copy overwrites the claims of ``site``; no claims
    when this run copies nothing (steady state, the old site lost)."""

    site: Site
    snapshot_class: str  # "" for the site's default class
    claims: tuple[str, ...]
    transition: str  # the switch's id (Plan.transition_id), which names the snapshots

    @property
    def names(self) -> dict[str, str]:
        """Claim -> its snapshot's name."""
        return {claim: snapshot_name(self.transition, claim) for claim in self.claims}

    def annotation(self) -> str:
        """The ledger's record of them: ``dr/drstack-cutover-3-data-db-0,...``."""
        return ",".join(f"{self.site}/{name}" for name in self.names.values())


@dataclass(frozen=True)
class LedgerRecord:
    """The ledger written on every reachable site's namespace at the end of the run."""

    active_site: Site
    generation: int
    switched_at: str
    stack: str
    transition: str
    fenced_at: str | None = None
    # The snapshots taken before the last switch's copy (SnapshotPlan.annotation).
    snapshots: str | None = None

    def annotations(self) -> dict[str, str]:
        values = {
            annotation_keys.LEDGER_ACTIVE_SITE: self.active_site.value,
            annotation_keys.LEDGER_GENERATION: str(self.generation),
            annotation_keys.LEDGER_SWITCHED_AT: self.switched_at,
            annotation_keys.LEDGER_STACK: self.stack,
            annotation_keys.LEDGER_TRANSITION: self.transition,
            # Writing the ledger releases the switch lease.
            annotation_keys.LEDGER_LEASE: "",
        }
        if self.fenced_at:
            values[annotation_keys.LEDGER_FENCED_AT] = self.fenced_at
        if self.snapshots:
            values[annotation_keys.LEDGER_SNAPSHOTS] = self.snapshots
        return values


@dataclass(frozen=True)
class Plan:
    """What a run of drstack will do, as values: which site becomes active and why, the counts of
    every workload on both sites, the steps in order, the data copy and the ledger. Built by
    ``build_plan``; declared by ``drstack.program.declare_switch``."""

    active_site: Site
    last_active_site: Site
    last_active_reason: str
    transition: Transition
    strategy: Strategy
    workloads: tuple[WorkloadPlan, ...]
    # The order in which the program's resources run; the ledger is always written after them.
    steps: tuple[Step, ...]
    # None when this stack never copies data (cold strategy with the direction's flag off, or warm).
    copy: CopyPlan | None
    ledger: LedgerRecord
    # None unless drstack:snapshotBeforeCopy is on and this stack copies data (``copy``).
    snapshots: SnapshotPlan | None = None
    # Sites the run does not touch at all (declared unreachable by the operator).
    untouched_sites: frozenset[Site] = frozenset()
    # The passive site was found running after a switch: this run scales it to 0.
    fencing: bool = False
    # No ledger yet and no switch: this run records the active site as it finds it.
    adopting: bool = False
    warnings: tuple[str, ...] = ()
    # What the verify step probes from the machine running `pulumi up` (drstack:verifyUrls).
    verify_urls: tuple[VerifyUrl, ...] = ()

    @property
    def passive_site(self) -> Site:
        return self.active_site.other

    @property
    def switching(self) -> bool:
        return self.transition is not Transition.NONE

    @property
    def transition_name(self) -> str:
        """What this run is, as the plan table and the outputs name it: ``cutover``,
        ``failback``, ``adopt`` (the first run, which finds the active site already serving)
        or ``none``."""
        return "adopt" if self.adopting else self.transition.value

    @property
    def writes_ledger(self) -> bool:
        """Whether this run writes a new ledger (a switch, the first run, a fencing), rather
        than declaring it again as the last switch wrote it."""
        return self.switching or self.adopting or self.fencing

    @property
    def changes_counts(self) -> bool:
        """Whether any workload's count on a site this run touches differs from its live count."""
        return any(w.live(site) != w.desired(site)
                   for w in self.workloads for site in Site if self.touches(site))

    @property
    def transition_id(self) -> str:
        """Names this run in the dynamic resources' inputs; equal across re-runs of it.

        A switch is ``cutover#N``/``failback#N``. A run that switches nothing but still moves
        counts (going back after a failed switch, fencing, restoring a workload scaled to 0) is
        ``realign#N``: its lease, drain and readiness gates run as in a switch, so the site
        coming up never starts before the other one's pods are gone. Only a run that changes no
        count is ``none``, and its gates stay still."""
        if self.switching:
            return f"{self.transition}#{self.ledger.generation}"
        if self.changes_counts:
            return f"{REALIGN}#{self.ledger.generation}"
        return Transition.NONE.value

    def touches(self, site: Site) -> bool:
        return site not in self.untouched_sites


class PlanError(DrstackError):
    """Every reason the plan cannot be made, reported at once; nothing was changed."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        lines = [f"drstack cannot plan this switch ({len(problems)} problem(s)); "
                 "nothing was changed:"]
        lines += [f"  - {p}" for p in problems]
        super().__init__("\n".join(lines))
