"""Small builders of snapshots and configs for the planner's tests."""

from __future__ import annotations

from types import MappingProxyType

from drstack.model import (
    Ledger,
    LivePvc,
    LiveWorkload,
    Site,
    SiteConfig,
    SiteSnapshot,
    StackConfig,
    Strategy,
    WorkloadRef,
)

NOW = "2024-05-01T12:00:00Z"
EARLIER = "2024-04-01T08:00:00Z"
SOURCE, DR = Site.SOURCE, Site.DR


def ref(text: str) -> WorkloadRef:
    """``web`` is Deployment/web; ``StatefulSet/db`` as written."""
    return WorkloadRef.parse(text if "/" in text else f"Deployment/{text}")


def wl(name: str, replicas: int = 0, ann: str | None = None, *,
       images: tuple[str, ...] = ("app:1",), claims: tuple[str, ...] = (),
       templates: tuple[str, ...] = ()) -> LiveWorkload:
    return LiveWorkload(ref=ref(name), replicas=replicas, original_annotation=ann, images=images,
                        claim_names=claims, claim_templates=templates,
                        pod_labels=(("app", ref(name).name),))


def pvc(name: str, phase: str = "Bound") -> LivePvc:
    return LivePvc(name, phase)


def ledger(active: Site, generation: int, *, stack: str | None = None,
           transition: str = "cutover", fenced_at: str | None = None) -> Ledger:
    return Ledger(active_site=active, generation=generation, switched_at=EARLIER,
                  stack=stack or active.value, transition=transition, fenced_at=fenced_at)


def snap(site: Site, *workloads: LiveWorkload, pvcs: tuple[LivePvc, ...] = (),
         led: Ledger | None = None, reachable: bool = True,
         namespace_exists: bool = True, ready_nodes: int | None = 3) -> SiteSnapshot:
    return SiteSnapshot(site=site, namespace=f"shop-{site.value}", workloads=tuple(workloads),
                        pvcs=pvcs, ledger=led or Ledger(), reachable=reachable,
                        namespace_exists=namespace_exists, ready_nodes=ready_nodes)


def snaps(source: SiteSnapshot, dr: SiteSnapshot) -> dict[Site, SiteSnapshot]:
    return {SOURCE: source, DR: dr}


def config(active: Site = DR, *, stack: str | None = None, strategy: Strategy = Strategy.COLD,
           overrides: dict[str, int] | None = None, pvc_map: dict[str, str] | None = None,
           assume: Site | None = None, migrate: bool = False, reverse: bool = False,
           old_site_unreachable: bool = False) -> StackConfig:
    return StackConfig(
        stack=stack or active.value,
        active_site=active,
        source=SiteConfig(SOURCE, "/kube/source.yaml", None, "shop-source"),
        dr=SiteConfig(DR, "/kube/dr.yaml", None, "shop-dr"),
        replica_overrides=MappingProxyType({ref(k): v for k, v in (overrides or {}).items()}),
        strategy=strategy,
        assume_active_site=assume,
        migrate_pvc_data=migrate,
        reverse_migrate_pvc_data=reverse,
        pvc_map=MappingProxyType(dict(pvc_map or {})),
        old_site_unreachable=old_site_unreachable,
    )
