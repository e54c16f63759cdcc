"""The plan as a reviewer reads it: a table in the preview, and the stack's outputs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from drstack.config.kubeconfig import SiteAddress
from drstack.model import Site
from drstack.planner import Plan, Transition


def plan_table(plan: Plan, addresses: Mapping[Site, SiteAddress], *, stack: str) -> str:
    """The plan as the preview shows it: a heading that says what the run does, where each site
    is, then a row per workload and site."""
    lines = [heading(plan, stack=stack), *_site_rows(plan, addresses), *_workload_rows(plan)]
    if plan.copy is not None:
        if plan.copy.pairs:
            pairs = ", ".join(f"{p.on(plan.copy.from_site)} -> {p.on(plan.copy.to_site)}"
                              for p in plan.copy.pairs)
            lines.append(f"data copy {plan.copy.direction}: {pairs}")
        else:
            lines.append(f"data copy: none ({plan.copy.skipped_because})")
    if plan.snapshots is not None and plan.snapshots.claims:
        shots = plan.snapshots
        kind = f"class {shots.snapshot_class}" if shots.snapshot_class else "default class"
        lines.append(f"snapshots on {shots.site} before the copy ({kind}, kept): "
                     + ", ".join(f"{claim} -> {name}" for claim, name in shots.names.items()))
    if plan.transition_id != Transition.NONE.value:  # a switch, or a realign: gates run
        lines.append(verify_line(plan))
    return "\n".join(lines)


def verify_line(plan: Plan) -> str:
    """What the verify step of a switch waits for (README: "After the readiness gate")."""
    services = (f"verify {plan.active_site}: each Service that selects a switched workload has "
                "a ready endpoint per pod")
    if not plan.verify_urls:
        return f"{services} (no drstack:verifyUrls)"
    urls = ", ".join(f"{url.shown} -> {url.expect}" for url in plan.verify_urls)
    return f"{services}; then, asked from this machine: {urls}"


def heading(plan: Plan, *, stack: str) -> str:
    """The plan table's first line: what this run does, and in which order."""
    active, passive = plan.active_site, plan.passive_site
    order = f"order: lease, {', '.join(str(step) for step in plan.steps)}, ledger"
    if plan.switching:
        return (f"drstack: {plan.transition} to {active} (last active: {plan.last_active_site}, "
                f"from {plan.last_active_reason}); strategy {plan.strategy}; {order}")
    changes = f"; {order}" if plan.changes_counts else "; no workload count changes"
    if plan.adopting:
        return (f"drstack: adopt: {active} is active ({plan.last_active_reason}); this run writes "
                f"the first ledger (generation {plan.ledger.generation}) on both sites{changes}")
    if plan.fencing or plan.changes_counts:
        does = (f"fences {passive} (scales it to 0)" if plan.fencing
                else "sets the workload counts shown below")
        return (f"drstack: {active} stays active (from {plan.last_active_reason}); this run "
                f"{does}{changes}")
    # The steps would be declared but do nothing: say so, and which stack does switch.
    verb = "cut over" if passive is Site.DR else "fail back"
    other = f"-s {passive}" if stack in {s.value for s in Site} else (
        f"the stack that makes {passive} active")
    return (f"drstack: nothing to do: {active} is already active (from "
            f"{plan.last_active_reason}); to {verb}, use {other}")


def _site_rows(plan: Plan, addresses: Mapping[Site, SiteAddress]) -> list[str]:
    rows = [("site", "context", "API server", "namespace")]
    for site in Site:
        address = addresses[site]
        untouched = "" if plan.touches(site) else "  (declared unreachable: not touched)"
        rows.append((site.value, address.context or "-", address.server or "-",
                     address.namespace + untouched))
    return _aligned(rows)


def _workload_rows(plan: Plan) -> list[str]:
    rows = [("workload", "site", "live -> desired", "original (from)")]
    for w in plan.workloads:
        for site in Site:
            if not plan.touches(site):
                continue
            live = w.live(site)
            rows.append((str(w.ref), site.value, f"{'-' if live is None else live} -> "
                         f"{w.desired(site)}", f"{w.original} ({w.original_from})"))
    return _aligned(rows)


def _aligned(rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in rows]


def plan_outputs(plan: Plan, addresses: Mapping[Site, SiteAddress]) -> dict[str, Any]:
    """The plan as the stack's outputs: plain JSON values, camelCase keys."""
    return {
        "activeSite": plan.active_site.value,
        "lastActiveSite": plan.last_active_site.value,
        "lastActiveReason": plan.last_active_reason,
        "transition": plan.transition_name,
        "strategy": plan.strategy.value,
        "steps": [str(step) for step in plan.steps],
        "sites": {site.value: {"context": addresses[site].context,
                               "server": addresses[site].server,
                               "namespace": addresses[site].namespace} for site in Site},
        "workloads": [
            {
                "workload": str(w.ref),
                "original": w.original,
                "originalFrom": w.original_from,
                "source": {"live": w.live_source, "desired": w.desired_source},
                "dr": {"live": w.live_dr, "desired": w.desired_dr},
            }
            for w in plan.workloads
        ],
        "dataCopy": None if plan.copy is None else {
            "direction": plan.copy.direction,
            "pairs": [{"source": p.source, "dr": p.dr} for p in plan.copy.pairs],
            "skippedBecause": plan.copy.skipped_because,
        },
        "snapshots": None if plan.snapshots is None or not plan.snapshots.claims else {
            "site": plan.snapshots.site.value,
            "class": plan.snapshots.snapshot_class or None,
            "claims": [{"claim": claim, "snapshot": name}
                       for claim, name in plan.snapshots.names.items()],
        },
        "ledger": plan.ledger.annotations(),
        "untouchedSites": sorted(site.value for site in plan.untouched_sites),
        "fencing": plan.fencing,
        "warnings": list(plan.warnings),
    }
