"""drstack's orchestration cost, side by side with Pulumi's own floor and a DR-Syncer-like CLI.

    .venv/bin/python -m bench.switch_bench [--sizes 10,100,1000] [--latency-ms 5] [--pvcs 8]
                                           [--copy-seconds 0.5] [--pairs 3] [--ready-repeats 5]

(from the project folder: ``-m`` puts it on the import path, for drstack and bench alike).

For each N (workloads per site, 3/4 Deployments, 1/4 StatefulSets) it builds two fake clusters
(drstack.testing.fakekube, real HTTP, ``latency`` seconds slept per request) in the state after
a cutover (ledger: dr active; dr running; source at 0 with its dr-syncer.io/original-replicas) and
measures a failback (dr -> source) with M PVCs to copy:

(a) reading both sites and building the plan (read_snapshots + build_plan + pv-migrate check);
(b) the real ``__main__.py`` under Pulumi's mocks (drstack/testing/harness.py): wall time, the part
    spent reading + planning inside it (wrapped), and the tracemalloc peak (in runs of their
    own: tracemalloc slows Python down);
(c) the floor: bench/floor_program.py, the same resources with constant inputs, under the same
    mocks, alternated with (b) (floor, ours, floor, ours...; medians); and (c') the floor of a
    batched design (one scale resource per site instead of one Patch per workload);
(d) API requests by verb: reading both sites, and a readiness gate that finds all ready;
(e) readiness detection latency: the bench marks every workload ready at time T from a
    controller thread, a random time after the gate started watching; latency = the gate's
    return - T (the gate sees it from its watches' events);
(f) PVC copy wall time with a fake pv-migrate that sleeps --copy-seconds, at concurrency 1 and 2;
and the baseline (bench/baseline.py): sequential GET + PATCH /scale per workload, one pv-migrate
at a time, on its own pair of fake clusters with the same contents and latency.

No figure here is asserted: the targets are printed with the measured value and "met"/"NOT met".
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi.dynamic import Config, ConfigureRequest

import drstack.program.dr_switch as dr_switch
from bench.baseline import BaselineResult, BaselineSite, run_failback
from drstack.config import load_config
from drstack.planner import build_plan
from drstack.preflight import pv_migrate_findings
from drstack.program.snapshots import read_snapshots
from drstack.providers.readiness_gate import ReadinessGateProvider
from drstack.pvmigrate import Endpoint, MigrationJob, detect_version, run_migrations
from drstack.testing import harness
from drstack.testing.fake_pvmigrate import write_fake_pvmigrate
from drstack.testing.fakekube import FakeKubeServer
from drstack.testing.scenario import DR_NS, SOURCE_NS, base_config, ledger, populate

ROOT = Path(__file__).resolve().parents[1]

MAIN = ROOT / "__main__.py"
FLOOR = ROOT / "bench" / "floor_program.py"
READY_NS = "ready-bench"


# ---- fixtures ---------------------------------------------------------------------------------


@dataclass
class Sizes:
    n: int  # workloads per site
    pvcs: int

    @property
    def deployments(self) -> int:
        return self.n - self.statefulsets

    @property
    def statefulsets(self) -> int:
        return self.n // 4

    def workloads(self) -> list[tuple[str, str]]:
        return ([("Deployment", f"dep-{i:04d}") for i in range(self.deployments)]
                + [("StatefulSet", f"sts-{i:04d}") for i in range(self.statefulsets)])

    def claims(self) -> list[str]:
        return [f"dep-{i:04d}-data" for i in range(min(self.pvcs, self.deployments))]


def populate_pair(source: FakeKubeServer, dr: FakeKubeServer, sizes: Sizes) -> None:
    """After a cutover: ledger says dr (generation 4); dr runs; source at 0, with originals."""
    deps = {name: 2 for kind, name in sizes.workloads() if kind == "Deployment"}
    stss = {name: 1 for kind, name in sizes.workloads() if kind == "StatefulSet"}
    originals = {name: str(n) for name, n in {**deps, **stss}.items()}
    claims = tuple(sizes.claims())
    populate(source, SOURCE_NS, deployments=dict.fromkeys(deps, 0),
             statefulsets=dict.fromkeys(stss, 0), originals=originals,
             ledger_annotations=ledger("dr", 4), pvcs=claims)
    populate(dr, DR_NS, deployments=deps, statefulsets=stss, originals=originals,
             ledger_annotations=ledger("dr", 4), pvcs=claims)


def _serve_pair(sizes: Sizes, latency: float, folder: str, ready: Any, stop: Any) -> None:
    with fake_pair(sizes, latency) as (source, dr):
        ready.send(base_config(source, dr, Path(folder)))
        stop.wait()


@contextlib.contextmanager
def fake_pair_apart(sizes: Sizes, latency: float, folder: Path) -> Iterator[dict[str, Any]]:
    """The same pair, served by a process of its own, as a real API server is: encoding its
    answers must not count against the program's time (in one process they share one GIL).
    Yields the stack config (short keys) that points at it."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    stop = context.Event()
    server = context.Process(target=_serve_pair, args=(sizes, latency, str(folder), send, stop),
                             daemon=True)
    server.start()
    try:
        yield receive.recv()
    finally:
        stop.set()
        server.join(timeout=10)


