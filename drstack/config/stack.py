"""StackConfig: the validated config of one stack."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from drstack.config.site import SiteConfig
from drstack.model import Site, WorkloadRef


class Strategy(enum.StrEnum):
    COLD = "cold"
    WARM = "warm"


@dataclass(frozen=True)
class StackConfig:
    stack: str
    active_site: Site
    source: SiteConfig
    dr: SiteConfig
    workload_selector: str | None = None
    exclude_workloads: frozenset[WorkloadRef] = frozenset()
    replica_overrides: Mapping[WorkloadRef, int] = field(
        default_factory=lambda: MappingProxyType({}))
    strategy: Strategy = Strategy.COLD
    readiness_timeout: float = 600.0
    drain_timeout: float = 300.0
    assume_active_site: Site | None = None
    migrate_pvc_data: bool = False
    reverse_migrate_pvc_data: bool = False
    pv_migrate_flags: tuple[str, ...] = ()
    # Source claim name -> DR claim name, for claims whose names differ.
    pvc_map: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    migration_concurrency: int = 2
    migration_timeout: float = 7200.0
    pv_migrate_path: str = "pv-migrate"
    old_site_unreachable: bool = False
    break_lease: bool = False

    def site(self, site: Site) -> SiteConfig:
        return self.source if site is Site.SOURCE else self.dr

    def copies_data_into(self, site: Site) -> bool:
        """Whether a switch that makes ``site`` active copies PVC data into it."""
        return self.reverse_migrate_pvc_data if site is Site.SOURCE else self.migrate_pvc_data
