"""A DR-Syncer-CLI-like failback, for side-by-side figures in ``bench/switch_bench.py``.

What it does, as issue 5 describes the users' current tool: sequential, with the real
``kubernetes`` client and its typed models (DR-Syncer uses client-go's typed clients):

1. copy every PVC dr -> source with pv-migrate, one at a time (DR-Syncer's failback copies
   first, while the DR pods still run; it GETs the destination PVC before each copy);
2. for each workload on the old site (dr): GET it, then PATCH its ``/scale`` to 0;
3. for each workload on the new site (source): GET it, read ``dr-syncer.io/original-replicas``,
   PATCH its ``/scale`` to that count;
4. no readiness wait: it returns as soon as the last PATCH is answered.

DR-Syncer's own code (``pkg/cli/mode.go``) LISTs each kind once and then sends one full-object
UPDATE per workload instead of GET + PATCH; the per-workload cost, one sequential round trip
per write plus a read, is the same shape. Nothing here is timed against a target: the figures
are only shown next to drstack's.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from kubernetes import client as k8s
from kubernetes import config as k8s_config

ORIGINAL_REPLICAS = "dr-syncer.io/original-replicas"


@dataclass(frozen=True)
class BaselineSite:
    kubeconfig: Path
    context: str
    namespace: str


@dataclass
class BaselineResult:
    copy_seconds: float = 0.0  # wall time of the sequential pv-migrate runs
    scale_down_seconds: float = 0.0  # old site: GET + PATCH per workload
    scale_up_seconds: float = 0.0  # new site: GET + PATCH per workload
    get_seconds: float = 0.0  # of which spent in the per-workload GETs
    patch_seconds: float = 0.0  # of which spent in the PATCHes
    copies: int = 0
    workloads: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def total_seconds(self) -> float:
        return self.copy_seconds + self.scale_down_seconds + self.scale_up_seconds


def _client(site: BaselineSite) -> k8s.ApiClient:
    return k8s_config.new_client_from_config(config_file=str(site.kubeconfig), context=site.context)


def run_failback(
    old: BaselineSite,
    new: BaselineSite,
    workloads: list[tuple[str, str]],
    pvcs: list[str],
    *,
    pv_migrate: Path,
) -> BaselineResult:
    """Fail back from ``old`` (dr) to ``new`` (source); ``workloads`` are (kind, name)."""
    result = BaselineResult(workloads=len(workloads))
    old_api, new_api = _client(old), _client(new)
    try:
        # 1. PVC data, one pv-migrate at a time.
        core_new = k8s.CoreV1Api(new_api)
        start = time.perf_counter()
        for claim in pvcs:
            core_new.read_namespaced_persistent_volume_claim(claim, new.namespace)
            done = subprocess.run(
                [str(pv_migrate), "--source", claim, "--dest", claim,
                 "-k", str(old.kubeconfig), "-c", old.context, "-n", old.namespace,
                 "-K", str(new.kubeconfig), "-C", new.context, "-N", new.namespace],
                capture_output=True, check=False,
            )
            if done.returncode:
                result.errors.append(f"pv-migrate {claim}: exit {done.returncode}")
            result.copies += 1
        result.copy_seconds = time.perf_counter() - start

        # 2. Old site to 0, 3. new site to the annotated count: GET + PATCH each, in a loop.
        for api, site, phase in ((old_api, old, "down"), (new_api, new, "up")):
            apps = k8s.AppsV1Api(api)
            start = time.perf_counter()
            for kind, name in workloads:
                read, scale = (
                    (apps.read_namespaced_deployment, apps.patch_namespaced_deployment_scale)
                    if kind == "Deployment"
                    else (apps.read_namespaced_stateful_set,
                          apps.patch_namespaced_stateful_set_scale)
                )
                t0 = time.perf_counter()
                obj = read(name, site.namespace)
                t1 = time.perf_counter()
                if phase == "down":
                    replicas = 0
                else:
                    note = (obj.metadata.annotations or {}).get(ORIGINAL_REPLICAS)
                    if note is None:
                        result.errors.append(f"{kind}/{name}: no {ORIGINAL_REPLICAS}")
                        continue
                    replicas = int(note)
                scale(name, site.namespace, {"spec": {"replicas": replicas}})
                t2 = time.perf_counter()
                result.get_seconds += t1 - t0
                result.patch_seconds += t2 - t1
            elapsed = time.perf_counter() - start
            if phase == "down":
                result.scale_down_seconds = elapsed
            else:
                result.scale_up_seconds = elapsed
    finally:
        old_api.close()
        new_api.close()
    return result
