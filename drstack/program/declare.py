"""declare_switch: a Plan -> Pulumi resources, in the plan's order."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from drstack.model import Site, SiteSnapshot, StackConfig
from drstack.planner import Phase, Plan, Transition
from drstack.program.site import SiteSwitch
from drstack.program.verification import declare_verification
from drstack.providers.drain_gate import DrainGate, DrainSpec, DrainWorkload
from drstack.providers.pvc_migration import MigrationSpec, PvcMigration
from drstack.providers.readiness_gate import ReadinessGate, ReadinessSpec, ReadyWorkload
from drstack.providers.switch_lease import LeaseSpec, SwitchLease


def declare_switch(config: StackConfig, plan: Plan,
                   snapshots: dict[Site, SiteSnapshot]) -> list[pulumi.CustomResource]:
    """Declare ``plan`` as Pulumi resources: the lease, the plan's steps, then the ledgers,
    which it returns (the last resources of the run).

    Sites the plan does not touch (declared unreachable) get no resource at all.
    """
    roles = {plan.active_site: "scale up", plan.passive_site: "scale down"}
    touched = [site for site in Site if plan.touches(site)]
    sites = {site: SiteSwitch(config.site(site), roles[site]) for site in touched}
    lease = SwitchLease("switch-lease", LeaseSpec(
        holder=config.stack, transition=plan.transition_id, from_site=plan.last_active_site,
        sites=tuple((s, config.site(s).namespace) for s in touched),
        break_lease=config.break_lease))
    # Each step depends on the resources of the step before it: that is the switch's order.
    # The lease comes first; the ledger, last, releases it.
    previous: Sequence[pulumi.Resource] = [lease]
    for step in plan.steps:
        site = sites[step.site]
        if step.phase in (Phase.SCALE_DOWN, Phase.SCALE_UP):
            previous = site.scale(plan.workloads, previous)
        elif step.phase is Phase.DRAIN:
            previous = [_drain_gate(config, plan, snapshots, site, previous)]
        elif step.phase is Phase.COPY:
            previous = [_copy(config, plan, site, previous)]
        elif step.phase is Phase.READY:
            previous = [_readiness_gate(config, plan, site, previous)]
        elif step.phase is Phase.VERIFY:  # drstack/program/verification.py
            previous = declare_verification(config, plan, snapshots, site, previous)
    # Written last: a failure anywhere above leaves the ledger as it was, so re-running the same
    # command re-plans the same switch.
    return [site.write_ledger(plan.ledger, previous) for site in sites.values()]


def _drain_gate(config: StackConfig, plan: Plan, snapshots: dict[Site, SiteSnapshot],
                site: SiteSwitch, after: Sequence[pulumi.Resource]) -> DrainGate:
    name = site.site
    claims = sorted(p.on(name) for p in plan.copy.pairs) if plan.copy else []
    spec = DrainSpec(
        site=name, namespace=site.config.namespace, transition=plan.transition_id,
        workloads=tuple(DrainWorkload(w.ref.kind.value, w.ref.name, w.pod_labels)
                        for w in snapshots[name].workloads),
        claims=tuple(claims), timeout_seconds=config.drain_timeout)
    return DrainGate(f"{name}-drain", spec,
                     opts=pulumi.ResourceOptions(parent=site, depends_on=list(after)))


def _copy(config: StackConfig, plan: Plan, site: SiteSwitch,
          after: Sequence[pulumi.Resource]) -> PvcMigration:
    assert plan.copy is not None
    pairs = plan.copy.pairs
    spec = MigrationSpec(
        from_site=plan.copy.from_site, to_site=plan.copy.to_site,
        # Nothing to copy (steady state, or the old site lost): inert, as in steady state.
        transition=plan.transition_id if pairs else Transition.NONE, pairs=pairs,
        flags=config.pv_migrate_flags, concurrency=config.migration_concurrency,
        timeout_seconds=config.migration_timeout, pv_migrate_path=config.pv_migrate_path)
    return PvcMigration(f"pvc-copy-into-{plan.copy.to_site}", spec,
                        opts=pulumi.ResourceOptions(parent=site, depends_on=list(after)))


def _readiness_gate(config: StackConfig, plan: Plan, site: SiteSwitch,
                    after: Sequence[pulumi.Resource]) -> ReadinessGate:
    name = site.site
    spec = ReadinessSpec(
        site=name, namespace=site.config.namespace, transition=plan.transition_id,
        workloads=tuple(ReadyWorkload(w.ref.kind.value, w.ref.name, w.desired(name))
                        for w in plan.workloads),
        timeout_seconds=config.readiness_timeout)
    return ReadinessGate(f"{name}-ready", spec,
                         opts=pulumi.ResourceOptions(parent=site, depends_on=list(after)))
