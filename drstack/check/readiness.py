"""Is DR ready, right now? Both directions of switch judged as their stacks' runs would judge them.

For each stack it validates the config as the program does (drstack.config), reads the sites
once for every direction that describes them alike (drstack.cluster.pair: the program's reads,
with the Ready nodes counted on each site a direction makes active) and runs the program's own
pre-flight (drstack.preflight). Nothing is written anywhere.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from drstack.check.report import (
    CheckReport,
    DirectionReport,
    LastSwitch,
    ReadState,
    SiteView,
    Status,
)
from drstack.check.stack_settings import StackSettings, from_stack_files
from drstack.cluster.pair import SiteRead, declared_lost, read_pair, snapshots_for, snapshotted
from drstack.cluster.retry import ClusterUnavailable
from drstack.config import ConfigError, load_config, read_other_stack
from drstack.config.kubeconfig import site_address
from drstack.config.stack_pair import drift_findings
from drstack.model import Site, SiteSnapshot, StackConfig
from drstack.planner import Finding, Severity
from drstack.planner.history import find_last_active
from drstack.planner.last_switch import age_seconds
from drstack.preflight import preflight


@dataclass(frozen=True)
class _Loaded:
    """A direction whose stack config is valid, with the pair findings of its stack files."""

    config: StackConfig
    stack_findings: tuple[Finding, ...]


def check_readiness(project: Path, sites: Sequence[Site], *, now: str,
                    given: Mapping[str, StackSettings] | None = None,
                    deadline: float | None = None) -> CheckReport:
    """Judge the switch to each of ``sites`` (the stack named after it), from ``project``'s
    stack files or the settings ``given`` per stack (`pulumi config --json`).

    Runs in the project folder, as the program does: relative kubeconfig and pv-migrate paths
    start there. ``deadline``: how long each read may retry (None: the program's own).
    """
    given = given or {}
    with contextlib.chdir(project):
        loaded: dict[Site, _Loaded | DirectionReport] = {
            site: _load(project, site, given.get(site.value)) for site in sites}
        reads = _read_groups([x.config for x in loaded.values() if isinstance(x, _Loaded)],
                             deadline)
        directions = tuple(
            entry if isinstance(entry, DirectionReport)
            else _judge(entry, reads[_reading_key(entry.config)], now=now)
            for entry in loaded.values())
    return CheckReport(now, str(project), directions, _last_switch(reads.values(), now))


def _load(project: Path, site: Site, given: StackSettings | None) -> _Loaded | DirectionReport:
    """The stack's validated config, or a report that it could not be checked."""
    stack = site.value
    try:
        settings = given or from_stack_files(project, stack)
        config = load_config(settings.raw, stack=stack, secret_keys=settings.secret_keys)
    except ConfigError as exc:
        findings = [str(f) for f in exc.findings] or [str(exc)]
        return DirectionReport(stack, site, Status.NOT_CHECKED,
                               tuple(Finding(Severity.ERROR, "config", f) for f in findings))
    return _Loaded(config, _stack_pair_findings(project, settings))


def _stack_pair_findings(project: Path, settings: StackSettings) -> tuple[Finding, ...]:
    """The other stack's file against this stack's keys, as the program compares them."""
    try:
        other = read_other_stack(project, settings.stack)
    except (OSError, yaml.YAMLError) as exc:
        return (Finding(Severity.WARNING, "stack-pair",
                        f"the other stack's file next to Pulumi.yaml cannot be read "
                        f"({type(exc).__name__}), so its site keys were not compared with "
                        f"this stack's"),)
    if other is None:
        return ()
    return tuple(Finding(Severity.ERROR, "stack-pair", str(f)) for f in drift_findings(
        settings.raw, settings.secret_keys, other, stack=settings.stack))


def _reading_key(config: StackConfig) -> tuple[object, ...]:
    """Two stacks that describe the sites alike are judged on one read."""
    return (config.source, config.dr, config.workload_selector, config.exclude_workloads)


def _read_groups(configs: Sequence[StackConfig], deadline: float | None,
                 ) -> dict[tuple[object, ...], dict[Site, SiteRead] | ConfigError]:
    """One read of the sites per way they are described; the Ready nodes counted on every
    site a direction makes active, and no site read that every direction declared lost."""
    groups: dict[tuple[object, ...], list[StackConfig]] = {}
    for config in configs:
        groups.setdefault(_reading_key(config), []).append(config)
    reads: dict[tuple[object, ...], dict[Site, SiteRead] | ConfigError] = {}
    for key, members in groups.items():
        needed = [site for site in Site if any(site not in declared_lost(c) for c in members)]
        try:
            reads[key] = read_pair(members[0], needed, deadline=deadline,
                                   count_ready_nodes={c.active_site for c in members},
                                   snapshot_api={s for c in members for s in snapshotted(c)})
        except ConfigError as exc:  # a kubeconfig whose cluster or user entry cannot be used
            reads[key] = exc
    return reads


def _judge(loaded: _Loaded, reads: Mapping[Site, SiteRead] | ConfigError, *,
           now: str) -> DirectionReport:
    """The program's pre-flight of one stack, on the sites as read."""
    config = loaded.config
    site = config.active_site
    if isinstance(reads, ConfigError):
        return DirectionReport(config.stack, site, Status.NOT_CHECKED,
                               (Finding(Severity.ERROR, "config", str(reads)),))
    views = tuple(_site_view(config, s, reads.get(s)) for s in Site)
    snapshots, problems = snapshots_for(config, reads)
    if problems:
        # As the program: it stops at a site it cannot read. With none read, nothing is judged.
        findings = loaded.stack_findings + tuple(Finding(Severity.ERROR, "site", p)
                                                 for p in problems)
        status = Status.NOT_CHECKED if not any(s.reachable for s in snapshots.values()) \
            else Status.of(findings)
        return DirectionReport(config.stack, site, status, findings, sites=views)
    assessment = preflight(config, snapshots, now=now)
    findings = loaded.stack_findings + assessment.findings
    plan = assessment.plan if not any(f.severity is Severity.ERROR for f in findings) else None
    return DirectionReport(config.stack, site, Status.of(findings), findings, plan, views)


def _site_view(config: StackConfig, site: Site, read: SiteRead | None) -> SiteView:
    address = site_address(config.site(site))
    view = SiteView(site, address.context, address.server, address.namespace,
                    ReadState.DECLARED_LOST)
    if site in declared_lost(config) or read is None:
        return view
    if read.snapshot is None:
        return dataclasses.replace(view, read=ReadState.UNREACHABLE if isinstance(
            read.error, ClusterUnavailable) else ReadState.REFUSED)
    snap = read.snapshot
    return dataclasses.replace(
        view, read=ReadState.READ, namespace_exists=snap.namespace_exists,
        ready_nodes=snap.ready_nodes, ledger=snap.ledger if snap.ledger.recorded else None,
        lease=snap.ledger.lease)


def _last_switch(reads: Iterable[Mapping[Site, SiteRead] | ConfigError],
                 now: str) -> LastSwitch | None:
    """The newest ledger of the sites read (as the first stack describes them, when the two
    disagree), found as the planner finds it."""
    for group in reads:
        if isinstance(group, ConfigError):
            continue
        snapshots: dict[Site, SiteSnapshot] = {
            site: read.snapshot for site, read in group.items() if read.snapshot is not None}
        if not snapshots:
            continue
        # Which site the run makes active plays no part in finding the newest ledger.
        newest = find_last_active(snapshots, active=Site.DR, assume=None,
                                  old_site_unreachable=False).ledger
        return None if newest is None else LastSwitch(newest, age_seconds(newest.switched_at,
                                                                          now))
    return None