@contextlib.contextmanager
def fake_pair(sizes: Sizes, latency: float) -> Iterator[tuple[FakeKubeServer, FakeKubeServer]]:
    with FakeKubeServer(name="source") as source, FakeKubeServer(name="dr") as dr:
        populate_pair(source, dr, sizes)
        source.latency = dr.latency = latency
        yield source, dr


# ---- request counting -------------------------------------------------------------------------


def verbs(*servers: FakeKubeServer) -> Counter[str]:
    """Requests by Kubernetes verb and resource ("list deployments", "patch scale"...)."""
    out: Counter[str] = Counter()
    for server in servers:
        for r in server.requests:
            parts = [p for p in r.path.split("/") if p]
            # /api/v1/... or /apis/<group>/<version>/...; what follows is the resource path.
            rest = parts[2:] if parts[:1] == ["api"] else parts[3:] if parts[:1] == ["apis"] else []
            if not rest:
                out[f"{r.method.lower()} discovery"] += 1
                continue
            if rest[0] == "namespaces" and len(rest) >= 3:
                rest = rest[2:]  # namespaced: drop namespaces/<ns>
            kind = "/".join([rest[0], *rest[2:]])  # <plural>[/<name>[/<subresource>]]
            verb = r.method.lower()
            if verb == "get":
                verb = "list" if len(rest) == 1 else "get"
            out[f"{verb} {kind}"] += 1
    return out


def show_verbs(counts: Counter[str]) -> str:
    """Totals by verb, then the detail: "get 2, list 7 (list deployments 2, ...)"."""
    if not counts:
        return "none"
    by_verb: Counter[str] = Counter()
    for key, n in counts.items():
        by_verb[key.split()[0]] += n
    total = ", ".join(f"{v} {n}" for v, n in sorted(by_verb.items()))
    detail = ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))
    return f"{total} ({detail})"


# ---- (a) reading and planning -----------------------------------------------------------------


@dataclass(frozen=True)
class ReadPlanSeconds:
    """(a): how long reading both sites, planning and checking pv-migrate take."""

    read: float
    plan: float
    check: float  # pv-migrate's version and flags
    total: float

    @classmethod
    def median(cls, runs: list[ReadPlanSeconds]) -> ReadPlanSeconds:
        """Each figure's median over ``runs`` (the total's too, not the sum of medians)."""
        return cls(read=statistics.median(r.read for r in runs),
                   plan=statistics.median(r.plan for r in runs),
                   check=statistics.median(r.check for r in runs),
                   total=statistics.median(r.total for r in runs))


def read_and_plan(raw: dict[str, str]) -> ReadPlanSeconds:
    config = load_config(raw, stack="source")
    t0 = time.perf_counter()
    snapshots = read_snapshots(config)
    t1 = time.perf_counter()
    plan = build_plan(config, snapshots, now="2026-11-02T10:00:00+00:00")
    t2 = time.perf_counter()
    errors = [f for f in pv_migrate_findings(config, plan.copy) if f.severity == "error"]
    t3 = time.perf_counter()
    assert not errors and plan.transition_id.startswith("failback"), (errors, plan.transition_id)
    return ReadPlanSeconds(read=t1 - t0, plan=t2 - t1, check=t3 - t2, total=t3 - t0)


