"""VolumeSnapshots: before a copy overwrites anything, a VolumeSnapshot of each claim it writes.

Runs after the drain gate and before the copy, on the site being made active, when
``drstack:snapshotBeforeCopy`` is on. Each snapshot is named after the switch and the claim
(``drstack-failback-5-data-db-0``), so a re-run of the switch finds the one it made rather than
making another; the step waits until every one is ``readyToUse`` (watching them), and fails
naming the snapshot and its error when the snapshotter reports one. drstack never deletes a
snapshot: the outputs and the ledger list them, and the README gives the restore steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from drstack.cluster import typed_api
from drstack.cluster.raw import Obj
from drstack.cluster.retry import call as retried
from drstack.errors import ClusterError
from drstack.model import Site
from drstack.planner import snapshot_name
from drstack.providers.inputs import Inputs
from drstack.providers.reading import Clock, Collection, api_client, watch_until
from drstack.providers.recovery import Recovery, recovery_of, recovery_props
from drstack.providers.step import SwitchStepProvider

GROUP, VERSION, PLURAL = "snapshot.storage.k8s.io", "v1", "volumesnapshots"
MANAGED_BY = "drstack"


@dataclass(frozen=True)
class SnapshotSpec:
    """The snapshot step's inputs: which claims of which site, with which class."""

    site: Site
    namespace: str
    transition: str
    claims: tuple[str, ...]
    snapshot_class: str  # "" for the cluster's default VolumeSnapshotClass
    timeout_seconds: float
    recovery: Recovery | None = None

    @property
    def names(self) -> dict[str, str]:
        """Claim -> the name of its snapshot in this switch."""
        return {claim: snapshot_name(self.transition, claim) for claim in self.claims}

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> tuple[SnapshotSpec, Inputs]:
        """The spec in a resource's inputs, and every failure found reading it."""
        inputs = Inputs(props)
        spec = cls(site=inputs.site("site"), namespace=inputs.text("namespace"),
                   transition=inputs.text("transition"), claims=inputs.strings("claims"),
                   snapshot_class=inputs.text("snapshotClass", allow_empty=True),
                   timeout_seconds=inputs.positive_seconds("timeoutSeconds"),
                   recovery=recovery_of(props))
        return spec, inputs

    def to_props(self) -> dict[str, Any]:
        """The spec as the resource's inputs: what ``from_props`` reads back."""
        return {"site": self.site.value, "namespace": self.namespace,
                "transition": str(self.transition), "claims": list(self.claims),
                "snapshotClass": self.snapshot_class, "timeoutSeconds": self.timeout_seconds,
                **recovery_props(self.recovery)}


class SnapshotFailed(ClusterError):
    """A snapshot was refused, reported an error, or was not ready in time: nothing was copied."""


class _Snapshots:
    """The step's view: each of its snapshots' readiness, and any error the snapshotter gave."""

    def __init__(self, names: set[str]) -> None:
        self.names = names
        self.ready: dict[str, bool] = {}
        self.errors: dict[str, str] = {}
        self.restore_sizes: dict[str, str] = {}

    def reset(self, kind: str, items: list[Obj], at: float) -> None:
        self.ready, self.errors = {}, {}
        for obj in items:
            self.apply(kind, "ADDED", obj, at)

    def apply(self, kind: str, event: str, obj: Obj, at: float) -> None:
        name = (obj.get("metadata") or {}).get("name")
        if name not in self.names:
            return
        if event == "DELETED":
            self.ready.pop(name, None)
            return
        status = obj.get("status") or {}
        self.ready[name] = status.get("readyToUse") is True
        if status.get("restoreSize"):
            self.restore_sizes[name] = str(status["restoreSize"])
        error = status.get("error") or {}
        if error.get("message"):
            self.errors[name] = str(error["message"])[:300]

    def done(self) -> bool:
        return bool(self.errors) or all(self.ready.get(n) for n in self.names)


