"""declare_switch: a Plan -> Pulumi resources, in the plan's order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from drstack.model import Site, SiteSnapshot, StackConfig
from drstack.planner import Phase, Plan, Transition
from drstack.program.site import SiteSwitch
from drstack.program.verification import Verification, declare_verification
from drstack.providers.drain_gate import DrainGate, DrainSpec, DrainWorkload
from drstack.providers.pvc_migration import MigrationSpec, PvcMigration
from drstack.providers.readiness_gate import ReadinessGate, ReadinessSpec, ReadyWorkload
from drstack.providers.recovery import Recovery
from drstack.providers.switch_lease import LeaseSpec, SwitchLease
from drstack.providers.volume_snapshots import SnapshotSpec, VolumeSnapshots


@dataclass(frozen=True)
class Declared:
    """What the switch declared that its callers wait on."""

    # Every resource of the step before the ledger: done means every step is done.
    last_step: tuple[pulumi.Resource, ...]
    ledgers: tuple[pulumi.CustomResource, ...]  # the last resources of the run
    # The verify step (Service gate, URL probe): what the outputs report of it.
    verification: Verification | None = None

    def verification_outputs(self) -> dict[str, Any]:
        if self.verification is None:  # no verify step declared (no site made active)
            return {"verifiedAt": None, "serviceEndpoints": None, "urlProbes": []}
        return self.verification.outputs()


def declare_switch(config: StackConfig, plan: Plan, snapshots: dict[Site, SiteSnapshot],
                   parent: pulumi.Resource | None = None) -> Declared:
    """Declare ``plan`` as Pulumi resources: the lease, the plan's steps, then the ledgers.

    Sites the plan does not touch (declared unreachable) get no resource at all. ``parent``
    (a DrSwitch) takes the place the stack had: each top-level resource keeps an alias to its
    place at the stack's root, so stacks made before DrSwitch existed replace nothing.
    """
    roles = {plan.active_site: "scale up", plan.passive_site: "scale down"}
    touched = [site for site in Site if plan.touches(site)]
    top = pulumi.ResourceOptions(
        parent=parent, aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]
        if parent is not None else None)
    sites = {site: SiteSwitch(config.site(site), roles[site], opts=top) for site in touched}
    lease = SwitchLease("switch-lease", LeaseSpec(
        holder=config.stack, transition=plan.transition_id, from_site=plan.last_active_site,
        sites=tuple((s, config.site(s).namespace) for s in touched),
        break_lease=config.break_lease), opts=top)
    # Each step depends on the resources of the step before it: that is the switch's order.
    # The lease comes first; the ledger, last, releases it.
    previous: Sequence[pulumi.Resource] = [lease]
    recovery = _recovery(config, plan)
    verification = None
    for step in plan.steps:
        site = sites[step.site]
        if step.phase in (Phase.SCALE_DOWN, Phase.SCALE_UP):
            previous = site.scale(plan.workloads, previous, recovery)
        elif step.phase is Phase.DRAIN:
            previous = [_drain_gate(config, plan, snapshots, site, previous, recovery)]
        elif step.phase is Phase.SNAPSHOT:
            previous = [_snapshots(config, plan, site, previous, recovery)]
        elif step.phase is Phase.COPY:
            previous = [_copy(config, plan, site, previous, recovery)]
        elif step.phase is Phase.READY:
            previous = [_readiness_gate(config, plan, site, previous, recovery)]
        elif step.phase is Phase.VERIFY:  # drstack/program/verification.py
            verification = declare_verification(config, plan, snapshots, site, previous,
                                                recovery)
            previous = [verification.last]
    # Written last: a failure anywhere above leaves the ledger as it was, so re-running the same
    # command re-plans the same switch.
    ledgers = tuple(site.write_ledger(plan.ledger, previous) for site in sites.values())
    return Declared(tuple(previous), ledgers, verification)


def _recovery(config: StackConfig, plan: Plan) -> Recovery | None:
    """The ways out that a failed step of this run names; None when nothing moves."""
    if plan.transition_id == Transition.NONE.value:
        return None
    passive = plan.passive_site
    # The stack that makes the other site active: by the shipped convention, named after it.
    other = (passive.value if config.stack == plan.active_site.value
             else f"<the stack that makes {passive} active>")
    return Recovery(stack=config.stack, other_stack=other, from_site=passive,
                    to_site=plan.active_site, strategy=plan.strategy.value,
                    transition=plan.transition_id)


def _drain_gate(config: StackConfig, plan: Plan, snapshots: dict[Site, SiteSnapshot],
                site: SiteSwitch, after: Sequence[pulumi.Resource],
                recovery: Recovery | None) -> DrainGate:
    name = site.site
    claims = sorted(p.on(name) for p in plan.copy.pairs) if plan.copy else []
    spec = DrainSpec(
        site=name, namespace=site.config.namespace, transition=plan.transition_id,
        workloads=tuple(DrainWorkload(w.ref.kind.value, w.ref.name, w.pod_labels)
                        for w in snapshots[name].workloads),
        claims=tuple(claims), timeout_seconds=config.drain_timeout, recovery=recovery)
    return DrainGate(f"{name}-drain", spec,
                     opts=pulumi.ResourceOptions(parent=site, depends_on=list(after)))


def _snapshots(config: StackConfig, plan: Plan, site: SiteSwitch,
               after: Sequence[pulumi.Resource], recovery: Recovery | None) -> VolumeSnapshots:
    shots = plan.snapshots
    assert shots is not None
    spec = SnapshotSpec(
        site=shots.site, namespace=site.config.namespace, transition=shots.transition,
        claims=shots.claims, snapshot_class=shots.snapshot_class,
        timeout_seconds=config.migration_timeout, recovery=recovery)
    return VolumeSnapshots(f"{shots.site}-snapshots", spec,
                           opts=pulumi.ResourceOptions(parent=site, depends_on=list(after)))


def _copy(config: StackConfig, plan: Plan, site: SiteSwitch,
          after: Sequence[pulumi.Resource], recovery: Recovery | None) -> PvcMigration:
    assert plan.copy is not None
    pairs = plan.copy.pairs
    spec = MigrationSpec(
        from_site=plan.copy.from_site, to_site=plan.copy.to_site,
        # Nothing to copy (steady state, or the old site lost): inert, as in steady state.
        transition=plan.transition_id if pairs else Transition.NONE, pairs=pairs,
        flags=config.pv_migrate_flags, concurrency=config.migration_concurrency,
        timeout_seconds=config.migration_timeout, pv_migrate_path=config.pv_migrate_path,
        recovery=recovery)
    return PvcMigration(f"pvc-copy-into-{plan.copy.to_site}", spec,
                        opts=pulumi.ResourceOptions(parent=site, depends_on=list(after)))


def _readiness_gate(config: StackConfig, plan: Plan, site: SiteSwitch,
                    after: Sequence[pulumi.Resource],
                    recovery: Recovery | None) -> ReadinessGate:
    name = site.site
    spec = ReadinessSpec(
        site=name, namespace=site.config.namespace, transition=plan.transition_id,
        workloads=tuple(ReadyWorkload(w.ref.kind.value, w.ref.name, w.desired(name))
                        for w in plan.workloads),
        timeout_seconds=config.readiness_timeout, recovery=recovery)
    return ReadinessGate(f"{name}-ready", spec,
                         opts=pulumi.ResourceOptions(parent=site, depends_on=list(after)))
