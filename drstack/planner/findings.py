"""What a pre-flight finds: every problem and warning of a run, each with its severity.

The planner reports its findings as values instead of raising at the first failing check, so
that an operator sees every reason at once (a Pending PVC is not hidden behind a node error),
and so that the program and a command that only checks can share one implementation.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from drstack.planner.plan import CopyPlan, Plan


class Severity(enum.StrEnum):
    """Whether a finding stops the run."""

    ERROR = "error"  # the run must not start: nothing is changed
    WARNING = "warning"  # shown in the preview and the outputs; the run goes on
    INFO = "info"  # reported (the preview's log, `check`), never a problem: e.g. the last switch


@dataclass(frozen=True)
class Finding:
    """One thing a pre-flight found: how bad it is, which check found it, and the message for the
    operator (what is wrong and the fix)."""

    severity: Severity
    check: str  # e.g. "namespace", "nodes", "lease", "original", "pvc", "pv-migrate", "split-brain"
    message: str


@dataclass(frozen=True)
class Assessment:
    """Everything found about a run: its plan when no finding stops it, and every finding."""

    plan: Plan | None
    findings: tuple[Finding, ...]
    # The data copy the run would make, worked out even when other findings stop the run, so
    # that the pre-flight can check pv-migrate in the same pass.
    copy: CopyPlan | None = None

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)