# ---- (b)/(c) the program under Pulumi's mocks --------------------------------------------------


@contextlib.contextmanager
def timed_phases(into: dict[str, float]) -> Iterator[None]:
    """Time read_snapshots and plan_switch inside the real program (DrSwitch looks them up in
    its module at every run, so wrapping that module's attributes is enough)."""
    originals = {name: getattr(dr_switch, name) for name in ("read_snapshots", "plan_switch")}

    def wrap(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                into[name] = into.get(name, 0.0) + time.perf_counter() - start
        return timed

    for name, fn in originals.items():
        setattr(dr_switch, name, wrap(name, fn))
    try:
        yield
    finally:
        for name, fn in originals.items():
            setattr(dr_switch, name, fn)


@dataclass
class ProgramMeasure:
    seconds: float
    read_plan: float
    registrations: Counter[str]
    peak_bytes: int = 0


def run_under_mocks(main: Path, config: dict[str, Any], *, trace_memory: bool = False
                    ) -> ProgramMeasure:
    phases: dict[str, float] = {}
    gc.collect()
    with timed_phases(phases):
        if trace_memory:
            tracemalloc.start()
        start = time.perf_counter()
        run = harness.run_program(config, stack="source", preview=True, program=main)
        seconds = time.perf_counter() - start
        peak = 0
        if trace_memory:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    if main == MAIN:
        assert str(run.outputs.get("transition", "")).startswith("failback"), run.outputs
    # NaN when the program no longer calls drstack.program.dr_switch's read_snapshots.
    if main != MAIN:
        read_plan = 0.0
    elif "read_snapshots" in phases:
        read_plan = phases["read_snapshots"] + phases.get("plan_switch", 0.0)
    else:
        read_plan = float("nan")
    return ProgramMeasure(seconds, read_plan,
                          Counter(r.type for r in run.registrations), peak)


# ---- (d)/(e) the readiness gate ----------------------------------------------------------------


def gate_provider(kubeconfig: Path) -> ReadinessGateProvider:
    provider = ReadinessGateProvider()
    provider.configure(ConfigureRequest(Config({
        "drstack:sourceKubeconfig": str(kubeconfig), "drstack:sourceContext": "source",
        "drstack:sourceNamespace": READY_NS, "drstack:drKubeconfig": str(kubeconfig),
        "drstack:drContext": "source", "drstack:drNamespace": DR_NS,
    }, project_name="drstack")))
    return provider


def gate_props(sizes: Sizes) -> dict[str, Any]:
    return {"site": "source", "namespace": READY_NS, "transition": "failback#5",
            "workloads": [{"kind": k, "name": n, "replicas": 2 if k == "Deployment" else 1}
                          for k, n in sizes.workloads()],
            "timeoutSeconds": 120.0}


def unready(server: FakeKubeServer, sizes: Sizes) -> None:
    for kind, name in sizes.workloads():
        server.set_status(kind, READY_NS, name, {})


def detection_latencies(server: FakeKubeServer, provider: ReadinessGateProvider, sizes: Sizes,
                        repeats: int, rng: random.Random) -> list[float]:
    """Gate return time minus the moment the bench (as the controller) made all ready."""
    out = []
    for _ in range(repeats):
        unready(server, sizes)
        ready_at: list[float] = []

        def controller(ready_at: list[float] = ready_at) -> None:
            server.make_ready(READY_NS)
            ready_at.append(time.perf_counter())

        # At a random time once the gate watches: not always at the same point of its work.
        timer = threading.Timer(0.3 + rng.uniform(0, 0.5), controller)
        timer.start()
        outs = provider.create(gate_props(sizes)).outs
        returned = time.perf_counter()
        timer.join()
        assert outs["result"] == "ready", outs
        out.append(returned - ready_at[0])
    return out


# ---- (f) PVC copies ----------------------------------------------------------------------------


def copy_wall(binary: Path, sizes: Sizes, kubeconfigs: dict[str, Path], concurrency: int,
              log_dir: Path) -> float:
    version = detect_version(str(binary))
    jobs = [MigrationJob(Endpoint(str(kubeconfigs["dr"]), "dr", DR_NS, claim),
                         Endpoint(str(kubeconfigs["source"]), "source", SOURCE_NS, claim))
            for claim in sizes.claims()]
    start = time.perf_counter()
    results = run_migrations(jobs, binary=str(binary), version=version, extra_flags=[],
                             concurrency=concurrency, timeout=120.0, log_dir=log_dir)
    seconds = time.perf_counter() - start
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    return seconds


# ---- one size ----------------------------------------------------------------------------------


@dataclass
class SizeResult:
    """Every figure of one N, by what it measures."""

    sizes: Sizes
    read_plan: ReadPlanSeconds = ReadPlanSeconds(0.0, 0.0, 0.0, 0.0)  # (a), medians
    ours: list[ProgramMeasure] = field(default_factory=list)  # (b)
    floor: list[ProgramMeasure] = field(default_factory=list)  # (c)
    batched: ProgramMeasure | None = None  # (c')
    ours_peak: int = 0  # (b) tracemalloc peak, bytes
    floor_peak: int = 0  # (c) tracemalloc peak, bytes
    read_verbs: Counter[str] = field(default_factory=Counter)  # (d)
    ready_verbs: Counter[str] = field(default_factory=Counter)  # (d)
    # One gate call that finds all ready: one LIST per kind, client set-up included.
    ready_check_seconds: float = 0.0
    # (e) detection latencies (seconds), one per repeat.
    ready_latencies: list[float] = field(default_factory=list)
    # (f) concurrency -> wall seconds, and ceil(M/c) copy times.
    copy_seconds: dict[int, float] = field(default_factory=dict)
    copy_expected_seconds: dict[int, float] = field(default_factory=dict)
    baseline: BaselineResult | None = None
    baseline_verbs: Counter[str] = field(default_factory=Counter)
    same_resources: bool = True

    @property
    def ours_seconds(self) -> float:
        """(b): the program's median wall time under the mocks."""
        return statistics.median(m.seconds for m in self.ours)

    @property
    def floor_seconds(self) -> float:
        """(c): the floor's median wall time under the same mocks."""
        return statistics.median(m.seconds for m in self.floor)


def bench_size(sizes: Sizes, args: argparse.Namespace, work: Path, rng: random.Random,
               say: Callable[[str], None]) -> SizeResult:
    res = SizeResult(sizes)
    latency = args.latency_ms / 1000.0
    tmp = work / f"n{sizes.n}"
    tmp.mkdir()
    pv_migrate = write_fake_pvmigrate(tmp / "pv-migrate-bin", major=3, seconds=args.copy_seconds)
    os.environ["DRSTACK_BENCH_FLOOR"] = json.dumps(
        {"deployments": sizes.deployments, "statefulsets": sizes.statefulsets,
         "pvcs": len(sizes.claims())})

    with fake_pair(sizes, latency) as (source, dr):
        config = base_config(source, dr, tmp)
        config.update(reverseMigratePvcData=True, pvMigratePath=str(pv_migrate))
        raw = {k: harness.as_config_text(v) for k, v in config.items()}

        # (a) + (d) reading
        read_and_plan(raw)  # warm-up: imports, connection set-up code paths
        runs = []
        for i in range(args.read_repeats):
            source.clear_log()
            dr.clear_log()
            runs.append(read_and_plan(raw))
            if i == 0:
                res.read_verbs = verbs(source, dr)
        res.read_plan = ReadPlanSeconds.median(runs)
        say(f"  (a) done: read+plan {res.read_plan.total * 1000:.0f} ms")

    # (b)/(c): alternate floor and ours; a first pair in the process warms up (imports). The
    # clusters are served apart, as API servers are.
    apart = tmp / "apart"
    apart.mkdir()
    with fake_pair_apart(sizes, latency, apart) as served:
        config = {**served, "reverseMigratePvcData": True, "pvMigratePath": str(pv_migrate)}
        if args.warm_up:
            run_under_mocks(FLOOR, config)
            run_under_mocks(MAIN, config)
            args.warm_up = False
        for _ in range(args.pairs):
            res.floor.append(run_under_mocks(FLOOR, config))
            res.ours.append(run_under_mocks(MAIN, config))
        res.same_resources = res.ours[0].registrations == res.floor[0].registrations

    with fake_pair(sizes, latency) as (source, dr):
        config = base_config(source, dr, tmp)
        config.update(reverseMigratePvcData=True, pvMigratePath=str(pv_migrate))
        os.environ["DRSTACK_BENCH_FLOOR"] = json.dumps(
            {"deployments": sizes.deployments, "statefulsets": sizes.statefulsets,
             "pvcs": len(sizes.claims()), "mode": "per-workload"})
        res.batched = run_under_mocks(FLOOR, config)
        os.environ["DRSTACK_BENCH_FLOOR"] = json.dumps(
            {"deployments": sizes.deployments, "statefulsets": sizes.statefulsets,
             "pvcs": len(sizes.claims())})
        say(f"  (b)/(c) done: ours {res.ours_seconds:.2f} s, floor {res.floor_seconds:.2f} s")
        floor_peaks, ours_peaks = [], []
        for _ in range(args.mem_pairs):  # tracemalloc slows Python: runs of their own
            floor_peaks.append(run_under_mocks(FLOOR, config, trace_memory=True).peak_bytes)
            ours_peaks.append(run_under_mocks(MAIN, config, trace_memory=True).peak_bytes)
        res.floor_peak = int(statistics.median(floor_peaks))
        res.ours_peak = int(statistics.median(ours_peaks))
        say("  memory done")

        # (d) a gate that finds all ready, (e) detection latency: a namespace of its own.
        deps = {n: 2 for k, n in sizes.workloads() if k == "Deployment"}
        stss = {n: 1 for k, n in sizes.workloads() if k == "StatefulSet"}
        populate(source, READY_NS, deployments=deps, statefulsets=stss)
        provider = gate_provider(Path(config["sourceKubeconfig"]))
        source.make_ready(READY_NS)
        source.clear_log()
        provider.create(gate_props(sizes))  # all ready: one LIST per kind, no watch
        res.ready_verbs = verbs(source)
        one_check = []
        for _ in range(3):
            start = time.perf_counter()
            provider.create(gate_props(sizes))
            one_check.append(time.perf_counter() - start)
        res.ready_check_seconds = statistics.median(one_check)
        res.ready_latencies = detection_latencies(source, provider, sizes, args.ready_repeats,
                                                  rng)
        say("  (e) done")

        # (f) copies
        kubeconfigs = {"source": Path(config["sourceKubeconfig"]),
                       "dr": Path(config["drKubeconfig"])}
        m = len(sizes.claims())
        for c in (1, 2):
            res.copy_seconds[c] = copy_wall(pv_migrate, sizes, kubeconfigs, c, tmp / f"logs-{c}")
            res.copy_expected_seconds[c] = math.ceil(m / c) * args.copy_seconds
        say("  (f) done")

    # Baseline on its own pair (it writes to the clusters).
    with fake_pair(sizes, latency) as (source, dr):
        kc = {"source": source.write_kubeconfig(tmp / "b-source.yaml", context="source"),
              "dr": dr.write_kubeconfig(tmp / "b-dr.yaml", context="dr")}
        source.clear_log()
        dr.clear_log()
        res.baseline = run_failback(BaselineSite(kc["dr"], "dr", DR_NS),
                                    BaselineSite(kc["source"], "source", SOURCE_NS),
                                    sizes.workloads(), sizes.claims(), pv_migrate=pv_migrate)
        res.baseline_verbs = verbs(source, dr)
        assert not res.baseline.errors, res.baseline.errors
        say(f"  baseline done: {res.baseline.total_seconds:.1f} s")
    return res


# ---- report ------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def mib(n: int) -> str:
    return f"{n / 2**20:,.1f} MiB"


def size_report(r: SizeResult, args: argparse.Namespace) -> list[str]:
    s = r.sizes
    a = r.read_plan
    ours, floor = r.ours_seconds, r.floor_seconds
    ours_rp = statistics.median(m.read_plan for m in r.ours)
    declare = statistics.median(m.seconds - m.read_plan for m in r.ours)
    nres = sum(r.ours[0].registrations.values())
    b = r.baseline
    assert b is not None and r.batched is not None
    lines = [
        f"### N = {s.n} workloads per site ({s.deployments} Deployments, {s.statefulsets} "
        f"StatefulSets), M = {len(s.claims())} PVCs, latency {args.latency_ms:g} ms/request",
        "",
        "| measure | drstack | reference | ratio |",
        "|---|---|---|---|",
        f"| (a) read both sites + plan (median of {args.read_repeats}) | {ms(a.total)} "
        f"(read {ms(a.read)}, plan {ms(a.plan)}, pv-migrate check {ms(a.check)}) "
        f"| baseline's per-workload GETs: {ms(b.get_seconds)} | {b.get_seconds / a.read:.0f}x "
        "fewer seconds reading |",
        f"| (b) program under mocks, {nres} resources (median of {args.pairs}) | {ms(ours)} "
        f"(read+plan inside {ms(ours_rp)}; declare {ms(declare)}) | (c) floor {ms(floor)} "
        f"| {ours / floor:.3f}x (declare only: {declare / floor:.3f}x) |",
        f"| (b) added over the floor | {ms(ours - floor)} ({(ours - floor) / nres * 1000:.2f} "
        f"ms/resource) | floor per resource {floor / nres * 1000:.2f} ms | |",
        f"| (b) peak memory (tracemalloc, median of {args.mem_pairs}) | {mib(r.ours_peak)} "
        f"| (c) floor {mib(r.floor_peak)} "
        f"| {r.ours_peak / r.floor_peak:.3f}x |",
        f"| (c') floor of the design before SiteScale (1 Patch per workload and site) "
        f"| {sum(r.batched.registrations.values())} resources | {ms(r.batched.seconds)} "
        f"| (c) is {r.batched.seconds / floor:.0f}x faster |",
        f"| (d) requests to read both sites | {show_verbs(r.read_verbs)} "
        f"| baseline: {show_verbs(r.baseline_verbs)} | |",
        f"| (d) requests of a readiness gate that finds all ready | {show_verbs(r.ready_verbs)}; "
        f"it takes {ms(r.ready_check_seconds)} | baseline: no readiness check | |",
        f"| (e) readiness detection, watch ({len(r.ready_latencies)} runs) | median "
        f"{ms(statistics.median(r.ready_latencies))}, max {ms(max(r.ready_latencies))} "
        "| baseline: never waits | |",
    ]
    for c, wall in r.copy_seconds.items():
        lines.append(
            f"| (f) copy {len(s.claims())} PVCs x {args.copy_seconds:g} s, concurrency {c} "
            f"| {wall:.2f} s | ceil(M/c)*t = {r.copy_expected_seconds[c]:.2f} s "
            f"| {wall / r.copy_expected_seconds[c]:.3f}x |")
    lines += [
        f"| baseline copy, one at a time | | {b.copy_seconds:.2f} s "
        f"| ours c=2 {r.copy_seconds[2] / b.copy_seconds:.2f}x of it |",
        f"| baseline scale loops (GET+PATCH x {2 * s.n}, sequential) | | "
        f"{b.scale_down_seconds + b.scale_up_seconds:.2f} s (GETs {b.get_seconds:.2f} s, "
        f"PATCHes {b.patch_seconds:.2f} s) | |",
        f"| baseline total wall (copy + loops, no readiness wait) | | {b.total_seconds:.2f} s | |",
        "",
    ]
    if not r.same_resources:
        lines.append(f"WARNING: floor registers {dict(r.floor[0].registrations)}, ours "
                     f"{dict(r.ours[0].registrations)}")
    return lines


def targets(results: list[SizeResult]) -> list[str]:
    big = max(results, key=lambda r: r.sizes.n)
    read_counts = {r.sizes.n: r.read_verbs for r in results}
    ready_counts = {r.sizes.n: r.ready_verbs for r in results}
    constant = (len({tuple(sorted(c.items())) for c in read_counts.values()}) == 1
                and len({tuple(sorted(c.items())) for c in ready_counts.values()}) == 1)
    t_ratio = big.ours_seconds / big.floor_seconds
    m_ratio = big.ours_peak / big.floor_peak
    ready = [x for r in results for x in r.ready_latencies]
    copy_ratio = max(r.copy_seconds[c] / r.copy_expected_seconds[c]
                     for r in results for c in r.copy_seconds)

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    return [
        "### Targets",
        "",
        "| target | measured | verdict |",
        "|---|---|---|",
        "| reading: constant requests per namespace and kind, whatever N | read: "
        + "; ".join(f"N={n}: {show_verbs(c)}" for n, c in read_counts.items())
        + "; readiness gate, all ready: "
        + "; ".join(f"N={n}: {show_verbs(c)}" for n, c in ready_counts.items())
        + f" | {verdict(constant)} |",
        f"| N={big.sizes.n}: program time <= 1.25x floor | {t_ratio:.3f}x | "
        f"{verdict(t_ratio <= 1.25)} |",
        f"| N={big.sizes.n}: program peak memory <= 1.25x floor | {m_ratio:.3f}x | "
        f"{verdict(m_ratio <= 1.25)} |",
        f"| readiness detection < 1 s, from the gate's watches (all N, all runs) | median "
        f"{ms(statistics.median(ready))}, max {ms(max(ready))} | "
        f"{verdict(max(ready) < 1.0)} (median {verdict(statistics.median(ready) < 1.0)}) |",
        f"| M copies at concurrency c take about ceil(M/c) copy times (within 1.25x) | worst "
        f"{copy_ratio:.3f}x | {verdict(copy_ratio <= 1.25)} |",
        "",
    ]


def machine() -> list[str]:
    def cmd(*argv: str) -> str:
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return "(not available)"

    pulumi_cli = shutil.which("pulumi")
    return [
        f"- date: {cmd('date', '-u')}",
        f"- machine: {platform.platform()}, nproc {cmd('nproc')}",
        "- memory (free -h):",
        "",
        "```",
        cmd("free", "-h"),
        "```",
        "",
        f"- python {platform.python_version()}; pulumi SDK {_dist('pulumi')}, "
        f"pulumi_kubernetes {_dist('pulumi_kubernetes')}, kubernetes client {_dist('kubernetes')}; "
        "pulumi CLI: "
        + (cmd(pulumi_cli, "version") if pulumi_cli else "not installed (not needed: mocks)"),
        "",
    ]


def _dist(name: str) -> str:
    from importlib.metadata import version

    try:
        return version(name)
    except Exception:  # noqa: BLE001 - a figure for the report, never worth failing it
        return "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100,1000",
                        help="workloads per site, comma-separated (default 10,100,1000)")
    parser.add_argument("--latency-ms", type=float, default=5.0,
                        help="simulated API latency per request (default 5)")
    parser.add_argument("--pvcs", type=int, default=8, help="PVCs to copy, M (default 8)")
    parser.add_argument("--copy-seconds", type=float, default=0.5,
                        help="how long the fake pv-migrate takes per PVC (default 0.5)")
    parser.add_argument("--pairs", type=int, default=3,
                        help="floor/ours alternations for (b)/(c), after one warm-up (default 3)")
    parser.add_argument("--mem-pairs", type=int, default=2,
                        help="floor/ours alternations under tracemalloc (default 2)")
    parser.add_argument("--read-repeats", type=int, default=5, help="repeats of (a) (default 5)")
    parser.add_argument("--ready-repeats", type=int, default=5,
                        help="repeats of (e) (default 5)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--markdown", type=Path, default=None,
                        help="also write the report (with the machine) to this file")
    args = parser.parse_args(argv)
    args.warm_up = True
    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    rng = random.Random(args.seed)
    started = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory(prefix="drstack-bench-") as work:
        for n in sizes:
            say(f"N = {n} ...")
            results.append(bench_size(Sizes(n, args.pvcs), args, Path(work), rng, say))
    lines = ["## drstack switch benchmark", "", *machine(),
             f"Command: `.venv/bin/python -m bench.switch_bench --sizes {args.sizes} "
             f"--latency-ms {args.latency_ms:g} --pvcs {args.pvcs} --copy-seconds "
             f"{args.copy_seconds:g}` (pairs {args.pairs}, memory pairs {args.mem_pairs}, wall "
             f"{time.perf_counter() - started:.0f} s)",
             ""]
    for r in results:
        lines += size_report(r, args)
    lines += targets(results)
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
