"""build_plan and assess: snapshots of both sites + config -> Plan and findings. Pure: no I/O,
no clock."""

from __future__ import annotations

import re

from drstack.model import (
    Ledger,
    LiveWorkload,
    Site,
    SiteSnapshot,
    StackConfig,
    Strategy,
    WorkloadRef,
)
from drstack.planner.findings import Assessment, Finding, Severity
from drstack.planner.history import LastActive, find_last_active
from drstack.planner.last_switch import last_switch_finding
from drstack.planner.originals import override_fixes, resolve_original
from drstack.planner.plan import (
    CopyPlan,
    LedgerRecord,
    Phase,
    Plan,
    PlanError,
    PvcPair,
    SnapshotPlan,
    Step,
    Transition,
    WorkloadPlan,
)


def build_plan(
    config: StackConfig,
    snapshots: dict[Site, SiteSnapshot],
    *,
    now: str,
) -> Plan:
    """The plan of this run; raises PlanError with every problem ``assess`` finds."""
    assessment = assess(config, snapshots, now=now)
    if assessment.plan is None:
        raise PlanError([f.message for f in assessment.errors])
    return assessment.plan


class _Found:
    """Collects findings, so that every check runs and reports in one pass."""

    def __init__(self) -> None:
        self.items: list[Finding] = []

    def error(self, check: str, message: str) -> None:
        self.items.append(Finding(Severity.ERROR, check, message))

    def warn(self, check: str, message: str) -> None:
        self.items.append(Finding(Severity.WARNING, check, message))

    @property
    def stops(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.items)

    def warnings(self) -> tuple[str, ...]:
        return tuple(f.message for f in self.items if f.severity is Severity.WARNING)


def assess(
    config: StackConfig,
    snapshots: dict[Site, SiteSnapshot],
    *,
    now: str,
) -> Assessment:
    """Every check of the run at once: its plan when no finding stops it, and every finding.

    A check that another finding makes meaningless is skipped rather than reported as a
    consequence: the originals and the data copy when drstack cannot tell which site was active
    last, the pairing and the overrides on a site whose namespace is missing.
    """
    found = _Found()
    active = config.active_site
    passive = active.other
    untouched = frozenset({passive}) if config.old_site_unreachable else frozenset()

    for snap in snapshots.values():
        if snap.reachable and not snap.namespace_exists:
            key = f"drstack:{snap.site}Namespace"
            found.error("namespace", f"namespace {snap.namespace!r} does not exist on site "
                        f"{snap.site}. Fix: create it, or correct {key}")
    reachable = frozenset(s.site for s in snapshots.values() if s.reachable)
    # The sites whose workloads were read: reachable, and their namespace exists.
    readable = frozenset(s for s in reachable if snapshots[s].namespace_exists)
    if not snapshots[active].reachable:
        found.error("site", f"the site being made active ({active}) cannot be read; drstack "
                    "cannot switch to a site it cannot reach")
    elif snapshots[active].ready_nodes == 0:
        found.error("nodes", f"site {active} (being made active) has no Ready node, so nothing "
                    "it is asked to run could start. Fix: bring its nodes back (kubectl get "
                    "nodes) and run again")
    _lease_findings(config, snapshots, found)

    last = find_last_active(snapshots, active=active, assume=config.assume_active_site,
                            old_site_unreachable=config.old_site_unreachable)
    if last.error:
        found.error("history", last.error)
    elif config.assume_active_site is not None and "assumeActiveSite" not in last.reason:
        found.warn("history", f"drstack:assumeActiveSite={config.assume_active_site} is "
                   f"ignored: {last.reason} says {last.site} was active; remove the setting")
    transition = None if last.site is None else Transition.between(last.site, active)
    switching = transition not in (None, Transition.NONE)
    if switching and snapshots[active].reachable and snapshots[active].ready_nodes is None:
        found.warn("nodes", f"could not count the Ready nodes of site {active} (its kubeconfig "
                   "may not list nodes): check `kubectl get nodes` before going on")

    live = _live_by_ref(snapshots, readable)
    unpaired = _pairing_problems(live, snapshots, readable)
    for problem in unpaired.values():
        found.error("pairing", problem)
    if readable == reachable:
        for ref in sorted(config.replica_overrides):
            if ref not in live:
                found.error("original", f"drstack:replicaOverrides names {ref}, which is on "
                            "neither site (after workloadSelector and excludeWorkloads). Fix: "
                            "remove it, or correct its Kind/name")

    workloads: list[WorkloadPlan] = []
    # The originals are read on the last active site first: not without knowing it, nor when
    # its namespace is missing (declared unreachable is fine: the other site's records count).
    if last.site is not None and (last.site in readable or last.site not in reachable):
        workloads = _workload_plans(config, live, sorted(live.keys() - unpaired.keys()),
                                    last.site, found)
    for warning in _image_warnings(live, active, last.site):
        found.warn("images", warning)

    copy = None
    if last.site is not None and transition is not None:
        copy = _copy_plan(config, snapshots, live, transition, last.site, readable, found)
        _split_brain_findings(config, snapshots, live, transition, last, copy, found)
    snapshot_plan = _snapshot_plan(config, snapshots, transition, copy, found)
    # When the pair last switched, in every run's report (never a warning: see last_switch).
    if (last_switch := last_switch_finding(last.ledger, now=now)) is not None:
        found.items.append(last_switch)
    if found.stops or last.site is None or transition is None:
        return Assessment(None, tuple(found.items), copy)

    fencing = (transition is Transition.NONE and passive not in untouched
               and any((w.live(passive) or 0) > 0 for w in workloads))
    if passive in untouched:
        found.warn("unreachable",
                   f"site {passive} is declared unreachable (drstack:oldSiteUnreachable) and is "
                   f"NOT touched: its workloads may still run. Before it can serve again, fence "
                   f"it: pulumi config set drstack:oldSiteUnreachable false, then pulumi up -s "
                   f"{config.stack} as soon as it is reachable (this scales it to 0)")

    plan = Plan(
        active_site=active,
        last_active_site=last.site,
        last_active_reason=last.reason,
        transition=transition,
        strategy=config.strategy,
        workloads=tuple(workloads),
        steps=_steps(config.strategy, transition, active, untouched, copy, snapshot_plan),
        copy=copy,
        ledger=_ledger(config, last.ledger, transition, fencing, now, snapshot_plan),
        snapshots=snapshot_plan,
        untouched_sites=untouched,
        fencing=fencing,
        adopting=transition is Transition.NONE and last.ledger is None,
        warnings=found.warnings(),
        verify_urls=config.verify_urls,
    )
    return Assessment(plan, tuple(found.items), copy)


