"""Pulumi dynamic resources that wait, copy and lock during a switch (no cluster object of their
own). Each takes its spec, whose ``to_props``/``from_props`` are the one wire schema of its inputs.

- ``DrainGate`` (``DrainSpec``): the old site's pods are gone (after it was scaled to 0).
- ``PvcMigration`` (``MigrationSpec``): PVC data copied old site -> new site with pv-migrate.
- ``ReadinessGate`` (``ReadinessSpec``): the new site's workloads are rolled out.
- ``ServiceGate`` (``ServiceSpec``): then the new site's Services have ready endpoints.
- ``UrlProbe`` (``ProbeSpec``): then drstack:verifyUrls answer, asked from this machine.
- ``SiteScale`` (``ScaleSpec``): one site's workloads at their planned counts, applied with
  server-side apply; unlike the others it works in steady state too.
- ``SwitchLease`` (``LeaseSpec``): taken on every touched site first, so two stacks cannot
  switch at once.
- ``VolumeSnapshots`` (``SnapshotSpec``): a VolumeSnapshot of each claim a copy overwrites,
  taken before it (drstack:snapshotBeforeCopy); never deleted.

Each does its work only while a switch runs (``transition`` is not ``Transition.NONE``); in
steady state it shows no change and touches no cluster.

Modules: ``inputs`` (reading inputs back), ``step`` (the lifecycle they share), ``reading``
(clients, LISTs and polling inside a provider method), and one module per resource.
"""

from drstack.providers.drain_gate import DrainGate, DrainGateProvider, DrainSpec, DrainTimeout
from drstack.providers.pvc_migration import (
    MigrationNotStarted,
    MigrationSpec,
    PvcMigration,
    PvcMigrationProvider,
)
from drstack.providers.readiness_gate import (
    ReadinessGate,
    ReadinessGateProvider,
    ReadinessSpec,
    ReadinessTimeout,
)
from drstack.providers.service_gate import (
    ServiceGate,
    ServiceGateProvider,
    ServicesNotReadable,
    ServiceSpec,
    ServiceTimeout,
)
from drstack.providers.site_scale import ScaleFailed, ScaleSpec, SiteScale, SiteScaleProvider
from drstack.providers.step import SKIPPED, ProviderNotConfigured
from drstack.providers.switch_lease import LeaseSpec, SwitchLease, SwitchLeaseProvider
from drstack.providers.url_probe import ProbeSpec, UrlProbe, UrlProbeProvider, UrlsNotAnswering
from drstack.providers.volume_snapshots import (
    SnapshotFailed,
    SnapshotSpec,
    VolumeSnapshots,
    VolumeSnapshotsProvider,
)

__all__ = [
    "SKIPPED", "DrainGate", "DrainGateProvider", "DrainSpec", "DrainTimeout", "LeaseSpec",
    "MigrationNotStarted", "MigrationSpec", "ProviderNotConfigured", "PvcMigration",
    "PvcMigrationProvider", "ReadinessGate", "ReadinessGateProvider", "ReadinessSpec",
    "ReadinessTimeout", "ScaleFailed", "ScaleSpec", "SiteScale", "SiteScaleProvider",
    "SnapshotFailed", "SnapshotSpec", "SwitchLease", "SwitchLeaseProvider", "VolumeSnapshots",
    "VolumeSnapshotsProvider",
    # After the readiness gate (README: "After the readiness gate: does the application answer?")
    "ProbeSpec", "ServiceGate", "ServiceGateProvider", "ServiceSpec", "ServiceTimeout",
    "ServicesNotReadable", "UrlProbe", "UrlProbeProvider", "UrlsNotAnswering",
]
