"""The last switch the ledger records, and how long ago it was.

Every run reports it (the preview's log, ``python -m drstack check``): a DR pair that has not
switched for a year has not been tested for a year, and only the operator knows how long is too
long, so it is reported, never judged.
"""

from __future__ import annotations

from datetime import UTC, datetime

from drstack.model import Ledger
from drstack.planner.findings import Finding, Severity


def age_seconds(switched_at: str | None, now: str) -> float | None:
    """Seconds from ``switched_at`` to ``now`` (ISO 8601, a time without zone read as UTC);
    None when either is missing or not a time."""
    then, current = _instant(switched_at), _instant(now)
    return None if then is None or current is None else (current - then).total_seconds()


def describe_age(seconds: float) -> str:
    """``3 days ago``, as an operator reads it; a time ahead of ``now`` says so."""
    if seconds < -60:
        return "in the future (check the clocks of this machine and of the last switch's)"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        count = int(seconds // size)
        if count >= 1:
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "less than a minute ago"


def last_switch_finding(ledger: Ledger | None, *, now: str) -> Finding | None:
    """The last switch recorded, as an informational finding; None before any ledger."""
    if ledger is None or ledger.active_site is None:
        return None
    transition = ledger.transition or "switch"
    what = (f"adopt of {ledger.active_site}" if transition == "adopt"
            else f"{transition} to {ledger.active_site}")
    by = f" by stack {ledger.stack}" if ledger.stack else ""
    seconds = age_seconds(ledger.switched_at, now)
    if ledger.switched_at is None:
        when = "at a time the ledger does not record"
    elif seconds is None:
        when = f"at {ledger.switched_at!r} (not a time drstack can read)"
    else:
        when = f"at {ledger.switched_at} ({describe_age(seconds)})"
    fenced = f"; fenced at {ledger.fenced_at}" if ledger.fenced_at else ""
    return Finding(Severity.INFO, "last-switch",
                   f"last switch: generation {ledger.generation}, {what}{by} {when}{fenced}")


def _instant(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
