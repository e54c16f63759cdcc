"""ReadinessGate: wait until the new site's workloads are rolled out at their desired counts.

Runs after the new site was scaled up. One LIST per kind (not a GET per workload), then a
watch per kind: a namespace with many workloads costs the API server the same few requests, and
the gate opens on the event that makes the last workload ready.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import Resource

from drstack.cluster import typed_api
from drstack.errors import ClusterError
from drstack.model import Kind, Site
from drstack.providers.inputs import Inputs, as_int, workload_entry
from drstack.providers.reading import Clock, Collection, api_client, list_items, watch_until
from drstack.providers.recovery import Recovery, recovery_of, recovery_props
from drstack.providers.step import SwitchStepProvider

if TYPE_CHECKING:
    from kubernetes.client import CoreV1Api


@dataclass(frozen=True)
class ReadyWorkload:
    """A workload that must be rolled out at its desired count."""

    kind: str
    name: str
    replicas: int  # desired

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True)
class ReadinessSpec:
    """The readiness gate's inputs: which workloads of which site, at what counts, how long."""

    site: Site
    namespace: str
    transition: str
    workloads: tuple[ReadyWorkload, ...]
    timeout_seconds: float
    # The ways out a timeout names (None in inputs saved by an older drstack).
    recovery: Recovery | None = None

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> tuple[ReadinessSpec, Inputs]:
        """The spec in a resource's inputs, and every failure found reading it.

        Inputs saved by a drstack that polled also hold ``pollSeconds``; it is ignored.
        """
        inputs = Inputs(props)
        site = inputs.site("site")
        namespace = inputs.text("namespace")
        transition = inputs.text("transition")
        workloads = []
        for index, entry in enumerate(inputs.entries("workloads")):
            kind, name = workload_entry(inputs, "workloads", index, entry)
            replicas = as_int(entry.get("replicas"))
            if replicas is None or replicas < 0:
                inputs.fail(f"workloads[{index}].replicas",
                            f"must be a whole number >= 0, got {entry.get('replicas')!r}")
                replicas = 0
            workloads.append(ReadyWorkload(kind, name, replicas))
        spec = cls(
            site=site,
            namespace=namespace,
            transition=transition,
            workloads=tuple(workloads),
            timeout_seconds=inputs.positive_seconds("timeoutSeconds"),
            recovery=recovery_of(props),
        )
        return spec, inputs

    def to_props(self) -> dict[str, Any]:
        """The spec as the resource's inputs: what ``from_props`` reads back."""
        return {
            "site": self.site.value,
            "namespace": self.namespace,
            "transition": str(self.transition),
            "workloads": [{"kind": w.kind, "name": w.name, "replicas": w.replicas}
                          for w in self.workloads],
            "timeoutSeconds": self.timeout_seconds,
            **recovery_props(self.recovery),
        }


@dataclass(frozen=True)
class Rollout:
    """What the gate last saw of one workload."""

    workload: ReadyWorkload
    found: bool
    ready: bool
    why: str  # why not ready ("" when ready)
    seen: str  # the counts, e.g. "spec 3, ready 1/3, updated 3, available 1"
    condition: str = ""  # Available/Progressing reason: message, when not true


def _count(status: Mapping[str, Any], key: str) -> int:
    return as_int(status.get(key)) or 0


