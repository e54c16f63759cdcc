"""Which site was active last: from the ledger, else from which site runs the workloads."""

from __future__ import annotations

from dataclasses import dataclass

from drstack.model import Ledger, Site, SiteSnapshot


@dataclass(frozen=True)
class LastActive:
    """Which site was active last, and why; or, when drstack cannot tell, what to do about it."""

    site: Site | None
    reason: str
    # The newest ledger found, None before drstack ever wrote one.
    ledger: Ledger | None
    # Set when drstack cannot tell: what to do about it.
    error: str | None = None


def find_last_active(
    snapshots: dict[Site, SiteSnapshot],
    *,
    active: Site,
    assume: Site | None,
    old_site_unreachable: bool,
) -> LastActive:
    """The site that was active last, by the newest ledger (drstack:assumeActiveSite when two
    disagree). Before any ledger: the old site, if declared unreachable; else the site an
    unfinished first switch started from (its lease); else the one site that runs the
    workloads; else drstack:assumeActiveSite."""
    reachable = [s for s in snapshots.values() if s.reachable]
    ledgers = sorted(
        (s.ledger for s in reachable if s.ledger.recorded),
        key=lambda ledger: ledger.generation,
        reverse=True,
    )
    newest = ledgers[0] if ledgers else None
    if newest is not None:
        rivals = [lg for lg in ledgers if lg.generation == newest.generation]
        if len({lg.active_site for lg in rivals}) == 1:
            return LastActive(newest.active_site, f"ledger generation {newest.generation}", newest)
        if assume is not None:
            return LastActive(assume, "drstack:assumeActiveSite (the two ledgers disagree)", newest)
        return LastActive(None, "", newest, error=(
            f"the ledgers on the two sites disagree at generation {newest.generation}; "
            "check which site really served last, then pulumi config set "
            "drstack:assumeActiveSite source (or dr)"))

    if old_site_unreachable:
        # The operator declared the old site lost: by definition it was the active one.
        return LastActive(active.other, "drstack:oldSiteUnreachable (no ledger)", None)
    # A first switch that died before writing any ledger left its lease, which names the site
    # that was active when it started (the current data is still there).
    started = [s.ledger.lease for s in reachable if s.ledger.lease and s.ledger.lease.from_site]
    if started:
        lease = started[0]
        return LastActive(lease.from_site, f"no ledger; the unfinished switch {lease.transition} "
                          f"by stack {lease.holder!r} started from it", None)
    running = [s.site for s in reachable if any(w.replicas > 0 for w in s.workloads)]
    if len(running) == 1:
        return LastActive(running[0], f"no ledger; only {running[0]} runs the workloads", None)
    if assume is not None:
        return LastActive(assume, "drstack:assumeActiveSite (no ledger)", None)
    state = "both sites run the workloads" if running else "neither site runs the workloads"
    return LastActive(None, "", None, error=(
        f"no drstack ledger yet and {state}, so drstack cannot tell which site was active last "
        "and which way data may be copied. Fix: pulumi config set drstack:assumeActiveSite "
        "source (or dr), naming the site whose data is current"))
