"""Pulumi dynamic resources that wait and copy during a switch (no cluster object of their own).

- ``DrainGate``: the old site's pods are gone (after it was scaled to 0).
- ``PvcMigration``: PVC data copied old site -> new site with pv-migrate.
- ``ReadinessGate``: the new site's workloads are rolled out (after it was scaled up).
- ``SwitchLease``: taken on every touched site first, so two stacks cannot switch at once.

Each does its work only while a switch runs (``transition`` != "none"); in steady state it
shows no change and touches no cluster.
"""

from drstack.providers.base import SKIPPED, STEADY, ProviderNotConfigured
from drstack.providers.drain_gate import DrainGate, DrainGateProvider, DrainTimeout
from drstack.providers.pvc_migration import MigrationNotStarted, PvcMigration, PvcMigrationProvider
from drstack.providers.readiness_gate import ReadinessGate, ReadinessGateProvider, ReadinessTimeout
from drstack.providers.switch_lease import SwitchLease, SwitchLeaseProvider

__all__ = [
    "SKIPPED", "STEADY", "DrainGate", "DrainGateProvider", "DrainTimeout", "MigrationNotStarted",
    "ProviderNotConfigured", "PvcMigration", "PvcMigrationProvider", "ReadinessGate",
    "ReadinessGateProvider", "ReadinessTimeout", "SwitchLease", "SwitchLeaseProvider",
]