def _workload_plans(config: StackConfig, live: dict[WorkloadRef, dict[Site, LiveWorkload]],
                    refs: list[WorkloadRef], last_active: Site,
                    found: _Found) -> list[WorkloadPlan]:
    """Each paired workload with its original and counts; a finding for each without one, and
    the one command that sets them all."""
    active = config.active_site
    workloads: list[WorkloadPlan] = []
    unknown: list[tuple[WorkloadRef, str]] = []
    for ref in refs:
        resolution = resolve_original(ref, live[ref], last_active,
                                      config.replica_overrides.get(ref))
        for warning in resolution.warnings:
            found.warn("original", warning)
        if resolution.original is None:
            unknown.append((ref, resolution.error or f"{ref}: original replica count unknown"))
            continue
        count = resolution.original.count
        workloads.append(WorkloadPlan(
            ref=ref,
            original=count,
            original_from=resolution.original.source,
            live_source=_replicas(live[ref].get(Site.SOURCE)),
            live_dr=_replicas(live[ref].get(Site.DR)),
            desired_source=count if active is Site.SOURCE else 0,
            desired_dr=count if active is Site.DR else 0,
        ))
    if unknown:
        for message in override_fixes(unknown, stack=config.stack,
                                      existing_entries=config.replica_override_entries):
            found.error("original", message)
    return workloads


def _lease_findings(config: StackConfig, snapshots: dict[Site, SiteSnapshot],
                    found: _Found) -> None:
    """A lease held by another stack stops the run, unless the operator breaks it."""
    for snap in snapshots.values():
        lease = snap.ledger.lease if snap.reachable else None
        if lease is None or not lease.stops(config.stack):
            continue
        if config.break_lease:
            found.warn("lease", f"site {snap.site}: breaking the lease of stack {lease.holder!r} "
                       f"(since {lease.acquired_at}); set drstack:breakLease back to false "
                       "after this run")
        else:
            found.error("lease", lease.refusal(snap.site, config.stack))


def _live_by_ref(snapshots: dict[Site, SiteSnapshot], readable: frozenset[Site],
                 ) -> dict[WorkloadRef, dict[Site, LiveWorkload]]:
    live: dict[WorkloadRef, dict[Site, LiveWorkload]] = {}
    for snap in snapshots.values():
        if snap.site in readable:
            for workload in snap.workloads:
                live.setdefault(workload.ref, {})[snap.site] = workload
    return live


