"""Running drstack inside a Pulumi program: clean errors, the plan shown in the preview, the
outputs and where each site is. Used by DrSwitch."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import pulumi

from drstack.config.kubeconfig import SiteAddress, site_address
from drstack.errors import DrstackError
from drstack.model import Site, SiteSnapshot, StackConfig
from drstack.planner import Plan, PlanError, Severity
from drstack.preflight import preflight
from drstack.program.report import plan_table


@contextlib.contextmanager
def fail_cleanly() -> Iterator[None]:
    """Turn drstack's own errors into a clean Pulumi error: the message, no traceback."""
    try:
        yield
    except DrstackError as exc:
        raise pulumi.RunError(str(exc)) from None


def plan_switch(config: StackConfig, snapshots: dict[Site, SiteSnapshot]) -> Plan:
    """Run the pre-flight (every finding at once) and show the plan in the preview."""
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    checked = preflight(config, snapshots, now=now)
    if checked.plan is None:
        raise PlanError([finding.message for finding in checked.errors])
    pulumi.log.info(plan_table(checked.plan, site_addresses(config), stack=config.stack))
    for note in (f for f in checked.findings if f.severity is Severity.INFO):
        pulumi.log.info(note.message)  # e.g. the last switch and its age, as `check` says it
    for warning in checked.plan.warnings:
        pulumi.log.warn(warning)
    return checked.plan


def ledger_status(plan: Plan, ledgers: Sequence[pulumi.CustomResource]) -> pulumi.Input[str]:
    """``planned`` in a preview that would write a new ledger: nothing has happened yet, and its
    switched-at is the preview's time, not the switch's. ``written`` in an update that wrote
    one, ``unchanged`` when the run keeps the ledger as the last switch wrote it.

    In an update the value waits for the ledger writes: when the update fails before them, the
    engine keeps the outputs of the last successful update instead of recording this run's.
    """
    if pulumi.runtime.is_dry_run():
        return "planned" if plan.writes_ledger else "unchanged"
    status = "written" if plan.writes_ledger else "unchanged"
    return pulumi.Output.all(*(ledger.id for ledger in ledgers)).apply(lambda _: status)


def site_addresses(config: StackConfig) -> dict[Site, SiteAddress]:
    """Where each site is (context, API server, namespace), for the plan table and outputs."""
    return {site: site_address(config.site(site)) for site in Site}
