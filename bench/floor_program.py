"""The floor of the benchmark's (c): a bare Pulumi program, no reading, no planning.

It registers exactly what drstack's program registers for a cold failback (dr -> source) with a
PVC copy, with constant inputs: the DrSwitch component; under it the SwitchLease and per site
one ``drstack:index:Site`` ComponentResource with its kubernetes Provider, one SiteScale (the
map of every workload to its count and original) and one NamespacePatch (ledger); and the
gates and the copy (DrainGate, PvcMigration, ReadinessGate, ServiceGate) with workload and
claim lists of the same length. Resource options (parents, aliases, provider,
retain_on_delete, the depends_on chain) are the same as drstack's, because they are part of the
resource design's cost, not of our reading or planning.

``mode: "per-workload"`` registers the design drstack had before SiteScale instead (one
DeploymentPatch/StatefulSetPatch per workload and site): the floor that design imposed.

Run by ``bench/switch_bench.py`` through the test harness (``drstack/testing/harness.py``), in
place of ``__main__.py``, so both programs meet the same mocks and the same recording monitor.
Its sizes come from the environment variable ``DRSTACK_BENCH_FLOOR`` (JSON).
"""

from __future__ import annotations

import json
import os

import pulumi
import pulumi_kubernetes as k8s
from pulumi_kubernetes.core.v1 import NamespacePatch
from pulumi_kubernetes.meta.v1 import ObjectMetaPatchArgs

from drstack.model import Site as SiteName
from drstack.planner import PvcPair
from drstack.providers import (
    DrainGate,
    DrainSpec,
    LeaseSpec,
    MigrationSpec,
    PvcMigration,
    ReadinessGate,
    ReadinessSpec,
    ScaleSpec,
    ServiceGate,
    ServiceSpec,
    SiteScale,
    SwitchLease,
)
from drstack.providers.drain_gate import DrainWorkload
from drstack.providers.readiness_gate import ReadyWorkload
from drstack.providers.recovery import Recovery
from drstack.providers.service_gate import ServedWorkload

SPEC = json.loads(os.environ["DRSTACK_BENCH_FLOOR"])
DEPLOYMENTS: int = SPEC["deployments"]
STATEFULSETS: int = SPEC["statefulsets"]
PVCS: int = SPEC["pvcs"]
MODE: str = SPEC.get("mode", "site-scale")

PATCH = {"pulumi.com/patchForce": "true", "pulumi.com/patchFieldManager": "drstack",
         "pulumi.com/skipAwait": "true"}
LEDGER = {f"drstack.io/key-{i}": "value" for i in range(6)}
WORKLOADS = ([("Deployment", f"d{i}") for i in range(DEPLOYMENTS)]
             + [("StatefulSet", f"s{i}") for i in range(STATEFULSETS)])
RECOVERY = Recovery("source", "dr", SiteName.DR, SiteName.SOURCE, "cold", "failback#5")
TOP = pulumi.ResourceOptions(aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)])


