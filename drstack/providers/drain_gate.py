"""DrainGate: wait until the old site's pods are gone, so no one writes the PVCs being copied.

Runs after the old site was scaled to 0. One LIST of the namespace's pods, then a watch of them,
matched locally against the workloads' pod labels and the claims: cheaper for the API server
than a GET per workload, and it sees pods a workload no longer owns (orphans still mounting a
claim). The gate opens on the event that removes the last blocking pod.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from drstack.cluster import typed_api
from drstack.errors import ClusterError
from drstack.model import Site
from drstack.providers.inputs import Inputs, label_entry, workload_entry
from drstack.providers.reading import Clock, Collection, api_client, watch_until
from drstack.providers.recovery import Recovery, recovery_of, recovery_props
from drstack.providers.step import SwitchStepProvider

# A pod in one of these phases has stopped all its containers (its volumes are unmounted);
# an evicted pod stays Failed until someone deletes it, so waiting for it would never end.
_FINISHED_PHASES = ("Succeeded", "Failed")


@dataclass(frozen=True)
class DrainWorkload:
    """A workload whose pods must be gone: matched by its selector's labels, else by name."""

    kind: str
    name: str
    pod_labels: tuple[tuple[str, str], ...]

    def owns(self, pod_name: str, labels: Mapping[str, str]) -> bool:
        if self.pod_labels:
            return all(labels.get(k) == v for k, v in self.pod_labels)
        # A selector made only of matchExpressions gives no labels to match: fall back to the
        # names the controllers give pods (<deploy>-<hash>-<id>, <sts>-<ordinal>).
        pattern = (rf"{re.escape(self.name)}-\d+" if self.kind == "StatefulSet"
                   else rf"{re.escape(self.name)}-[a-z0-9]+-[a-z0-9]+")
        return re.fullmatch(pattern, pod_name) is not None


@dataclass(frozen=True)
class DrainSpec:
    """The drain gate's inputs: which pods of which site must be gone, and how long to wait."""

    site: Site
    namespace: str
    transition: str
    workloads: tuple[DrainWorkload, ...]
    claims: tuple[str, ...]
    timeout_seconds: float
    # The ways out a timeout names (None in inputs saved by an older drstack).
    recovery: Recovery | None = None

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> tuple[DrainSpec, Inputs]:
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
            labels = label_entry(inputs, f"workloads[{index}].podLabels", entry.get("podLabels"))
            workloads.append(DrainWorkload(kind, name, labels))
        claims = inputs.strings("claims")
        spec = cls(
            site=site,
            namespace=namespace,
            transition=transition,
            workloads=tuple(workloads),
            claims=claims,
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
            "workloads": [{"kind": w.kind, "name": w.name, "podLabels": dict(w.pod_labels)}
                          for w in self.workloads],
            "claims": list(self.claims),
            "timeoutSeconds": self.timeout_seconds,
            **recovery_props(self.recovery),
        }


@dataclass(frozen=True)
class BlockingPod:
    """A pod that keeps the gate closed, and why."""

    name: str
    phase: str
    reasons: tuple[str, ...]  # e.g. "Deployment/web", "claim data"

    def __str__(self) -> str:
        return f"{self.name} (phase {self.phase}; {', '.join(self.reasons)})"


def blocking_pods(pods: list[dict[str, Any]], spec: DrainSpec) -> list[BlockingPod]:
    """The pods of a LIST that belong to a listed workload or mount a listed claim."""
    found = [p for p in (blocking_pod(pod, spec) for pod in pods) if p is not None]
    return sorted(found, key=lambda p: p.name)


def blocking_pod(pod: Mapping[str, Any], spec: DrainSpec) -> BlockingPod | None:
    """The pod as a BlockingPod if it belongs to a listed workload or mounts a listed claim and
    has not finished; else None."""
    phase = (pod.get("status") or {}).get("phase") or "Unknown"
    if phase in _FINISHED_PHASES:
        return None
    meta = pod.get("metadata") or {}
    labels = meta.get("labels") or {}
    pod_name = meta.get("name", "?")
    reasons = [f"{w.kind}/{w.name}" for w in spec.workloads if w.owns(pod_name, labels)]
    claims = set(spec.claims)
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
        if claim in claims:
            reasons.append(f"claim {claim}")
    return BlockingPod(pod_name, phase, tuple(reasons)) if reasons else None