def _pairing_problems(live: dict[WorkloadRef, dict[Site, LiveWorkload]],
                      snapshots: dict[Site, SiteSnapshot],
                      readable: frozenset[Site]) -> dict[WorkloadRef, str]:
    """Workload -> problem, for every workload present on one readable site only."""
    problems = {}
    for ref in sorted(live):
        for site in sorted(readable - live[ref].keys()):
            there = next(iter(live[ref]))
            problems[ref] = (
                f"{ref} exists on {there} but not on {site} (namespace "
                f"{snapshots[site].namespace!r}). Fix: deploy it on {site}, or add it to "
                f"drstack:excludeWorkloads")
    return problems


def _replicas(workload: LiveWorkload | None) -> int | None:
    return None if workload is None else workload.replicas


def _image_warnings(live: dict[WorkloadRef, dict[Site, LiveWorkload]], active: Site,
                    last_active: Site | None) -> list[str]:
    """A warning per workload whose two sites run different images. The copy that may be stale
    is the one on the site that did not serve last: the site being made active in a switch
    (source, in a failback), the passive one in steady state."""
    if last_active is None:
        stale = "one site's copy may be stale"
    elif last_active is active:
        stale = (f"{active.other}, the passive site, may run a stale copy ({active} serves and "
                 f"may be newer): a switch to {active.other} would start its images")
    else:
        stale = (f"{active}, the site being made active, may run a stale copy ({last_active}, "
                 f"which served last, may be newer): check it before going on")
    warnings = []
    for ref in sorted(live):
        sites = live[ref]
        if len(sites) == 2 and sites[Site.SOURCE].images != sites[Site.DR].images:
            warnings.append(
                f"{ref} runs different images: source {list(sites[Site.SOURCE].images)}, "
                f"dr {list(sites[Site.DR].images)}; {stale}")
    return warnings


def _steps(strategy: Strategy, transition: Transition, active: Site,
           untouched: frozenset[Site], copy: CopyPlan | None,
           snapshots: SnapshotPlan | None) -> tuple[Step, ...]:
    passive = active.other
    down = [Step(Phase.SCALE_DOWN, passive), Step(Phase.DRAIN, passive)]
    if passive in untouched:
        down = []
    up = [Step(Phase.SCALE_UP, active), Step(Phase.READY, active), Step(Phase.VERIFY, active)]
    # Warm brings the new site up first; in steady state (fencing included) the passive site
    # goes to 0 first, so a site that came back after a disaster is fenced before anything else.
    if strategy is Strategy.WARM and transition is not Transition.NONE:
        return tuple(up + down)
    middle = [Step(Phase.COPY, active)] if copy is not None else []
    if snapshots is not None:
        middle.insert(0, Step(Phase.SNAPSHOT, active))
    return tuple(down + middle + up)


def _copy_plan(config: StackConfig, snapshots: dict[Site, SiteSnapshot],
               live: dict[WorkloadRef, dict[Site, LiveWorkload]], transition: Transition,
               last_active: Site, readable: frozenset[Site], found: _Found) -> CopyPlan | None:
    active = config.active_site
    if config.strategy is not Strategy.COLD or not config.copies_data_into(active):
        return None
    from_site = active.other
    skipped = None
    if transition is Transition.NONE:
        skipped = f"no switch: {active} is already active"
    elif config.old_site_unreachable:
        skipped = f"{from_site} is declared unreachable (drstack:oldSiteUnreachable)"
    if skipped:
        if config.old_site_unreachable and transition is not Transition.NONE:
            key = "reverseMigratePvcData" if active is Site.SOURCE else "migratePvcData"
            found.warn("copy", f"the data {from_site} wrote since it became active is NOT "
                       f"copied (drstack:{key} is on, but {from_site} cannot be reached): "
                       f"{active} will serve the data it had when {from_site} took over")
        return CopyPlan(from_site, active, (), skipped_because=skipped)
    assert last_active is from_site  # a switch always copies from the last active site
    if not {from_site, active} <= readable:  # a missing namespace, reported already
        return CopyPlan(from_site, active, ())
    pairs = _pvc_pairs(config, snapshots, live, from_site, found)
    record, lease = snapshots[active].ledger.copied, snapshots[active].ledger.lease
    this_switch = f"{transition}#{_next_generation(snapshots)}"
    if pairs and record is not None and record.finished_under(lease, this_switch):
        # An earlier run of this very switch, under the lease it still holds, finished the
        # copy; the new site may have run and written since (a readiness failure, a re-run):
        # copying again would put the old site's data back over it.
        return CopyPlan(from_site, active, (), skipped_because=(
            f"finished at {record.copied_at} by an earlier run of this switch ({this_switch}); "
            f"not copied again: {active} may have written since"), copied_earlier=pairs)
    return CopyPlan(from_site, active, pairs)