class Site(pulumi.ComponentResource):
    def __init__(self, name: str, parent: pulumi.Resource) -> None:
        super().__init__("drstack:index:Site", f"site {name}", {},
                         pulumi.ResourceOptions.merge(TOP, pulumi.ResourceOptions(parent=parent)))
        self.site = name
        self.provider = k8s.Provider(name, kubeconfig="/bench/kubeconfig", context=name,
                                     cluster_identifier=f"drstack-{name}",
                                     delete_unreachable=True,
                                     opts=pulumi.ResourceOptions(parent=self))

    def opts(self, after: list[pulumi.Resource], *, kubernetes: bool = False
             ) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, retain_on_delete=True,
                                      provider=self.provider if kubernetes else None,
                                      depends_on=list(after))

    def scale(self, after: list[pulumi.Resource], count: int) -> list[pulumi.Resource]:
        if MODE == "per-workload":
            from pulumi_kubernetes.apps.v1 import (
                DeploymentPatch,
                DeploymentSpecPatchArgs,
                StatefulSetPatch,
                StatefulSetSpecPatchArgs,
            )

            out: list[pulumi.Resource] = []
            for kind, name in WORKLOADS:
                meta = ObjectMetaPatchArgs(name=name, namespace="ns", annotations={
                    "dr-syncer.io/original-replicas": "2", **PATCH})
                if kind == "Deployment":
                    out.append(DeploymentPatch(
                        f"{self.site}-deployment-{name}", metadata=meta,
                        spec=DeploymentSpecPatchArgs(replicas=count),
                        opts=self.opts(after, kubernetes=True)))
                else:
                    out.append(StatefulSetPatch(
                        f"{self.site}-statefulset-{name}", metadata=meta,
                        spec=StatefulSetSpecPatchArgs(replicas=count),
                        opts=self.opts(after, kubernetes=True)))
            return out
        spec = ScaleSpec(SiteName(self.site), "ns",
                         tuple(sorted((f"{k}/{n}", count) for k, n in WORKLOADS)),
                         tuple(sorted((f"{k}/{n}", "2") for k, n in WORKLOADS)), RECOVERY)
        return [SiteScale(f"{self.site}-scale", spec, opts=self.opts(after))]


switch = pulumi.ComponentResource("drstack:index:DrSwitch", "switch", None, None)
dr, source = Site("dr", switch), Site("source", switch)
first: list[pulumi.Resource] = [SwitchLease("switch-lease", LeaseSpec(
    holder="source", transition="failback#5", from_site=SiteName.DR, break_lease=False,
    sites=((SiteName.DR, "ns"), (SiteName.SOURCE, "ns"))),
    opts=pulumi.ResourceOptions.merge(TOP, pulumi.ResourceOptions(parent=switch)))]
down = dr.scale(first, 0)
drain = DrainGate("dr-drain", DrainSpec(
    site=SiteName.DR, namespace="ns", transition="failback#5",
    workloads=tuple(DrainWorkload(k, n, (("app", n),)) for k, n in WORKLOADS),
    claims=tuple(f"d{i}-data" for i in range(PVCS)), timeout_seconds=300.0, recovery=RECOVERY),
    opts=pulumi.ResourceOptions(parent=dr, depends_on=down))
copy = PvcMigration("pvc-copy-into-source", MigrationSpec(
    from_site=SiteName.DR, to_site=SiteName.SOURCE, transition="failback#5",
    pairs=tuple(PvcPair(f"d{i}-data", f"d{i}-data") for i in range(PVCS)), flags=(),
    concurrency=2, timeout_seconds=7200.0, pv_migrate_path="pv-migrate", recovery=RECOVERY),
    opts=pulumi.ResourceOptions(parent=source, depends_on=[drain]))
up = source.scale([copy], 2)
ready = ReadinessGate("source-ready", ReadinessSpec(
    site=SiteName.SOURCE, namespace="ns", transition="failback#5",
    workloads=tuple(ReadyWorkload(k, n, 2) for k, n in WORKLOADS), timeout_seconds=600.0,
    recovery=RECOVERY),
    opts=pulumi.ResourceOptions(parent=source, depends_on=up))
served = ServiceGate("source-services", ServiceSpec(
    site=SiteName.SOURCE, namespace="ns", transition="failback#5",
    workloads=tuple(ServedWorkload(k, n, (("app", n),), 2) for k, n in WORKLOADS),
    timeout_seconds=600.0, recovery=RECOVERY),
    opts=pulumi.ResourceOptions(parent=source, depends_on=[ready]))
for site in (dr, source):
    NamespacePatch(f"{site.site}-ledger",
                   metadata=ObjectMetaPatchArgs(name="ns", annotations={**LEDGER, **PATCH}),
                   opts=site.opts([served], kubernetes=True))
    site.register_outputs({"scales": 1})
switch.register_outputs({"ready": "source"})