def rollout(workload: ReadyWorkload, obj: Mapping[str, Any] | None) -> Rollout:
    """Whether one Deployment/StatefulSet is rolled out at its desired count, and if not why."""
    if obj is None:
        return Rollout(workload, False, False, "not found", "-")
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    desired = workload.replicas
    spec_replicas = as_int(spec.get("replicas"))
    spec_replicas = 1 if spec_replicas is None else spec_replicas  # the API server's default
    counts = {k: _count(status, k) for k in
              ("replicas", "readyReplicas", "updatedReplicas", "availableReplicas")}
    seen = (f"spec {spec_replicas}, status {counts['replicas']}, ready {counts['readyReplicas']}, "
            f"updated {counts['updatedReplicas']}")
    problems = []
    # Desired 0 needs only "no pods": a workload never scaled up may have no status at all.
    if desired and _count(status, "observedGeneration") < _count(meta, "generation"):
        problems.append("controller has not observed the latest spec")
    if spec_replicas != desired:
        problems.append(f"spec.replicas is {spec_replicas}, expected {desired}")
    if desired == 0:
        if counts["replicas"]:
            problems.append(f"{counts['replicas']} pod(s) still running")
    elif workload.kind == Kind.DEPLOYMENT:
        seen += f", available {counts['availableReplicas']}"
        for key in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas"):
            if counts[key] != desired:
                problems.append(f"{key} {counts[key]}/{desired}")
    else:
        current, update = status.get("currentRevision"), status.get("updateRevision")
        seen += f", revision {current or '-'} -> {update or '-'}"
        if counts["readyReplicas"] != desired:
            problems.append(f"readyReplicas {counts['readyReplicas']}/{desired}")
        if counts["updatedReplicas"] != desired:
            problems.append(f"updatedReplicas {counts['updatedReplicas']}/{desired}")
        if current != update:
            problems.append(f"rolling update in progress (revision {current} -> {update})")
    return Rollout(workload, True, not problems, "; ".join(problems), seen,
                   _conditions(status) if problems else "")


def _conditions(status: Mapping[str, Any]) -> str:
    shown = []
    for cond in status.get("conditions") or []:
        failing = cond.get("type") in ("Available", "Progressing") and cond.get("status") != "True"
        if failing or cond.get("reason") == "ProgressDeadlineExceeded":
            shown.append(f"{cond.get('type')}={cond.get('status')} {cond.get('reason') or ''}: "
                         f"{cond.get('message') or ''}".strip())
    return "; ".join(shown)


class ReadinessTimeout(ClusterError):
    """The new site did not become ready in time; the message has a table of what was not."""


class ReadinessGateProvider(SwitchStepProvider[ReadinessSpec]):
    """The readiness gate's provider: waits for the new site's workloads to roll out, during a
    switch only."""

    id_prefix, resource = "ready", "ReadinessGate"
    step = "ready"

    def parse(self, props: Mapping[str, Any]) -> tuple[ReadinessSpec, Inputs]:
        return ReadinessSpec.from_props(props)

    def work(self, spec: ReadinessSpec, props: dict[str, Any]) -> dict[str, Any]:
        site_seconds, per_workload = self.wait(spec)
        return {**props, "result": "ready", "siteReadySeconds": site_seconds,
                "readySeconds": per_workload}

    def wait(self, spec: ReadinessSpec) -> tuple[float, dict[str, float]]:
        """Watch until every workload is ready; (seconds for the site, seconds per workload)."""
        clock = Clock(spec.timeout_seconds)
        view = Rollouts(spec)
        with api_client(self.site_config(spec.site)) as client:
            apps = typed_api.apps(client)
            listers = {Kind.DEPLOYMENT.value: apps.list_namespaced_deployment,
                       Kind.STATEFUL_SET.value: apps.list_namespaced_stateful_set}
            collections = [
                Collection(kind, lister, spec.namespace,
                           f"{kind}s in {spec.site} namespace {spec.namespace} (readiness gate)")
                for kind, lister in listers.items()
                if any(w.kind == kind for w in spec.workloads)]
            if not watch_until(collections, view, clock=clock):
                events = _warning_events(typed_api.core(client), spec)
                raise ReadinessTimeout(_timeout_message(spec, view.pending(), events))
            return clock.elapsed(), view.ready_seconds()


