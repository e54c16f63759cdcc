"""Read both sites, at the same time, into snapshots for the planner."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from kubernetes.client.exceptions import ApiException

from drstack.cluster.client import connect
from drstack.cluster.reader import read_site
from drstack.cluster.retry import ClusterUnavailable
from drstack.model import Site, SiteSnapshot, StackConfig
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
        except ApiException as exc:
            problems.append(_refused_problem(config, site, exc))
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


def _refused_problem(config: StackConfig, site: Site, exc: ApiException) -> str:
    # Only the status: the exception's own text carries the response headers and body.
    answer = f"HTTP {exc.status} {exc.reason or ''}".strip()
    if exc.status in (401, 403):
        why = ("it did not accept the credentials" if exc.status == 401
               else "the credentials may not read this namespace")
        fix = (f"check the user of drstack:{site}Kubeconfig / drstack:{site}Context and its "
               f"RBAC: drstack needs get/list on Deployments, StatefulSets, PVCs and the "
               f"namespace {config.site(site).namespace!r}")
    else:
        why, fix = "it refused a read", "check the API server's logs, then run again"
    return f"site {site}: the API server answered {answer} ({why}). Fix: {fix}"


def _unreachable_problem(config: StackConfig, site: Site, exc: ClusterUnavailable) -> str:
    if site is config.active_site:
        return (f"site {site} (being made active) cannot be reached: {exc}. drstack cannot switch "
                "to a site it cannot reach; fix the connection (drstack:"
                f"{site}Kubeconfig / {site}Context) and run again")
    return (f"site {site} cannot be reached: {exc}.\n"
            f"    If it is really lost (a disaster), switch without it, in this order:\n"
            f"{disaster_commands(config.stack, site)}\n"
            f"    Otherwise, fix the connection and run again.")


def disaster_commands(stack: str, lost: Site) -> str:
    """The commands of a switch without the lost site, then of its fencing, as an operator
    types them (README: "When the old site is gone")."""
    lines = (
        f"pulumi config set -s {stack} drstack:oldSiteUnreachable true",
        f'pulumi up -s {stack} -m "disaster switch to {stack}: {lost} unreachable"',
        f"# and as soon as {lost} is back, before anything else, fence it (scales it to 0):",
        f"pulumi config set -s {stack} drstack:oldSiteUnreachable false",
        f'pulumi up -s {stack} -m "fence {lost}"',
    )
    return "\n".join(f"      {line}" for line in lines)
