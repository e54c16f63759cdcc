"""The switch lease as text: how it is written in, and read from, a namespace annotation.

A switch takes the lease on each site's namespace when it starts (drstack.cluster.lease, by
compare-and-swap) and the ledger write releases it (sets it to ""), so the source and dr stacks
cannot switch the same pair at once.
"""

from __future__ import annotations

import json

from drstack.errors import ClusterError
from drstack.model import Lease, Site


class LeaseHeld(ClusterError):
    """Another stack's switch holds the lease."""


def encode_lease(lease: Lease) -> str:
    return json.dumps({
        "holder": lease.holder,
        "acquiredAt": lease.acquired_at,
        "transition": lease.transition,
        "from": lease.from_site.value if lease.from_site else None,
    }, sort_keys=True)


def parse_lease(text: str | None) -> Lease | None:
    """The lease in an annotation value; None when free ("") or unreadable."""
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    holder, acquired = data.get("holder"), data.get("acquiredAt")
    if not isinstance(holder, str) or not isinstance(acquired, str) or not holder:
        return None
    transition = data.get("transition")
    from_site = data.get("from")
    return Lease(
        holder=holder,
        acquired_at=acquired,
        transition=transition if isinstance(transition, str) else None,
        from_site=Site(from_site) if from_site in {s.value for s in Site} else None,
    )


def held_by_other(current: Lease | None, holder: str) -> bool:
    return current is not None and current.holder != holder


def lease_held_message(current: Lease, site: Site, holder: str) -> str:
    what = f" ({current.transition})" if current.transition else ""
    return (
        f"site {site}: a switch by stack {current.holder!r}{what} holds the drstack lease since "
        f"{current.acquired_at}, so stack {holder!r} must not switch now. Wait for that "
        f"`pulumi up -s {current.holder}` to finish. If it died (no update of stack "
        f"{current.holder!r} is running: check `pulumi stack history -s {current.holder}`), take "
        f"the lease over once: pulumi config set -s {holder} drstack:breakLease true, run "
        f"pulumi up -s {holder}, then pulumi config set -s {holder} drstack:breakLease false"
    )
