"""The check's report for people (a table, then each direction's findings) and for machines
(JSON, schema ``drstack-check/1``: README, "Is DR ready? python -m drstack check")."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from drstack.check.report import CheckReport, DirectionReport, LastSwitch, ReadState, SiteView
from drstack.model import Lease, Ledger
from drstack.planner import Finding, Plan, Severity

SCHEMA = "drstack-check/1"
# The finding that says when the pair last switched: shown under the site table.
LAST_SWITCH = "last-switch"


# ---- for people -------------------------------------------------------------------------------


def human(report: CheckReport) -> str:
    """The site table and the last switch, the findings every direction shares, then each
    direction with its own."""
    lines = [f"drstack check of {report.project} at {report.checked_at}"]
    tables: list[tuple[SiteView, ...]] = []
    for direction in report.directions:
        if direction.sites is not None and direction.sites not in tables:
            tables.append(direction.sites)
    for sites in tables:
        if len(tables) > 1:  # the stacks disagree on the sites (a stack-pair finding says how)
            stacks = ", ".join(d.stack for d in report.directions if d.sites == sites)
            lines.append(f"the sites as stack {stacks} describes them:")
        lines += _site_rows(sites)
    lines += _last_switch_line(report, read=any(
        view.read is ReadState.READ for sites in tables for view in sites))
    # Shown above, under the site table.
    findings = [[f for f in d.findings if f.check != LAST_SWITCH] for d in report.directions]
    shared = _shared(findings)
    if shared:
        lines += ["", "both directions:", *_finding_rows(shared)]
    for direction, own in zip(report.directions, findings, strict=True):
        lines += ["", _direction_heading(direction)]
        if direction.plan is not None:
            lines.append(f"  would: {_would(direction.plan)}")
        lines += _finding_rows([f for f in own if f not in shared])
    lines += ["", f"result: {report.status} (exit {report.exit_code})"]
    return "\n".join(lines)


def _last_switch_line(report: CheckReport, *, read: bool) -> list[str]:
    """The pre-flight's own words for the last switch; nothing when no site was read."""
    notes = [f.message for d in report.directions for f in d.findings if f.check == LAST_SWITCH]
    if notes:
        return [notes[0]]
    return ["last switch: none recorded (no drstack ledger on the sites read)"] if read else []


def _direction_heading(direction: DirectionReport) -> str:
    counts = [f"{n} {sev}{'s' if n != 1 else ''}" for sev in (Severity.ERROR, Severity.WARNING)
              if (n := sum(f.severity is sev for f in direction.findings))]
    return (f"{direction.direction} to {direction.makes_active} "
            f"(pulumi up -s {direction.stack}): {direction.status.replace('-', ' ').upper()}"
            + (f", {', '.join(counts)}" if counts else ""))


def _would(plan: Plan) -> str:
    """What `pulumi up` of the direction's stack would do, in a few words."""
    if plan.switching:
        steps = ", ".join(str(step) for step in plan.steps)
        why = plan.last_active_reason
        return f"{plan.transition} from {plan.last_active_site} ({why}): {steps}"
    if plan.adopting:
        counts = "sets workload counts" if plan.changes_counts else "no workload count changes"
        return f"adopt: record {plan.active_site} as active ({plan.last_active_reason}); {counts}"
    if plan.fencing:
        return f"fence {plan.passive_site} (scale it to 0); {plan.active_site} stays active"
    if plan.changes_counts:
        return f"set the workload counts of {plan.active_site}, which stays active"
    return (f"nothing: {plan.active_site} is already active (from {plan.last_active_reason}); "
            "no switch to check in this direction")


def _shared(findings: Sequence[list[Finding]]) -> list[Finding]:
    """The findings every direction has (the pair's, not a direction's), when there are two."""
    if len(findings) < 2:
        return []
    first, *others = findings
    return [f for f in first if all(f in other for other in others)]


def _finding_rows(findings: Sequence[Finding]) -> list[str]:
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    rows = []
    for f in sorted(findings, key=lambda f: order[f.severity]):
        first, *more = f.message.splitlines()
        rows.append(f"  {f.severity:<8} {f.check:<12} {first}")
        rows += [f"  {'':<8} {'':<12} {line}" for line in more]
    return rows


def _site_rows(sites: Sequence[SiteView]) -> list[str]:
    rows = [("site", "context", "API server", "namespace", "read", "Ready nodes", "ledger",
             "lease")]
    for view in sites:
        read = view.read.value
        if view.namespace_exists is False:
            read = "no namespace"
        rows.append((view.site.value, view.context or "-", view.server or "-", view.namespace,
                     read, _nodes(view), _ledger_cell(view.ledger),
                     _lease_cell(view.lease) if view.read is ReadState.READ else "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in rows]


def _nodes(view: SiteView) -> str:
    if view.read is not ReadState.READ or view.namespace_exists is False:
        return "-"
    return "not counted" if view.ready_nodes is None else str(view.ready_nodes)


def _ledger_cell(ledger: Ledger | None) -> str:
    if ledger is None:
        return "-"
    return f"{ledger.active_site} active, generation {ledger.generation}"


def _lease_cell(lease: Lease | None) -> str:
    if lease is None:
        return "free"
    what = f" ({lease.transition})" if lease.transition else ""
    return f"held by stack {lease.holder}{what} since {lease.acquired_at}"


# ---- for machines -----------------------------------------------------------------------------


def as_json(report: CheckReport) -> str:
    return json.dumps(document(report), indent=2)


def document(report: CheckReport) -> dict[str, Any]:
    """The report as JSON values, camelCase keys (README: the schema, field by field)."""
    return {
        "schema": SCHEMA,
        "checkedAt": report.checked_at,
        "project": report.project,
        "status": report.status.value,
        "exitCode": report.exit_code,
        "lastSwitch": _last_switch(report.last_switch),
        "directions": [_direction(d) for d in report.directions],
    }


def _direction(direction: DirectionReport) -> dict[str, Any]:
    plan = direction.plan
    return {
        "direction": direction.direction,
        "stack": direction.stack,
        "makesActive": direction.makes_active.value,
        "status": direction.status.value,
        "exitCode": direction.status.exit_code,
        "run": None if plan is None else plan.transition_name,
        "steps": None if plan is None else [str(step) for step in plan.steps],
        "sites": None if direction.sites is None else {
            view.site.value: _site(view) for view in direction.sites},
        "findings": [{"severity": f.severity.value, "check": f.check, "message": f.message}
                     for f in direction.findings],
    }


def _site(view: SiteView) -> dict[str, Any]:
    lease = view.lease
    return {
        "context": view.context,
        "server": view.server,
        "namespace": view.namespace,
        "read": view.read.value,
        "namespaceExists": view.namespace_exists,
        "readyNodes": view.ready_nodes,
        "ledger": _ledger(view.ledger),
        "lease": None if lease is None else {
            "holder": lease.holder, "acquiredAt": lease.acquired_at,
            "transition": lease.transition,
            "from": None if lease.from_site is None else lease.from_site.value},
    }


def _ledger(ledger: Ledger | None) -> dict[str, Any] | None:
    if ledger is None or ledger.active_site is None:
        return None
    return {"activeSite": ledger.active_site.value, "generation": ledger.generation,
            "switchedAt": ledger.switched_at, "stack": ledger.stack,
            "transition": ledger.transition, "fencedAt": ledger.fenced_at}


def _last_switch(last: LastSwitch | None) -> dict[str, Any] | None:
    if last is None:
        return None
    return {**(_ledger(last.ledger) or {}), "ageSeconds": last.age_seconds}