class VolumeSnapshotsProvider(SwitchStepProvider[SnapshotSpec]):
    """The snapshot step's provider: makes (or finds) each snapshot, waits until all are ready.
    Never deletes one."""

    id_prefix, resource = "snapshots", "VolumeSnapshots"
    step = "snapshot"

    def parse(self, props: Mapping[str, Any]) -> tuple[SnapshotSpec, Inputs]:
        return SnapshotSpec.from_props(props)

    def work(self, spec: SnapshotSpec, props: dict[str, Any]) -> dict[str, Any]:
        if not spec.claims:
            return {**props, "result": "skipped: no claims", "snapshots": []}
        from kubernetes.client.exceptions import ApiException

        clock = Clock(spec.timeout_seconds)
        names = spec.names
        with api_client(self.site_config(spec.site)) as client:
            custom = typed_api.custom(client)
            for claim, name in names.items():
                body = _snapshot(spec, claim, name)

                def create(body: Obj = body) -> Any:
                    return custom.create_namespaced_custom_object(
                        GROUP, VERSION, spec.namespace, PLURAL, body, _preload_content=False)

                try:
                    retried(create, what=f"create VolumeSnapshot {name} in {spec.site} "
                                         f"namespace {spec.namespace}",
                            deadline=clock.call_deadline())
                except ApiException as error:
                    if error.status != 409:  # 409: made by an earlier run of this switch
                        raise SnapshotFailed(
                            f"VolumeSnapshot {name} of claim {claim} on the {spec.site} site: "
                            f"HTTP {error.status} {error.reason}; nothing was copied") from None
            view = _Snapshots(set(names.values()))
            watch_until([Collection(
                "VolumeSnapshot", lambda **kw: custom.list_namespaced_custom_object(
                    GROUP, VERSION, plural=PLURAL, **kw),
                spec.namespace, f"VolumeSnapshots in {spec.site} namespace {spec.namespace}")],
                view, clock=clock)
        if view.errors or not view.done():
            rows = "\n".join(
                f"  - {name} (claim {claim}): "
                + (f"error: {view.errors[name]}" if name in view.errors
                   else "ready" if view.ready.get(name) else "not ready")
                for claim, name in names.items())
            raise SnapshotFailed(
                f"snapshots before the copy ({spec.transition}) on the {spec.site} site, "
                f"namespace {spec.namespace}: not all ready after {clock.elapsed():g}s; nothing "
                f"was copied:\n{rows}\nCheck the VolumeSnapshotClass and the CSI snapshotter "
                f"(kubectl -n {spec.namespace} describe volumesnapshot NAME); raise "
                "drstack:migrationTimeout if they are only slow.")
        return {**props, "result": "ready", "readySeconds": clock.elapsed(), "snapshots": [
            {"claim": claim, "name": name, "restoreSize": view.restore_sizes.get(name)}
            for claim, name in names.items()]}


def _snapshot(spec: SnapshotSpec, claim: str, name: str) -> Obj:
    body: Obj = {
        "apiVersion": f"{GROUP}/{VERSION}", "kind": "VolumeSnapshot",
        "metadata": {"name": name, "namespace": spec.namespace,
                     "labels": {"app.kubernetes.io/managed-by": MANAGED_BY}},
        "spec": {"source": {"persistentVolumeClaimName": claim}},
    }
    if spec.snapshot_class:
        body["spec"]["volumeSnapshotClassName"] = spec.snapshot_class
    return body


class VolumeSnapshots(Resource, module="drstack", name="VolumeSnapshots"):
    """Takes a VolumeSnapshot of each claim a copy will overwrite, during a switch, and waits
    until they are ready. drstack never deletes them."""

    result: pulumi.Output[str]
    snapshots: pulumi.Output[list[dict[str, Any]]]

    def __init__(self, name: str, spec: SnapshotSpec,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        outputs = {"result": None, "readySeconds": None, "snapshots": None}
        super().__init__(VolumeSnapshotsProvider(), name, {**spec.to_props(), **outputs}, opts)
