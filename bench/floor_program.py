"""The floor of the benchmark's (c): a bare Pulumi program, no reading, no planning.

It registers exactly what drstack's program registers for a cold failback (dr -> source) with a
PVC copy, with constant inputs: the SwitchLease; per site one ``drstack:index:Site``
ComponentResource and one kubernetes Provider, one DeploymentPatch/StatefulSetPatch per
workload, one NamespacePatch (ledger); and the three dynamic resources (DrainGate, PvcMigration,
ReadinessGate) with workload/claim lists of the same length. Resource options (parent, provider,
retain_on_delete, depends_on chain) are the same as drstack's, because they are part of the
resource design's cost, not of our reading or planning.

Run by ``bench/switch_bench.py`` through the test harness (``drstack/testing/harness.py``), in
place of ``__main__.py``, so both programs meet the same mocks and the same recording monitor.
Its sizes come from the environment variable ``DRSTACK_BENCH_FLOOR`` (JSON).
"""

from __future__ import annotations

import json
import os

import pulumi
import pulumi_kubernetes as k8s
from pulumi_kubernetes.apps.v1 import (
    DeploymentPatch,
    DeploymentSpecPatchArgs,
    StatefulSetPatch,
    StatefulSetSpecPatchArgs,
)
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
    SwitchLease,
)
from drstack.providers.drain_gate import DrainWorkload
from drstack.providers.readiness_gate import ReadyWorkload

SPEC = json.loads(os.environ["DRSTACK_BENCH_FLOOR"])
DEPLOYMENTS: int = SPEC["deployments"]
STATEFULSETS: int = SPEC["statefulsets"]
PVCS: int = SPEC["pvcs"]
# "per-workload": drstack's design, one Patch per workload. "batched": the design the bench
# proposes to measure, one resource per site whose input maps every workload to its count
# (a ReadinessGate-shaped dynamic resource stands in for it: same kind of registration).
MODE: str = SPEC.get("mode", "per-workload")

ANNOTATIONS = {
    "dr-syncer.io/original-replicas": "2",
    "pulumi.com/patchForce": "true",
    "pulumi.com/patchFieldManager": "drstack",
    "pulumi.com/skipAwait": "true",
}
LEDGER = {f"drstack.io/key-{i}": "value" for i in range(6)}
WORKLOADS = ([("Deployment", f"d{i}") for i in range(DEPLOYMENTS)]
             + [("StatefulSet", f"s{i}") for i in range(STATEFULSETS)])


class Site(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("drstack:index:Site", f"site {name}", {}, None)
        self.provider = k8s.Provider(name, kubeconfig="/bench/kubeconfig", context=name,
                                     cluster_identifier=f"drstack-{name}",
                                     opts=pulumi.ResourceOptions(parent=self))

    def opts(self, after: list[pulumi.Resource]) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self.provider, retain_on_delete=True,
                                      depends_on=list(after))

    def patches(self, after: list[pulumi.Resource]) -> list[pulumi.Resource]:
        if MODE == "batched":
            scales = ReadinessSpec(
                site=SiteName(self._name), namespace="ns", transition="failback#5",
                workloads=tuple(ReadyWorkload(k, n, 2) for k, n in WORKLOADS),
                timeout_seconds=600.0)
            return [ReadinessGate(f"{self._name}-scales", scales,
                                  opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True,
                                                              depends_on=list(after)))]
        out: list[pulumi.Resource] = []
        for kind, name in WORKLOADS:
            meta = ObjectMetaPatchArgs(name=name, namespace="ns", annotations=ANNOTATIONS)
            if kind == "Deployment":
                out.append(DeploymentPatch(f"{self._name}-deployment-{name}", metadata=meta,
                                           spec=DeploymentSpecPatchArgs(replicas=2),
                                           opts=self.opts(after)))
            else:
                out.append(StatefulSetPatch(f"{self._name}-statefulset-{name}", metadata=meta,
                                            spec=StatefulSetSpecPatchArgs(replicas=1),
                                            opts=self.opts(after)))
        return out


dr, source = Site("dr"), Site("source")
dr._name, source._name = "dr", "source"
first: list[pulumi.Resource] = [SwitchLease("switch-lease", LeaseSpec(
    holder="source", transition="failback#5", from_site=SiteName.DR, break_lease=False,
    sites=((SiteName.DR, "ns"), (SiteName.SOURCE, "ns"))))]
down = dr.patches(first)
drain = DrainGate("dr-drain", DrainSpec(
    site=SiteName.DR, namespace="ns", transition="failback#5",
    workloads=tuple(DrainWorkload(k, n, (("app", n),)) for k, n in WORKLOADS),
    claims=tuple(f"d{i}-data" for i in range(PVCS)), timeout_seconds=300.0),
    opts=pulumi.ResourceOptions(parent=dr, depends_on=down))
copy = PvcMigration("pvc-copy-into-source", MigrationSpec(
    from_site=SiteName.DR, to_site=SiteName.SOURCE, transition="failback#5",
    pairs=tuple(PvcPair(f"d{i}-data", f"d{i}-data") for i in range(PVCS)), flags=(),
    concurrency=2, timeout_seconds=7200.0, pv_migrate_path="pv-migrate"),
    opts=pulumi.ResourceOptions(parent=source, depends_on=[drain]))
up = source.patches([copy])
ready = ReadinessGate("source-ready", ReadinessSpec(
    site=SiteName.SOURCE, namespace="ns", transition="failback#5",
    workloads=tuple(ReadyWorkload(k, n, 2) for k, n in WORKLOADS), timeout_seconds=600.0),
    opts=pulumi.ResourceOptions(parent=source, depends_on=up))
for site in (dr, source):
    NamespacePatch(f"{site._name}-ledger",
                   metadata=ObjectMetaPatchArgs(name="ns", annotations=LEDGER),
                   opts=site.opts([ready]))
    site.register_outputs({"patches": len(WORKLOADS)})
