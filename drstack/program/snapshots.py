"""Read both sites, at the same time, into snapshots for the planner."""

from __future__ import annotations

from drstack.cluster.pair import declared_lost, read_pair, snapshots_for, snapshotted
from drstack.model import Site, SiteSnapshot, StackConfig
from drstack.planner import PlanError


def read_snapshots(config: StackConfig) -> dict[Site, SiteSnapshot]:
    """One snapshot per site; the site declared unreachable is not contacted at all.

    Raises PlanError naming every site that could not be read (drstack.cluster.pair words it).
    """
    reads = read_pair(config, [site for site in Site if site not in declared_lost(config)],
                      count_ready_nodes={config.active_site}, snapshot_api=snapshotted(config))
    snapshots, problems = snapshots_for(config, reads)
    if problems:
        raise PlanError(problems)
    return snapshots
