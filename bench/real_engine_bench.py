"""drstack on the real engine at N workloads per site, next to a sequential and an ideal script.

    .venv/bin/python -m bench.real_engine_bench [--sizes 10,100,1000] [--out bench/out/real]

(from the project folder: ``-m`` puts it on the import path, for drstack and bench alike).

For each N: a fresh pair of local clusters (tools/build.sh) with N workloads per site (N-1
Deployments and the demo's StatefulSet db with its claim, 1 replica each; source serving, DR
at 0 with originals recorded), then, on the same clusters, in this order, each switch going
source -> dr -> source, the failback copying db's claim back from DR with the FAKE pv-migrate
of the e2e suite (the real one cannot be built here; the fake copies nothing, so the copy's
floor is its own run):

1. a DR-Syncer-like sequential loop (GET + PATCH per workload, the old site then the copy, at
   once, then the new site; then a poll until the new site is ready, so its wall time is
   comparable);
2. an ideal script: one LIST per kind and site, parallel PATCHes (16 at a time), a watch until
   the old site's pods are gone, the copy, parallel PATCHes, a watch until the new site's pods
   are Ready;
3. drstack with the real Pulumi CLI: preview and `up` of a cutover and a failback, twice (the
   first round creates each stack's state; the second is what every later switch costs).

Requests are counted by verb from each API server's audit log, for user ``drstack`` only (the
scripts use the same user). The RTO of each cold switch (first old PATCH -> the readiness
step's end) is set next to its physical floor, from the API servers' audit timestamps: last
old PATCH -> last old pod gone, the copy's own run, last new PATCH -> last new pod Ready; the
rest is what drstack adds (gate detection, engine hand-offs, PATCH spans). Nothing is asserted;
the figures are printed and kept in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
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

from drstack import annotation_keys as annotations
from drstack.drill import StepTimer, workspace
from drstack.model import Site
from drstack.pulumi_cli import PulumiCli, PulumiEnv
from drstack.sandbox import demo_app
from drstack.sandbox.cluster import LocalCluster
from drstack.sandbox.sandbox import install_demo
from drstack.testing.observing_pv_migrate import calls, write_observing_pv_migrate
from drstack.testing.real_engine import (
    PER_WORKLOAD_COMMIT,
    E2eApp,
    make_project,
    old_project,
)

ROOT = Path(__file__).resolve().parents[1]
NAMESPACES = {Site.SOURCE: "bench", Site.DR: "bench-dr"}
PARALLEL = 16
DB = next(w for w in demo_app.DEMO_WORKLOADS if w.kind == "StatefulSet")
WORKLOAD_RESOURCES = ("deployments", "statefulsets")
STEPS = ("lease", "scale-down", "drain", "copy", "scale-up", "ready", "verify", "ledger")


@dataclass
class Pair:
    clusters: dict[Site, LocalCluster]
    folder: Path
    pv_migrate: Path  # the FAKE pv-migrate (drstack/testing/observing_pv_migrate.py)

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

    def audit_since(self, marks: dict[Site, int]) -> dict[Site, list[dict[str, Any]]]:
        """Every request each API server logged since ``marks`` (all users)."""
        events: dict[Site, list[dict[str, Any]]] = {}
        for site, cluster in self.clusters.items():
            with open(_audit(cluster), "rb") as handle:
                handle.seek(marks[site])
                events[site] = [json.loads(line) for line in handle]
        return events


def _audit(cluster: LocalCluster) -> Path:
    return cluster.folder / "logs" / "audit.log"


def workloads(n: int) -> list[tuple[str, str]]:
    """N per site: N-1 Deployments and the demo's StatefulSet ``db``, whose claim a failback
    copies."""
    return [("Deployment", f"w{i:04d}") for i in range(n - 1)] + [("StatefulSet", DB.name)]


def start_pair(folder: Path, n: int) -> Pair:
    shutil.rmtree(folder, ignore_errors=True)
    clusters = {s: LocalCluster(s.value, folder / s.value) for s in Site}
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda c: c.start(nodes=max(2, n // 100)), clusters.values()))
    deployments = tuple(demo_app.DemoWorkload("Deployment", name, 1, "registry.example/app:1")
                        for kind, name in workloads(n) if kind == "Deployment")
    for site, cluster in clusters.items():
        install_demo(cluster, NAMESPACES[site], serving=site is Site.SOURCE, workloads=(DB,))
        path = f"/apis/apps/v1/namespaces/{NAMESPACES[site]}/deployments"
        bodies = [demo_app.workload(w, replicas=1 if site is Site.SOURCE else 0,
                                    record_original=site is Site.DR) for w in deployments]
        with ThreadPoolExecutor(PARALLEL) as pool:
            list(pool.map(lambda body, c=cluster, p=path: c.request("POST", p, body), bodies))
    pair = Pair(clusters, folder, write_observing_pv_migrate(folder / "pv-migrate"))
    wait_ready(pair, Site.SOURCE, n)
    return pair


def wait_ready(pair: Pair, site: Site, n: int, timeout: float = 600) -> None:
    apps = k8s.AppsV1Api(pair.admin(site))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = (apps.list_namespaced_deployment(NAMESPACES[site]).items
                 + apps.list_namespaced_stateful_set(NAMESPACES[site]).items)
        if sum(1 for w in items if (w.status.ready_replicas or 0) == w.spec.replicas > 0) == n:
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


def _read(api: k8s.AppsV1Api, kind: str, name: str, namespace: str) -> Any:
    if kind == "Deployment":
        return api.read_namespaced_deployment(name, namespace)
    return api.read_namespaced_stateful_set(name, namespace)


def _patch(api: k8s.AppsV1Api, kind: str, name: str, namespace: str, body: Any) -> None:
    if kind == "Deployment":
        api.patch_namespaced_deployment(name, namespace, body)
    else:
        api.patch_namespaced_stateful_set(name, namespace, body)


def copy_claim(pair: Pair, old: Site, new: Site) -> None:
    """The scripts' data copy: the same FAKE pv-migrate drstack runs, for the same claim."""
    claim = f"{demo_app.CLAIM_TEMPLATE}-{DB.name}-0"
    subprocess.run([str(pair.pv_migrate), "--source", claim, "--dest", claim,
                    "-k", str(pair.kubeconfig(old)), "-c", old.value, "-n", NAMESPACES[old],
                    "-K", str(pair.kubeconfig(new)), "-C", new.value, "-N", NAMESPACES[new]],
                   check=True, capture_output=True)