class PodsInTheWay:
    """The drain gate's view of the namespace: its blocking pods only, by name."""

    def __init__(self, spec: DrainSpec) -> None:
        self._spec = spec
        self._blocking: dict[str, BlockingPod] = {}
        self.at_start: list[str] | None = None  # the names the first LIST found

    def reset(self, kind: str, items: list[dict[str, Any]], at: float) -> None:
        self._blocking = {p.name: p for p in blocking_pods(items, self._spec)}
        if self.at_start is None:
            self.at_start = sorted(self._blocking)

    def apply(self, kind: str, event: str, obj: dict[str, Any], at: float) -> None:
        name = (obj.get("metadata") or {}).get("name", "?")
        found = None if event == "DELETED" else blocking_pod(obj, self._spec)
        if found is None:
            self._blocking.pop(name, None)
        else:
            self._blocking[name] = found

    def done(self) -> bool:
        return not self._blocking

    def blocking(self) -> list[BlockingPod]:
        return sorted(self._blocking.values(), key=lambda p: p.name)


class DrainTimeout(ClusterError):
    """The old site's pods did not go away in time; the message names them."""


class DrainGateProvider(SwitchStepProvider[DrainSpec]):
    """The drain gate's provider: waits for the old site's pods to go, during a switch only."""

    id_prefix, resource = "drain", "DrainGate"
    step = "drain"

    def parse(self, props: Mapping[str, Any]) -> tuple[DrainSpec, Inputs]:
        return DrainSpec.from_props(props)

    def work(self, spec: DrainSpec, props: dict[str, Any]) -> dict[str, Any]:
        waited, at_start = self.wait(spec)
        return {**props, "result": "drained", "waitedSeconds": waited, "podsAtStart": at_start}

    def wait(self, spec: DrainSpec) -> tuple[float, list[str]]:
        """Watch until no blocking pod is left; (seconds waited, pod names seen at the start)."""
        clock = Clock(spec.timeout_seconds)
        view = PodsInTheWay(spec)
        with api_client(self.site_config(spec.site)) as client:
            pods = Collection("Pod", typed_api.core(client).list_namespaced_pod, spec.namespace,
                              f"pods in {spec.site} namespace {spec.namespace} (drain gate)")
            if not watch_until([pods], view, clock=clock):
                raise DrainTimeout(_timeout_message(spec, view.blocking()))
            return clock.elapsed(), view.at_start or []


def _timeout_message(spec: DrainSpec, blocking: list[BlockingPod]) -> str:
    lines = "\n".join(f"  - {p}" for p in blocking)
    return (
        f"drain gate ({spec.transition}): {len(blocking)} pod(s) still in namespace "
        f"{spec.namespace} on the {spec.site} site after {spec.timeout_seconds:g}s; no PVC "
        f"data was copied and the new site was not scaled up:\n{lines}\n"
        "A pod stuck Terminating usually waits on a finalizer or an unreachable node; check "
        f"`kubectl -n {spec.namespace} describe pod NAME`; raise drstack:drainTimeout if they "
        "are only slow."
    )


class DrainGate(Resource, module="drstack", name="DrainGate"):
    """Waits, during a switch, until the old site runs no pod of the switched workloads."""

    result: pulumi.Output[str]
    waitedSeconds: pulumi.Output[float]
    podsAtStart: pulumi.Output[list[Any]]

    def __init__(self, name: str, spec: DrainSpec,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        # Outputs: declared so that they can be read from the resource.
        outputs = {"result": None, "waitedSeconds": None, "podsAtStart": None}
        super().__init__(DrainGateProvider(), name, {**spec.to_props(), **outputs}, opts)
