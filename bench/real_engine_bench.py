"""drstack on the real engine at N workloads per site, next to a sequential and an ideal script.

    .venv/bin/python bench/real_engine_bench.py [--sizes 10,100,1000] [--out bench/out/real]

For each N: a fresh pair of local clusters (tools/build.sh), N Deployments per site (1 replica
each; source serving, DR at 0 with originals recorded), then, on the same clusters, in this
order, each switch going source -> dr -> source:

1. a DR-Syncer-like sequential loop (GET + PATCH per workload, the old site then the new; then
   a poll until the new site is ready, so its wall time is comparable);
2. an ideal script: one LIST per kind and site, parallel PATCHes (16 at a time), a watch until
   the old site's pods are gone and the new site's are Ready;
3. drstack with the real Pulumi CLI: preview and `up` of a cutover and a failback, twice (the
   first round creates each stack's state; the second is what every later switch costs).

Requests are counted by verb from each API server's audit log, for user ``drstack`` only (the
scripts use the same user). The RTO of each cold switch is broken into drstack's steps, next
to the physical floor: when the old site's last pod was gone and the new site's last pod was
Ready (a pod watch), after drstack's last PATCH of each. Nothing is asserted; the figures are
printed and kept in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes import watch as k8s_watch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from drstack import annotation_keys as annotations  # noqa: E402
from drstack.drill import StepTimer, workspace  # noqa: E402
from drstack.model import Site  # noqa: E402
from drstack.pulumi_cli import PulumiCli, PulumiEnv  # noqa: E402
from drstack.sandbox import demo_app  # noqa: E402
from drstack.sandbox.cluster import LocalCluster  # noqa: E402
from drstack.sandbox.sandbox import install_demo  # noqa: E402

NAMESPACES = {Site.SOURCE: "bench", Site.DR: "bench-dr"}
PARALLEL = 16


@dataclass
class Pair:
    clusters: dict[Site, LocalCluster]
    folder: Path

    def kubeconfig(self, site: Site) -> Path:
        return self.clusters[site].folder / "drstack.kubeconfig"

    def api(self, site: Site) -> k8s.ApiClient:
        config = k8s.Configuration()
        k8s_config.load_kube_config(str(self.kubeconfig(site)), client_configuration=config,
                                    persist_config=False)
        config.connection_pool_maxsize = PARALLEL * 2
        return k8s.ApiClient(config)

    def admin(self, site: Site) -> k8s.ApiClient:
        return k8s_config.new_client_from_config(str(self.clusters[site].kubeconfig))

    def audit_size(self) -> dict[Site, int]:
        return {s: _audit(c).stat().st_size if _audit(c).exists() else 0
                for s, c in self.clusters.items()}

    def requests_since(self, marks: dict[Site, int]) -> Counter[str]:
        """drstack's requests (user drstack) since ``marks``, by verb."""
        counts: Counter[str] = Counter()
        for site, cluster in self.clusters.items():
            with open(_audit(cluster), "rb") as handle:
                handle.seek(marks[site])
                for line in handle:
                    event = json.loads(line)
                    if event.get("user", {}).get("username") == "drstack":
                        counts[event["verb"]] += 1
        return counts

    def drstack_times(self, marks: dict[Site, int], verb: str, resource: str,
                      namespace: str) -> list[float]:
        """Unix times of drstack's requests of one kind (audit stageTimestamp)."""
        site = next(s for s, ns in NAMESPACES.items() if ns == namespace)
        times = []
        with open(_audit(self.clusters[site]), "rb") as handle:
            handle.seek(marks[site])
            for line in handle:
                event = json.loads(line)
                ref = event.get("objectRef") or {}
                if (event.get("user", {}).get("username") == "drstack" and event["verb"] == verb
                        and ref.get("resource") == resource and ref.get("namespace") == namespace
                        and not ref.get("subresource") == "status"):
                    times.append(datetime.fromisoformat(
                        event["stageTimestamp"].replace("Z", "+00:00")).timestamp())
        return sorted(times)


def _audit(cluster: LocalCluster) -> Path:
    return cluster.folder / "logs" / "audit.log"