def sequential_switch(pair: Pair, old: Site, new: Site, n: int) -> dict[str, Any]:
    """DR-Syncer-like, one request at a time: per workload on the old site a GET and a PATCH to
    0 (recording the original count when absent); on a failback the copy, at once (DR-Syncer
    does not wait for the old pods to go); then per workload on the new site a GET and a PATCH
    to the recorded count; then a poll until the new site is ready."""
    started = time.monotonic()
    old_apps, new_apps = k8s.AppsV1Api(pair.api(old)), k8s.AppsV1Api(pair.api(new))
    for kind, name in workloads(n):
        obj = _read(old_apps, kind, name, NAMESPACES[old])
        notes = obj.metadata.annotations or {}
        record = notes.get(annotations.ORIGINAL_REPLICAS) or str(obj.spec.replicas)
        _patch(old_apps, kind, name, NAMESPACES[old], {
            "metadata": {"annotations": {annotations.ORIGINAL_REPLICAS: record}},
            "spec": {"replicas": 0}})
    if new is Site.SOURCE:
        copy_claim(pair, old, new)
    for kind, name in workloads(n):
        obj = _read(new_apps, kind, name, NAMESPACES[new])
        count = int((obj.metadata.annotations or {}).get(annotations.ORIGINAL_REPLICAS, "1"))
        _patch(new_apps, kind, name, NAMESPACES[new], {"spec": {"replicas": count}})
    patched = time.monotonic() - started
    wait_ready(pair, new, n)
    return {"patched": patched, "total": time.monotonic() - started}


def ideal_switch(pair: Pair, old: Site, new: Site, n: int) -> dict[str, Any]:
    """One LIST per kind and site, parallel PATCHes, a watch until the old site's pods are gone,
    on a failback the copy, parallel PATCHes, a watch until the new site's pods are Ready."""
    started = time.monotonic()
    apis = {s: k8s.AppsV1Api(pair.api(s)) for s in Site}
    counts = {("Deployment", d.metadata.name): d.spec.replicas
              for d in apis[old].list_namespaced_deployment(NAMESPACES[old]).items}
    counts.update({("StatefulSet", s.metadata.name): s.spec.replicas
                   for s in apis[old].list_namespaced_stateful_set(NAMESPACES[old]).items})
    apis[new].list_namespaced_deployment(NAMESPACES[new])
    apis[new].list_namespaced_stateful_set(NAMESPACES[new])

    def scale(site: Site, down: bool) -> None:
        with ThreadPoolExecutor(PARALLEL) as pool:
            list(pool.map(lambda item: _patch(
                apis[site], item[0][0], item[0][1], NAMESPACES[site],
                {"metadata": {"annotations": {annotations.ORIGINAL_REPLICAS: str(item[1])}},
                 "spec": {"replicas": 0 if down else item[1]}}), counts.items()))

    scale(old, True)
    _watch_until(pair, old, lambda pods: not pods)
    if new is Site.SOURCE:
        copy_claim(pair, old, new)
    scale(new, False)
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
    preview_requests = verbs_of(pair.audit_since(marks))
    marks = pair.audit_size()
    copies_before = len(calls(pair.pv_migrate.parent))
    wall0 = time.time()
    timer = StepTimer()
    t = time.monotonic()
    handle.up(message=message, on_event=timer.on_event)
    up_seconds = time.monotonic() - t
    events = pair.audit_since(marks)
    steps = {step: (wall0 + b, wall0 + e) for step, (b, e) in timer.steps(active).items()}
    copies = calls(pair.pv_migrate.parent)[copies_before:]
    return {"preview": preview_seconds, "preview_requests": preview_requests, "up": up_seconds,
            "requests": verbs_of(events), "steps": steps,
            "physical": physical(events, active, steps, copies)}


