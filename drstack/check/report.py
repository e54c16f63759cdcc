"""What ``python -m drstack check`` found, as values: per direction of switch, its status and
findings; per site, what was read; and the last switch.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from drstack.model import Lease, Ledger, Site
from drstack.planner import Finding, Plan, Severity


class Status(enum.StrEnum):
    """How ready a switch is, worst last: its index is the command's exit code."""

    READY = "ready"  # nothing stops it and nothing to warn of
    WARNINGS = "warnings"  # it would run, with warnings to read first
    BLOCKED = "blocked"  # `pulumi up` would stop before changing anything
    NOT_CHECKED = "not-checked"  # its config could not be used, or no site could be read

    @property
    def exit_code(self) -> int:
        return list(Status).index(self)

    @classmethod
    def of(cls, findings: tuple[Finding, ...]) -> Status:
        severities = {f.severity for f in findings}
        if Severity.ERROR in severities:
            return cls.BLOCKED
        return cls.WARNINGS if Severity.WARNING in severities else cls.READY


class ReadState(enum.StrEnum):
    """Whether a site was read, as the site table says it."""

    READ = "ok"
    UNREACHABLE = "unreachable"  # no answer within the deadline
    REFUSED = "refused"  # it answered an error (401, 403...)
    DECLARED_LOST = "declared unreachable"  # drstack:oldSiteUnreachable: not contacted


@dataclass(frozen=True)
class SiteView:
    """One site as a direction's stack describes it, and as it was read."""

    site: Site
    context: str | None
    server: str | None  # without any user:password
    namespace: str
    read: ReadState
    namespace_exists: bool | None = None
    ready_nodes: int | None = None  # None: not counted (or the user may not list nodes)
    ledger: Ledger | None = None  # None: not read, or nothing recorded
    lease: Lease | None = None


@dataclass(frozen=True)
class DirectionReport:
    """A switch in one direction: running its stack now, what would happen."""

    stack: str
    makes_active: Site
    status: Status
    findings: tuple[Finding, ...]
    # What `pulumi up` would do, when nothing stops it.
    plan: Plan | None = None
    # None when the stack's config could not be used (no site was described).
    sites: tuple[SiteView, ...] | None = None

    @property
    def direction(self) -> str:
        """``cutover`` (making dr active) or ``failback`` (making source active)."""
        return "cutover" if self.makes_active is Site.DR else "failback"


@dataclass(frozen=True)
class LastSwitch:
    """The newest ledger on the sites read, and its age at the check's time."""

    ledger: Ledger
    age_seconds: float | None  # None: its time is missing or unreadable


@dataclass(frozen=True)
class CheckReport:
    """Everything one run of ``check`` found."""

    checked_at: str
    project: str
    directions: tuple[DirectionReport, ...]
    last_switch: LastSwitch | None

    @property
    def status(self) -> Status:
        return max((d.status for d in self.directions), key=lambda s: s.exit_code,
                   default=Status.NOT_CHECKED)

    @property
    def exit_code(self) -> int:
        return self.status.exit_code