class PodWatch:
    """Receipt times of pod events on both sites while a switch runs."""

    def __init__(self, pair: Pair) -> None:
        self.pair = pair
        self.gone: dict[Site, float] = {}  # last time a pod of the site was deleted
        self.ready: dict[Site, float] = {}  # last time a pod of the site became Ready
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._watch, args=(s,), daemon=True)
                         for s in Site]

    def __enter__(self) -> PodWatch:
        for thread in self._threads:
            thread.start()
        time.sleep(0.3)  # let both watches open
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _watch(self, site: Site) -> None:
        core = k8s.CoreV1Api(self.pair.admin(site))
        seen_ready: set[str] = set()
        while not self._stop.is_set():
            stream = k8s_watch.Watch()
            for event in stream.stream(core.list_namespaced_pod, NAMESPACES[site],
                                       timeout_seconds=2, _request_timeout=5):
                now = time.time()
                pod = event["object"]
                if event["type"] == "DELETED":
                    self.gone[site] = now
                elif pod.status and any(c.type == "Ready" and c.status == "True"
                                        for c in pod.status.conditions or []):
                    if pod.metadata.uid not in seen_ready:
                        seen_ready.add(pod.metadata.uid)
                        self.ready[site] = now
                if self._stop.is_set():
                    stream.stop()