def physical(events: dict[Site, list[dict[str, Any]]], active: Site,
             steps: dict[str, tuple[float, float]], copies: list[dict[str, Any]]
             ) -> dict[str, float] | None:
    """The RTO of a cold switch and its physical floor, from the API servers' audit timestamps:
    drstack's PATCHes of the workloads; the last DELETE of an old pod (kwok removes a pod for
    good once its controller deleted it: the pod is gone); the last status PATCH of a new pod
    by kwok (it sets Running and Ready in one: the pod is Ready); and the fake pv-migrate's own
    run. The steps' ends are the engine events' receipt times (wall clock)."""
    old, new = active.other, active
    down = _times(events[old], NAMESPACES[old], user="drstack", verb="patch",
                  resources=WORKLOAD_RESOURCES)
    up = _times(events[new], NAMESPACES[new], user="drstack", verb="patch",
                resources=WORKLOAD_RESOURCES)
    gone = _times(events[old], NAMESPACES[old], verb="delete", resources=("pods",))
    ready = _times(events[new], NAMESPACES[new], agent="kwok", verb="patch",
                   resources=("pods",), subresource="status")
    if not (down and up and gone and ready and "ready" in steps and "drain" in steps):
        return None
    copy_floor = sum(c["time"] - c["started"] for c in copies)
    drain_floor = max(gone[-1] - down[-1], 0.0)
    ready_floor = max(ready[-1] - up[-1], 0.0)
    floor = drain_floor + copy_floor + ready_floor
    rto = steps["ready"][1] - down[0]
    before_up = steps["copy"][1] if "copy" in steps else steps["drain"][1]
    figures = {
        "scale-down PATCHes (first -> last)": down[-1] - down[0],
        "drain floor (last old PATCH -> last old pod gone)": drain_floor,
        "drain gate noticed (last old pod gone -> drain step ended)": steps["drain"][1] - gone[-1],
    }
    if "copy" in steps:
        figures["copy floor (the fake pv-migrate's own run)"] = copy_floor
        figures["copy step (engine events)"] = steps["copy"][1] - steps["copy"][0]
    figures.update({
        "hand-off to the scale-up (step ended -> first new PATCH)": up[0] - before_up,
        "scale-up PATCHes (first -> last)": up[-1] - up[0],
        "ready floor (last new PATCH -> last new pod Ready)": ready_floor,
        "ready gate noticed (last new pod Ready -> ready step ended)":
            steps["ready"][1] - ready[-1],
        "RTO (first old PATCH -> ready step ended)": rto,
        "physical floor (drain + copy + ready floors)": floor,
        "drstack's overhead (RTO - floor)": rto - floor,
    })
    return figures


def _times(events: list[dict[str, Any]], namespace: str, *, verb: str,
           resources: tuple[str, ...], user: str | None = None, agent: str | None = None,
           subresource: str | None = None) -> list[float]:
    out = []
    for event in events:
        ref = event.get("objectRef") or {}
        if (event["verb"] == verb and ref.get("namespace") == namespace
                and ref.get("resource") in resources
                and ref.get("subresource") == subresource
                and (user is None or event.get("user", {}).get("username") == user)
                and (agent is None or event.get("userAgent", "").startswith(agent))):
            out.append(datetime.fromisoformat(
                event["stageTimestamp"].replace("Z", "+00:00")).timestamp())
    return sorted(out)


def verbs_of(events: dict[Site, list[dict[str, Any]]]) -> Counter[str]:
    """drstack's requests (user drstack) on both sites, by verb."""
    return Counter(e["verb"] for site_events in events.values() for e in site_events
                   if e.get("user", {}).get("username") == "drstack")