def _snapshot_plan(config: StackConfig, snapshots: dict[Site, SiteSnapshot],
                   transition: Transition | None, copy: CopyPlan | None,
                   found: _Found) -> SnapshotPlan | None:
    """The snapshots before this switch's copy (drstack:snapshotBeforeCopy), and an error when
    the site being made active cannot take them: found now, before anything is scaled."""
    if not config.snapshot_before_copy or copy is None:
        return None
    site = copy.to_site
    if not copy.switch_pairs:
        # Declared still, inert (as the copy is): a steady run shows no change, not a delete.
        return SnapshotPlan(site=site, snapshot_class=config.volume_snapshot_class, claims=(),
                            transition=Transition.NONE.value)
    assert transition is not None
    plan = SnapshotPlan(site=site, snapshot_class=config.volume_snapshot_class,
                        claims=tuple(sorted(p.on(site) for p in copy.switch_pairs)),
                        transition=f"{transition}#{_next_generation(snapshots)}")
    api = snapshots[site].snapshot_api
    if not copy.pairs or api is None:  # copied earlier: its snapshots exist already
        return plan
    off = f"or turn the snapshots off: pulumi config set -s {config.stack} " \
          "drstack:snapshotBeforeCopy false"
    wanted = config.volume_snapshot_class
    if not api.served:
        found.error("snapshot", f"drstack:snapshotBeforeCopy is on, but site {site} does not "
                    "serve the VolumeSnapshot API (snapshot.storage.k8s.io/v1). Fix: install "
                    f"the CSI external-snapshotter (its CRDs and controller) on {site}, {off}")
    elif api.classes is None:
        found.warn("snapshot", f"could not list the VolumeSnapshotClasses of site {site} (this "
                   f"kubeconfig may not): the snapshot step fails if "
                   f"{repr(wanted) if wanted else 'its default class'} does not exist")
    elif wanted and wanted not in api.classes:
        found.error("snapshot", f"drstack:volumeSnapshotClass={wanted!r} does not exist on "
                    f"site {site} (its classes: {_listed(api.classes)}). Fix: set it to one of "
                    f"them, {off}")
    elif not wanted and api.default_class is None:
        found.error("snapshot", f"site {site} has no default VolumeSnapshotClass (its classes: "
                    f"{_listed(api.classes)}), and drstack:volumeSnapshotClass is empty. Fix: "
                    f"pulumi config set -s {config.stack} drstack:volumeSnapshotClass NAME, "
                    f"{off}")
    return plan


def _listed(names: tuple[str, ...]) -> str:
    return ", ".join(names) if names else "none"


def _next_generation(snapshots: dict[Site, SiteSnapshot]) -> int:
    """The generation a switch planned now writes: one past the newest ledger."""
    return max((s.ledger.generation for s in snapshots.values() if s.reachable
                and s.ledger.recorded), default=0) + 1


def _split_brain_findings(config: StackConfig, snapshots: dict[Site, SiteSnapshot],
                          live: dict[WorkloadRef, dict[Site, LiveWorkload]],
                          transition: Transition, last: LastActive, copy: CopyPlan | None,
                          found: _Found) -> None:
    """The site that should not run the workloads runs some: say it, with the counts.

    In steady state that is the passive site (the run fences it: scales it to 0). In a switch it
    is the site being made active, unless an earlier run of this switch started it after its
    copy (its lease is still held); a copy into it would overwrite what its pods use, so that
    stops the run.
    """
    active = config.active_site
    idle = active.other if transition is Transition.NONE else active
    if idle not in snapshots or not snapshots[idle].reachable:
        return
    # Switched workloads only: one on a single site is a pairing problem of its own.
    running = sorted((ref, sites[idle].replicas) for ref, sites in live.items()
                     if len(sites) == 2 and sites[idle].replicas > 0)
    copying = transition is not Transition.NONE and copy is not None and bool(copy.pairs)
    lease = snapshots[idle].ledger.lease
    # An earlier run of this switch scales the new site up only after its copy finished: with
    # a copy still to do, running pods there are never its own.
    ours = (transition is not Transition.NONE and lease is not None and not copying
            and lease.holder == config.stack and lease.from_site is last.site)
    if not running or ours:
        return
    if lease is not None and lease.stops(config.stack):
        # Another stack's switch is in flight: it explains both sites running, and its lease
        # is a finding of its own (it stops this run unless broken).
        return
    listing = ", ".join(f"{ref} ({count} replica{'s' if count != 1 else ''})"
                        for ref, count in running)
    why = (f"split brain: site {idle} runs {listing}, though {last.site} is the active site "
           f"({last.reason})")
    if transition is Transition.NONE:
        found.warn("split-brain", f"{why}; this run fences {idle}: scales it to 0 first")
    elif copying:
        assert copy is not None
        ns = snapshots[idle].namespace
        names = " ".join(f"{ref.kind.value.lower()}/{ref.name}" for ref, _ in running)
        found.error("split-brain", (
            f"{why}. The data copy {copy.direction} would overwrite the claims these pods use, "
            f"and drstack never copies under running pods. Decide whose data is current. If "
            f"{last.site}'s: stop them (kubectl -n {ns} scale {names} --replicas=0, on "
            f"{idle}), wait until their pods are gone, and run again. If {idle}'s (it served "
            f"since): do not copy (pulumi config set -s {config.stack} "
            f"drstack:{'reverseMigratePvcData' if active is Site.SOURCE else 'migratePvcData'}"
            f" false) and run again"))
    else:
        found.warn("split-brain", f"{why}; this {transition} keeps them and scales "
                   f"{active.other} to 0 (no data is copied)")


