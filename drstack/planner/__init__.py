"""The planner: pure Python, snapshots of both sites + config -> Plan, and every finding."""

from drstack.planner.build import assess, build_plan
from drstack.planner.findings import Assessment, Finding, Severity
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
    snapshot_name,
)

__all__ = [
    "Assessment", "CopyPlan", "Finding", "LedgerRecord", "Phase", "Plan", "PlanError", "PvcPair",
    "Severity", "SnapshotPlan", "Step", "Transition", "WorkloadPlan", "assess", "build_plan",
    "snapshot_name",
]