class Rollouts:
    """The readiness gate's view: the last Rollout of each workload it waits for, and when each
    became ready for good."""

    def __init__(self, spec: ReadinessSpec) -> None:
        self._wanted: dict[str, dict[str, ReadyWorkload]] = {}
        for w in spec.workloads:
            self._wanted.setdefault(w.kind, {})[w.name] = w
        # The table's order: Deployments, then StatefulSets, each in the spec's order.
        order = [k.value for k in (Kind.DEPLOYMENT, Kind.STATEFUL_SET)]
        self._rollouts: dict[str, Rollout] = {
            w.ref: rollout(w, None)
            for kind in order for w in self._wanted.get(kind, {}).values()}
        self._not_ready = set(self._rollouts)  # so that done() costs nothing per event
        self._ready_at: dict[str, float] = {}

    def reset(self, kind: str, items: list[dict[str, Any]], at: float) -> None:
        wanted = self._wanted.get(kind, {})
        found = {name: obj for obj in items
                 if (name := (obj.get("metadata") or {}).get("name")) in wanted}
        for name, workload in wanted.items():
            self._set(rollout(workload, found.get(name)), at)

    def apply(self, kind: str, event: str, obj: dict[str, Any], at: float) -> None:
        workload = self._wanted.get(kind, {}).get((obj.get("metadata") or {}).get("name", ""))
        if workload is not None:
            self._set(rollout(workload, None if event == "DELETED" else obj), at)

    def _set(self, seen: Rollout, at: float) -> None:
        ref = seen.workload.ref
        self._rollouts[ref] = seen
        if seen.ready:
            self._not_ready.discard(ref)
            self._ready_at.setdefault(ref, at)
        else:  # ready, then not again: its time is when it is ready for good
            self._not_ready.add(ref)
            self._ready_at.pop(ref, None)

    def done(self) -> bool:
        return not self._not_ready

    def pending(self) -> list[Rollout]:
        return [r for r in self._rollouts.values() if not r.ready]

    def ready_seconds(self) -> dict[str, float]:
        return dict(sorted(self._ready_at.items()))


def _owned_name(workload: ReadyWorkload) -> re.Pattern[str]:
    """Names of the objects a workload's events are about: itself, its ReplicaSets, its pods."""
    name = re.escape(workload.name)
    if workload.kind == Kind.STATEFUL_SET:
        return re.compile(rf"{name}(-\d+)?")
    return re.compile(rf"{name}(-[a-z0-9]{{6,10}}(-[a-z0-9]{{5}})?)?")


def _warning_events(core: CoreV1Api, spec: ReadinessSpec) -> dict[str, str]:
    """The latest Warning event per workload (one LIST, only at timeout); best effort."""
    try:
        events = list_items(core.list_namespaced_event, namespace=spec.namespace,
                            what=f"list events in {spec.site} namespace {spec.namespace}",
                            deadline=5.0)
    except Exception as exc:  # noqa: BLE001 - the table is still worth having without them
        return {"": f"(events not available: {type(exc).__name__})"}
    latest: dict[str, tuple[str, str]] = {}
    for event in events:
        if event.get("type") != "Warning":
            continue
        involved = (event.get("involvedObject") or {}).get("name") or ""
        when = (event.get("lastTimestamp") or event.get("eventTime")
                or (event.get("metadata") or {}).get("creationTimestamp") or "")
        for w in spec.workloads:
            if _owned_name(w).fullmatch(involved) and when >= latest.get(w.ref, ("", ""))[0]:
                text = f"{event.get('reason')}: {(event.get('message') or '').strip()}"
                latest[w.ref] = (when, text[:200])
    return {ref: text for ref, (_, text) in latest.items()}


def _timeout_message(spec: ReadinessSpec, pending: list[Rollout], events: dict[str, str]) -> str:
    header = ("workload", "desired", "seen", "why not ready", "condition", "last warning event")
    rows = [header] + [
        (r.workload.ref, str(r.workload.replicas), r.seen, r.why, r.condition or "-",
         events.get(r.workload.ref, "-"))
        for r in pending
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    table = "\n".join(
        "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows)
    note = f"\n  {events['']}" if "" in events else ""
    return (
        f"readiness gate ({spec.transition}): {len(pending)} of {len(spec.workloads)} "
        f"workload(s) in namespace {spec.namespace} on the {spec.site} site not ready after "
        f"{spec.timeout_seconds:g}s:\n{table}{note}\n"
        "Fix the cause shown (image, scheduling, probes, quota); raise drstack:readinessTimeout "
        "if it is only slow."
    )


class ReadinessGate(Resource, module="drstack", name="ReadinessGate"):
    """Waits, during a switch, until the new site's workloads are rolled out and ready."""

    result: pulumi.Output[str]
    siteReadySeconds: pulumi.Output[float]
    readySeconds: pulumi.Output[dict[str, Any]]

    def __init__(self, name: str, spec: ReadinessSpec,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        # Outputs: declared so that they can be read from the resource.
        outputs = {"result": None, "siteReadySeconds": None, "readySeconds": None}
        super().__init__(ReadinessGateProvider(), name, {**spec.to_props(), **outputs}, opts)