def bench_size(n: int, out: Path, *, design: str = "site-scale",
               scripts: bool = True) -> dict[str, Any]:
    pair = start_pair(out / f"n{n}", n)
    results: dict[str, Any] = {"n": n, "design": design, "sequential": [], "ideal": []}
    try:
        for name, fn in (("sequential", sequential_switch), ("ideal", ideal_switch)):
            if not scripts:
                break
            runs = []
            for old, new in ((Site.SOURCE, Site.DR), (Site.DR, Site.SOURCE)):
                marks = pair.audit_size()
                run = fn(pair, old, new, n)
                wait_gone(pair, old)
                run["requests"] = verbs_of(pair.audit_since(marks))
                runs.append(run)
            results[name] = runs
        project = pair.folder / "project"

        if design == "per-workload":  # the program as it was before SiteScale (git history)
            old_project(project, PER_WORKLOAD_COMMIT)
        else:
            make_project(project)
        env = PulumiEnv(pair.folder / "pulumi-home", pair.folder / "state", "bench")
        env.install_plugins()
        app = E2eApp(clusters=pair.clusters, namespaces=NAMESPACES, project=project,
                     cli=PulumiCli(project, env), tmp=pair.folder)
        # The failback copies db's claim back from DR, with the FAKE pv-migrate.
        app.extra["source"].update(reverseMigratePvcData=True, pvMigratePath=str(pair.pv_migrate))
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
    shape = ("" if results["design"] == "site-scale" else
             f"; drstack as it was at {PER_WORKLOAD_COMMIT}, one Patch per workload and site")
    lines = [f"\n### N = {n} workloads per site ({n - 1} Deployments and the StatefulSet db, "
             "1 replica each; the failback copies db's claim with the FAKE pv-migrate"
             f"{shape})\n",
             "| measure | cutover (source -> dr) | failback (dr -> source) |", "|---|---|---|"]

    def verbs(c: Counter[str]) -> str:
        return ", ".join(f"{v} {k}" for k, v in sorted(c.items())) + f" (total {sum(c.values())})"

    def row(label: str, cells: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    for name in ("sequential", "ideal"):
        runs = results[name]
        if not runs:
            continue
        row(f"{name} script: wall (patches + wait until ready)",
            [f"{r['total']:.2f} s" for r in runs])
        row(f"{name} script: requests", [verbs(r["requests"]) for r in runs])
    for round_, switch in enumerate(results["drstack"], 1):
        runs = [switch["dr"], switch["source"]]
        label = "drstack, first switch of each stack" if round_ == 1 else "drstack, later switch"
        row(f"{label}: `pulumi preview`", [f"{r['preview']:.2f} s" for r in runs])
        row(f"{label}: preview requests", [verbs(r["preview_requests"]) for r in runs])
        row(f"{label}: `pulumi up`", [f"{r['up']:.2f} s" for r in runs])
        row(f"{label}: up requests", [verbs(r["requests"]) for r in runs])
        for step in STEPS:
            spans = [r["steps"].get(step) for r in runs]
            if any(spans):
                row(f"{label}: step {step}",
                    [f"{span[1] - span[0]:.2f} s" if span else "-" for span in spans])
        keys = max((list(r["physical"] or {}) for r in runs), key=len)
        for key in keys:
            row(f"{label}: {key}", [f"{r['physical'][key]:.2f} s"
                                    if r["physical"] and key in r["physical"] else "-"
                                    for r in runs])
        cells = []
        for r in runs:
            spans = r["steps"]
            if "scale-down" in spans and "verify" in spans:
                cells.append(f"{spans['verify'][1] - spans['scale-down'][0]:.2f} s")
            else:
                cells.append("-")
        row(f"{label}: scale-down start -> verify end (engine events)", cells)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--out", default=str(ROOT / "bench" / "out" / "real"))
    parser.add_argument("--design", choices=("site-scale", "per-workload"), default="site-scale",
                        help="per-workload: drstack's program before SiteScale, from git history")
    parser.add_argument("--no-scripts", action="store_true",
                        help="drstack only, without the sequential and ideal scripts")
    args = parser.parse_args()
    out = Path(args.out)
    print(f"# real-engine benchmark, {datetime.now().isoformat(timespec='seconds')}, "
          f"{platform.platform()}, nproc {len(__import__('os').sched_getaffinity(0))}")
    for n in (int(s) for s in args.sizes.split(",")):
        started = time.monotonic()
        results = bench_size(n, out, design=args.design, scripts=not args.no_scripts)
        print(report(results), flush=True)
        print(f"\n(N = {n}: {time.monotonic() - started:.0f} s for the whole size)", flush=True)


if __name__ == "__main__":
    main()