def start_pair(folder: Path, n: int) -> Pair:
    shutil.rmtree(folder, ignore_errors=True)
    clusters = {s: LocalCluster(s.value, folder / s.value) for s in Site}
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda c: c.start(nodes=max(2, n // 100)), clusters.values()))
    workloads = tuple(demo_app.DemoWorkload("Deployment", f"w{i:04d}", 1, "registry.example/app:1")
                      for i in range(n))
    for site, cluster in clusters.items():
        install_demo(cluster, NAMESPACES[site], serving=site is Site.SOURCE, workloads=())
        path = f"/apis/apps/v1/namespaces/{NAMESPACES[site]}/deployments"
        bodies = [demo_app.workload(w, replicas=1 if site is Site.SOURCE else 0,
                                    record_original=site is Site.DR) for w in workloads]
        with ThreadPoolExecutor(PARALLEL) as pool:
            list(pool.map(lambda body, c=cluster, p=path: c.request("POST", p, body), bodies))
    pair = Pair(clusters, folder)
    wait_ready(pair, Site.SOURCE, n)
    return pair


def wait_ready(pair: Pair, site: Site, n: int, timeout: float = 600) -> None:
    apps = k8s.AppsV1Api(pair.admin(site))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = apps.list_namespaced_deployment(NAMESPACES[site]).items
        if sum(1 for d in items if (d.status.ready_replicas or 0) == d.spec.replicas == 1) == n:
            return
        time.sleep(0.5)
    raise TimeoutError(f"{site} not ready")


def wait_gone(pair: Pair, site: Site, timeout: float = 600) -> None:
    core = k8s.CoreV1Api(pair.admin(site))
    deadline = time.monotonic() + timeout
    while core.list_namespaced_pod(NAMESPACES[site]).items:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{site} not drained")
        time.sleep(0.5)


# ---- the two scripts -------------------------------------------------------------------------


def sequential_switch(pair: Pair, old: Site, new: Site, n: int) -> dict[str, Any]:
    """DR-Syncer-like, one request at a time: per workload on the old site a GET and a PATCH to
    0 (recording the original count when absent), then per workload on the new site a GET and
    a PATCH to the recorded count; then a poll until the new site is ready."""
    started = time.monotonic()
    old_apps, new_apps = k8s.AppsV1Api(pair.api(old)), k8s.AppsV1Api(pair.api(new))
    for i in range(n):
        obj = old_apps.read_namespaced_deployment(f"w{i:04d}", NAMESPACES[old])
        notes = obj.metadata.annotations or {}
        record = notes.get(annotations.ORIGINAL_REPLICAS) or str(obj.spec.replicas)
        old_apps.patch_namespaced_deployment(f"w{i:04d}", NAMESPACES[old], {
            "metadata": {"annotations": {annotations.ORIGINAL_REPLICAS: record}},
            "spec": {"replicas": 0}})
    for i in range(n):
        obj = new_apps.read_namespaced_deployment(f"w{i:04d}", NAMESPACES[new])
        count = int((obj.metadata.annotations or {}).get(annotations.ORIGINAL_REPLICAS, "1"))
        new_apps.patch_namespaced_deployment(f"w{i:04d}", NAMESPACES[new],
                                             {"spec": {"replicas": count}})
    patched = time.monotonic() - started
    wait_ready(pair, new, n)
    return {"patched": patched, "total": time.monotonic() - started}


def ideal_switch(pair: Pair, old: Site, new: Site, n: int) -> dict[str, Any]:
    """One LIST per kind and site, parallel PATCHes, watches for 'gone' and 'ready'."""
    started = time.monotonic()
    apis = {s: k8s.AppsV1Api(pair.api(s)) for s in Site}
    counts = {d.metadata.name: d.spec.replicas
              for d in apis[old].list_namespaced_deployment(NAMESPACES[old]).items}
    apis[new].list_namespaced_deployment(NAMESPACES[new])
    with ThreadPoolExecutor(PARALLEL) as pool:
        list(pool.map(lambda item: apis[old].patch_namespaced_deployment(
            item[0], NAMESPACES[old], {"metadata": {"annotations": {
                annotations.ORIGINAL_REPLICAS: str(item[1])}}, "spec": {"replicas": 0}}),
            counts.items()))
    _watch_until(pair, old, lambda pods: not pods)
    with ThreadPoolExecutor(PARALLEL) as pool:
        list(pool.map(lambda item: apis[new].patch_namespaced_deployment(
            item[0], NAMESPACES[new], {"metadata": {"annotations": {
                annotations.ORIGINAL_REPLICAS: str(item[1])}}, "spec": {"replicas": item[1]}}),
            counts.items()))
    _watch_until(pair, new, lambda pods: len(pods) == n and all(pods.values()))
    return {"total": time.monotonic() - started}


def _watch_until(pair: Pair, site: Site, done: Any) -> None:
    core = k8s.CoreV1Api(pair.api(site))
    listing = core.list_namespaced_pod(NAMESPACES[site])
    pods = {p.metadata.name: _ready(p) for p in listing.items}
    version = listing.metadata.resource_version
    while not done(pods):
        for event in k8s_watch.Watch().stream(core.list_namespaced_pod, NAMESPACES[site],
                                              resource_version=version, timeout_seconds=30):
            pod = event["object"]
            if event["type"] == "DELETED":
                pods.pop(pod.metadata.name, None)
            else:
                pods[pod.metadata.name] = _ready(pod)
            version = pod.metadata.resource_version
            if done(pods):
                return


def _ready(pod: Any) -> bool:
    return bool(pod.status and any(c.type == "Ready" and c.status == "True"
                                   for c in pod.status.conditions or []))


# ---- drstack ---------------------------------------------------------------------------------


def drstack_switch(pair: Pair, ws: Any, stack: str, message: str) -> dict[str, Any]:
    import pulumi.automation as auto

    active = Site(stack)
    handle = auto.Stack.select(stack, ws)
    marks = pair.audit_size()
    t = time.monotonic()
    handle.preview()
    preview_seconds = time.monotonic() - t
    preview_requests = pair.requests_since(marks)
    marks = pair.audit_size()
    timer = StepTimer()
    with PodWatch(pair) as pods:
        t = time.monotonic()
        handle.up(message=message, on_event=timer.on_event)
        up_seconds = time.monotonic() - t
    requests = pair.requests_since(marks)
    old, new = NAMESPACES[active.other], NAMESPACES[active]
    down_patches = pair.drstack_times(marks, "patch", "deployments", old)
    up_patches = pair.drstack_times(marks, "patch", "deployments", new)
    gate_lists = pair.drstack_times(marks, "list", "deployments", new)
    steps = timer.steps(active)
    floor = physical = None
    if down_patches and up_patches and active.other in pods.gone and active in pods.ready:
        drain_floor = max(pods.gone[active.other] - down_patches[-1], 0.0)
        ready_floor = max(pods.ready[active] - up_patches[-1], 0.0)
        floor = drain_floor + ready_floor
        physical = {
            "drain floor (last old PATCH -> last old pod gone)": drain_floor,
            "ready floor (last new PATCH -> last new pod Ready)": ready_floor,
            "drstack RTO (first old PATCH -> gate's last LIST)": gate_lists[-1] - down_patches[0],
            "scale-down PATCHes (first -> last)": down_patches[-1] - down_patches[0],
            "scale-up PATCHes (first -> last)": up_patches[-1] - up_patches[0],
            "drain gate noticed (after last old pod gone)":
                _first_after(pair.drstack_times(marks, "list", "pods", old),
                             pods.gone[active.other]),
            "ready gate noticed (after last new pod Ready)":
                gate_lists[-1] - pods.ready[active],
        }
    return {"preview": preview_seconds, "preview_requests": preview_requests, "up": up_seconds,
            "requests": requests, "steps": steps, "floor": floor, "physical": physical}


def _first_after(times: list[float], moment: float) -> float | None:
    later = [t for t in times if t >= moment]
    return later[0] - moment if later else None


def bench_size(n: int, out: Path) -> dict[str, Any]:
    pair = start_pair(out / f"n{n}", n)
    results: dict[str, Any] = {"n": n}
    try:
        for name, fn in (("sequential", sequential_switch), ("ideal", ideal_switch)):
            runs = []
            for old, new in ((Site.SOURCE, Site.DR), (Site.DR, Site.SOURCE)):
                marks = pair.audit_size()
                run = fn(pair, old, new, n)
                wait_gone(pair, old)
                run["requests"] = pair.requests_since(marks)
                runs.append(run)
            results[name] = runs
        project = pair.folder / "project"
        from tests.e2e.app import E2eApp
        from tests.e2e.conftest import make_project

        make_project(project)
        env = PulumiEnv(pair.folder / "pulumi-home", pair.folder / "state", "bench")
        env.install_plugins()
        app = E2eApp(clusters=pair.clusters, namespaces=NAMESPACES, project=project,
                     cli=PulumiCli(project, env), tmp=pair.folder)
        for stack in ("source", "dr"):
            app.write_stack(stack)
            app.cli.ensure_stack(stack)
        ws = workspace(project, env)
        rounds = []
        for round_ in (1, 2):
            rounds.append({stack: drstack_switch(pair, ws, stack, f"bench round {round_}")
                           for stack in ("dr", "source")})
        results["drstack"] = rounds
    finally:
        for cluster in pair.clusters.values():
            cluster.stop()
    return results


def report(results: dict[str, Any]) -> str:
    n = results["n"]
    lines = [f"\n### N = {n} Deployments per site (1 replica each)\n",
             "| measure | cutover (source -> dr) | failback (dr -> source) |", "|---|---|---|"]

    def verbs(c: Counter[str]) -> str:
        return ", ".join(f"{v} {k}" for k, v in sorted(c.items())) + f" (total {sum(c.values())})"

    for name in ("sequential", "ideal"):
        runs = results[name]
        lines.append(f"| {name} script: wall (patches + wait until ready) | "
                     + " | ".join(f"{r['total']:.2f} s" for r in runs) + " |")
        lines.append(f"| {name} script: requests | "
                     + " | ".join(verbs(r["requests"]) for r in runs) + " |")
    for round_, switch in enumerate(results["drstack"], 1):
        runs = [switch["dr"], switch["source"]]
        label = "first switch of each stack" if round_ == 1 else "later switches"
        lines.append(f"| drstack ({label}): `pulumi preview` | "
                     + " | ".join(f"{r['preview']:.2f} s" for r in runs) + " |")
        lines.append(f"| drstack ({label}): preview requests | "
                     + " | ".join(verbs(r["preview_requests"]) for r in runs) + " |")
        lines.append(f"| drstack ({label}): `pulumi up` | "
                     + " | ".join(f"{r['up']:.2f} s" for r in runs) + " |")
        lines.append(f"| drstack ({label}): up requests | "
                     + " | ".join(verbs(r["requests"]) for r in runs) + " |")
        for step in ("lease", "scale-down", "drain", "scale-up", "ready", "verify", "ledger"):
            cells = []
            for r in runs:
                span = r["steps"].get(step)
                cells.append(f"{span[1] - span[0]:.2f} s" if span else "-")
            lines.append(f"| drstack ({label}): step {step} | " + " | ".join(cells) + " |")
        keys = next((list(r["physical"]) for r in runs if r["physical"]), [])
        for key in keys:
            cells = [f"{r['physical'][key]:.2f} s" if r["physical"] and r["physical"][key]
                     is not None else "-" for r in runs]
            lines.append(f"| drstack ({label}): {key} | " + " | ".join(cells) + " |")
        cells = []
        for r in runs:
            if r["physical"]:
                rto = r["physical"]["drstack RTO (first old PATCH -> gate's last LIST)"]
                cells.append(f"{rto:.2f} s, floor {r['floor']:.2f} s, overhead "
                             f"{rto - r['floor']:.2f} s")
            else:
                cells.append("-")
        lines.append(f"| drstack ({label}): RTO vs floor | " + " | ".join(cells) + " |")
        cells = []
        for r in runs:
            spans = r["steps"]
            if "scale-down" in spans and "verify" in spans:
                cells.append(f"{spans['verify'][1] - spans['scale-down'][0]:.2f} s")
            else:
                cells.append("-")
        lines.append(f"| drstack ({label}): app down, scale-down start -> verify end (engine "
                     "events) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--out", default=str(ROOT / "bench" / "out" / "real"))
    args = parser.parse_args()
    out = Path(args.out)
    print(f"# real-engine benchmark, {datetime.now().isoformat(timespec='seconds')}, "
          f"{platform.platform()}, nproc {len(__import__('os').sched_getaffinity(0))}")
    for n in (int(s) for s in args.sizes.split(",")):
        started = time.monotonic()
        results = bench_size(n, out)
        print(report(results), flush=True)
        print(f"\n(N = {n}: {time.monotonic() - started:.0f} s for the whole size)", flush=True)


if __name__ == "__main__":
    main()
