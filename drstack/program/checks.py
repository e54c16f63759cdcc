"""Checks the program makes before it declares anything, so that a switch that cannot finish
fails in preview instead of half way through ``pulumi up``."""

from __future__ import annotations

from drstack.model import StackConfig
from drstack.planner import Plan
from drstack.pvmigrate import PvMigrateError, PvMigrateFlagsInvalid, usable_pv_migrate


def pv_migrate_findings(config: StackConfig, plan: Plan) -> tuple[list[str], list[str]]:
    """(errors, warnings) about the installed pv-migrate and drstack:pvMigrateFlags.

    Errors only when this run copies data; in steady state the same findings are warnings, so
    a routine preview already tells whether the next switch's copy would start.
    """
    if plan.copy is None:
        return [], []
    findings: list[str] = []
    try:
        usable_pv_migrate(config.pv_migrate_path, config.pv_migrate_flags)
    except PvMigrateFlagsInvalid as exc:
        findings = [str(problem) for problem in exc.problems]
    except PvMigrateError as exc:  # missing, unreadable or unsupported version
        findings = [str(exc)]
    if plan.copy.pairs:
        return findings, []
    return [], [f"the next switch's data copy would fail: {f}" for f in findings]
