"""Read both sites, at the same time, into snapshots for the planner."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from drstack.cluster.client import connect
from drstack.cluster.reader import read_site
from drstack.cluster.retry import ClusterUnavailable
from drstack.config import StackConfig
from drstack.model import Site, SiteSnapshot
from drstack.planner import PlanError


def read_snapshots(config: StackConfig) -> dict[Site, SiteSnapshot]:
    """One snapshot per site; the site declared unreachable is not contacted at all."""
    skipped = {config.active_site.other} if config.old_site_unreachable else set()
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {site: pool.submit(_read, config, site) for site in Site if site not in skipped}
    snapshots: dict[Site, SiteSnapshot] = {}
    problems: list[str] = []
    for site in Site:
        if site in skipped:
            snapshots[site] = SiteSnapshot(site, config.site(site).namespace, reachable=False)
            continue
        try:
            snapshots[site] = futures[site].result()
        except ClusterUnavailable as exc:
            problems.append(_unreachable_problem(config, site, exc))
    if problems:
        raise PlanError(problems)
    return snapshots


def _read(config: StackConfig, site: Site) -> SiteSnapshot:
    api = connect(config.site(site))
    try:
        return read_site(api, config.site(site), selector=config.workload_selector,
                         excluded=config.exclude_workloads,
                         count_ready_nodes=site is config.active_site)
    finally:
        api.close()


def _unreachable_problem(config: StackConfig, site: Site, exc: ClusterUnavailable) -> str:
    if site is config.active_site:
        return (f"site {site} (being made active) cannot be reached: {exc}. drstack cannot switch "
                "to a site it cannot reach; fix the connection (drstack:"
                f"{site}Kubeconfig / {site}Context) and run again")
    return (f"site {site} cannot be reached: {exc}. If it is really lost (a disaster), switch "
            f"without it: pulumi config set drstack:oldSiteUnreachable true (it must then be "
            f"fenced when it returns); otherwise fix the connection and run again")