def _pvc_pairs(config: StackConfig, snapshots: dict[Site, SiteSnapshot],
               live: dict[WorkloadRef, dict[Site, LiveWorkload]], from_site: Site,
               found: _Found) -> tuple[PvcPair, ...]:
    """The claims of the selected workloads on the copying site, paired by name or pvcMap."""
    source_to_dr = dict(config.pvc_map)
    dr_to_source = {dr: src for src, dr in source_to_dr.items()}
    from_snap, to_snap = snapshots[from_site], snapshots[from_site.other]
    from_pvcs = {p.name: p for p in from_snap.pvcs}
    to_pvcs = {p.name: p for p in to_snap.pvcs}

    wanted: set[str] = set()
    for sites in live.values():
        workload = sites.get(from_site)
        if workload is None:
            continue
        wanted.update(workload.claim_names)
        for template in workload.claim_templates:
            pattern = re.compile(rf"^{re.escape(template)}-{re.escape(workload.ref.name)}-\d+$")
            wanted.update(name for name in from_pvcs if pattern.match(name))

    pairs = []
    for name in sorted(wanted):
        counterpart = (source_to_dr if from_site is Site.SOURCE else dr_to_source).get(name, name)
        if name not in from_pvcs:
            found.error("pvc", f"PVC {name} is mounted on {from_site} but does not exist there "
                        f"(namespace {from_snap.namespace!r})")
            continue
        if counterpart not in to_pvcs:
            found.error(
                "pvc", f"PVC {name} on {from_site} has no counterpart {counterpart!r} on "
                f"{from_site.other} (namespace {to_snap.namespace!r}). Fix: create it there, "
                "or pair it with drstack:pvcMap (sourceClaim=drClaim)")
            continue
        for site_name, pvc, snap in ((name, from_pvcs[name], from_snap),
                                     (counterpart, to_pvcs[counterpart], to_snap)):
            if pvc.phase != "Bound":
                found.error("pvc", f"PVC {site_name} on {snap.site} is {pvc.phase}, not Bound; "
                            "pv-migrate needs a bound volume on both sides")
        src, dr = (name, counterpart) if from_site is Site.SOURCE else (counterpart, name)
        pairs.append(PvcPair(source=src, dr=dr))
    return tuple(pairs)


def _ledger(config: StackConfig, newest: Ledger | None, transition: Transition, fencing: bool,
            now: str, snapshots: SnapshotPlan | None) -> LedgerRecord:
    if transition is not Transition.NONE or newest is None:
        return LedgerRecord(
            active_site=config.active_site,
            generation=(newest.generation if newest else 0) + 1,
            switched_at=now,
            stack=config.stack,
            # A first run that finds the active site already serving adopts the pair.
            transition=transition.value if transition is not Transition.NONE else "adopt",
            fenced_at=now if fencing else (newest.fenced_at if newest else None),
            snapshots=snapshots.annotation() if snapshots and snapshots.claims else None,
        )
    # Steady state: the ledger stays as the last switch wrote it, so a preview shows no change.
    return LedgerRecord(
        active_site=config.active_site,
        generation=newest.generation,
        switched_at=newest.switched_at or now,
        stack=newest.stack or config.stack,
        transition=newest.transition or "adopt",
        fenced_at=now if fencing else newest.fenced_at,
        snapshots=newest.snapshots,
    )
