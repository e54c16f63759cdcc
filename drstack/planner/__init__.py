"""The planner: pure Python, snapshots of both sites + config -> Plan."""

from drstack.planner.build import build_plan
from drstack.planner.plan import (
    CopyPlan,
    LedgerRecord,
    Phase,
    Plan,
    PlanError,
    PvcPair,
    Step,
    Transition,
    WorkloadPlan,
)

__all__ = [
    "CopyPlan", "LedgerRecord", "Phase", "Plan", "PlanError", "PvcPair", "Step", "Transition",
    "WorkloadPlan", "build_plan",
]
