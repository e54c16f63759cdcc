"""Read both sites at the same time, and what a run of one stack makes of what was read.

The program (drstack.program.snapshots) and ``python -m drstack check`` read the sites here and
word a site that could not be read the same way: the check reads once for both directions and
judges each as its stack's run would.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from kubernetes.client.exceptions import ApiException

from drstack.cluster.client import connect
from drstack.cluster.reader import read_site
from drstack.cluster.retry import ClusterUnavailable
from drstack.model import Site, SiteSnapshot, StackConfig


@dataclass(frozen=True)
class SiteRead:
    """One site as read: its snapshot, or the error that kept it from being read."""

    site: Site
    snapshot: SiteSnapshot | None = None
    # Kept whole, not as text: how it is worded depends on the stack judging it.
    error: ClusterUnavailable | ApiException | None = None


def snapshotted(config: StackConfig) -> frozenset[Site]:
    """The site a switch of ``config`` would take snapshots in: the one made active, when it
    copies data into it with drstack:snapshotBeforeCopy on."""
    active = config.active_site
    wanted = config.snapshot_before_copy and config.copies_data_into(active)
    return frozenset({active}) if wanted else frozenset()


def declared_lost(config: StackConfig) -> frozenset[Site]:
    """The site a run of ``config`` does not contact at all: the old site, when declared
    unreachable (drstack:oldSiteUnreachable)."""
    return frozenset({config.active_site.other}) if config.old_site_unreachable else frozenset()


def read_pair(config: StackConfig, sites: Collection[Site], *,
              count_ready_nodes: Collection[Site], deadline: float | None = None,
              snapshot_api: Collection[Site] = ()) -> dict[Site, SiteRead]:
    """Read ``sites`` as ``config`` describes them, all at once: per site, GET the namespace
    and LIST deployments, statefulsets and PVCs, and LIST nodes where ``count_ready_nodes``.

    ``deadline``: each call's total retry time (drstack.cluster.retry); None: the reader's own.
    ``snapshot_api``: the sites whose VolumeSnapshot API and classes are read (one LIST more).
    """
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {site: pool.submit(_read, config, site, site in count_ready_nodes, deadline,
                                     site in snapshot_api) for site in sites}
    reads = {}
    for site, future in futures.items():
        try:
            reads[site] = SiteRead(site, snapshot=future.result())
        except (ClusterUnavailable, ApiException) as exc:
            reads[site] = SiteRead(site, error=exc)
    return reads


def snapshots_for(config: StackConfig, reads: Mapping[Site, SiteRead],
                  ) -> tuple[dict[Site, SiteSnapshot], list[str]]:
    """The snapshots a run of ``config``'s stack plans with, and a problem for each site it
    needs that could not be read (or was not read). The site declared lost is unreachable."""
    snapshots: dict[Site, SiteSnapshot] = {}
    problems: list[str] = []
    for site in Site:
        read = reads.get(site)
        if site in declared_lost(config):
            snapshots[site] = SiteSnapshot(site, config.site(site).namespace, reachable=False)
        elif read is not None and read.snapshot is not None:
            snapshots[site] = read.snapshot
        elif read is not None and read.error is not None:
            problems.append(unreadable_problem(config, site, read.error))
        else:
            raise ValueError(f"site {site} was not read")  # a caller's bug, not the cluster's
    return snapshots, problems


def _read(config: StackConfig, site: Site, count_ready_nodes: bool,
          deadline: float | None, read_snapshot_api: bool = False) -> SiteSnapshot:
    # Passed only when set: the fault tests shorten the reader's and client's defaults.
    timing: dict[str, Any] = {} if deadline is None else {"deadline": deadline}
    waiting: dict[str, Any] = {} if deadline is None else {"request_timeout": min(15.0, deadline)}
    api = connect(config.site(site), **waiting)
    try:
        return read_site(api, config.site(site), selector=config.workload_selector,
                         excluded=config.exclude_workloads,
                         count_ready_nodes=count_ready_nodes,
                         read_snapshot_api=read_snapshot_api, **timing)
    finally:
        api.close()


def unreadable_problem(config: StackConfig, site: Site,
                       error: ClusterUnavailable | ApiException) -> str:
    """Why a run of ``config``'s stack cannot go on without ``site``, and what to do."""
    if isinstance(error, ClusterUnavailable):
        return _unreachable_problem(config, site, error)
    return _refused_problem(config, site, error)


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
