"""The pre-flight: every reason a run cannot go ahead, and every warning, in one pass.

It needs only the validated stack config and both sites' snapshots, and changes nothing: the
Pulumi program runs it before it declares anything (``drstack.program.plan_switch``), and a
command that only checks (``python -m drstack check``) calls it the same way. It adds to the
planner's findings (``assess``: namespaces, nodes, lease, history, pairing, originals, PVCs,
images, split brain, the last switch) the one check that runs a program: whether the installed
pv-migrate can make the planned copy with the configured flags.
"""

from __future__ import annotations

import dataclasses

from drstack.model import Site, SiteSnapshot, StackConfig
from drstack.planner import Assessment, CopyPlan, Finding, Severity, assess
from drstack.pvmigrate import PvMigrateError, PvMigrateFlagsInvalid, usable_pv_migrate


def preflight(config: StackConfig, snapshots: dict[Site, SiteSnapshot], *,
              now: str) -> Assessment:
    """Every finding about this run; its plan (with every warning) when no finding stops it."""
    planned = assess(config, snapshots, now=now)
    extra = pv_migrate_findings(config, planned.copy)
    findings = planned.findings + extra
    plan = planned.plan
    if plan is not None:
        if any(f.severity is Severity.ERROR for f in extra):
            plan = None
        else:
            plan = dataclasses.replace(plan, warnings=plan.warnings + tuple(
                f.message for f in extra))
    return Assessment(plan, findings, planned.copy)


def pv_migrate_findings(config: StackConfig, copy: CopyPlan | None) -> tuple[Finding, ...]:
    """What is wrong with the installed pv-migrate and drstack:pvMigrateFlags.

    Errors only when this run copies data; in steady state the same findings are warnings, so
    a routine preview already tells whether the next switch's copy would start.
    """
    if copy is None:
        return ()
    problems: list[str] = []
    try:
        usable_pv_migrate(config.pv_migrate_path, config.pv_migrate_flags)
    except PvMigrateFlagsInvalid as exc:
        problems = [str(problem) for problem in exc.problems]
    except PvMigrateError as exc:  # missing, unreadable or unsupported version
        problems = [str(exc)]
    if copy.pairs:
        return tuple(Finding(Severity.ERROR, "pv-migrate", p) for p in problems)
    return tuple(Finding(Severity.WARNING, "pv-migrate",
                         f"the next switch's data copy would fail: {p}") for p in problems)
