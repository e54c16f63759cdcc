"""ServiceGate: after the readiness gate, wait until every Service that selects a switched
workload has a ready endpoint for each of its pods on the new site.

Pods are Ready before the EndpointSlice controller has added them to the Services that select
them, and it adds them a few at a time; until it has, traffic through those Services reaches
none or only some of them. One LIST of the namespace's Services (which of them select a switched
workload's pod template labels), then a LIST and a watch of its EndpointSlices
(discovery.k8s.io/v1): the gate opens on the event that completes the last of those Services.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pulumi
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException
from pulumi.dynamic import Resource

from drstack.cluster import retry, typed_api
from drstack.errors import ClusterError
from drstack.model import Site
from drstack.providers.inputs import Inputs, as_int, label_entry, workload_entry
from drstack.providers.reading import Clock, Collection, api_client, list_items, watch_until
from drstack.providers.recovery import Recovery, recovery_of, recovery_props
from drstack.providers.step import SwitchStepProvider

# The label the EndpointSlice controller puts on each slice: the Service it belongs to.
SERVICE_NAME_LABEL = "kubernetes.io/service-name"


@dataclass(frozen=True)
class ServedWorkload:
    """A switched workload running on the new site: the labels its pods get, and how many."""

    kind: str
    name: str
    template_labels: tuple[tuple[str, str], ...]  # spec.template.metadata.labels
    replicas: int  # desired, above 0

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True)
class ServiceSpec:
    """The Service gate's inputs: the workloads whose Services must have ready endpoints, on
    which site, and how long they may take."""

    site: Site
    namespace: str
    transition: str
    workloads: tuple[ServedWorkload, ...]
    timeout_seconds: float
    recovery: Recovery | None = None

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> tuple[ServiceSpec, Inputs]:
        """The spec in a resource's inputs, and every failure found reading it."""
        inputs = Inputs(props)
        site = inputs.site("site")
        namespace = inputs.text("namespace")
        transition = inputs.text("transition")
        workloads = []
        for index, entry in enumerate(inputs.entries("workloads")):
            kind, name = workload_entry(inputs, "workloads", index, entry)
            labels = label_entry(inputs, f"workloads[{index}].templateLabels",
                                 entry.get("templateLabels"))
            replicas = as_int(entry.get("replicas"))
            if replicas is None or replicas < 1:
                inputs.fail(f"workloads[{index}].replicas",
                            f"must be a whole number >= 1, got {entry.get('replicas')!r}")
                replicas = 1
            workloads.append(ServedWorkload(kind, name, labels, replicas))
        spec = cls(site=site, namespace=namespace, transition=transition,
                   workloads=tuple(workloads),
                   timeout_seconds=inputs.positive_seconds("timeoutSeconds"),
                   recovery=recovery_of(props))
        return spec, inputs

    def to_props(self) -> dict[str, Any]:
        """The spec as the resource's inputs: what ``from_props`` reads back."""
        return {
            "site": self.site.value,
            "namespace": self.namespace,
            "transition": str(self.transition),
            "workloads": [{"kind": w.kind, "name": w.name, "replicas": w.replicas,
                           "templateLabels": dict(w.template_labels)} for w in self.workloads],
            "timeoutSeconds": self.timeout_seconds,
            **recovery_props(self.recovery),
        }


@dataclass(frozen=True)
class SelectingService:
    """A Service whose selector matches the pods of one or more switched workloads."""

    name: str
    selects: tuple[str, ...]  # the workloads, as Kind/name
    expected: int  # their pods: the ready endpoints it must have


def selecting_services(services: Sequence[Mapping[str, Any]],
                       workloads: Sequence[ServedWorkload]) -> list[SelectingService]:
    """The Services of a LIST that select a switched workload's pods, by name.

    A Service without a selector (its endpoints are kept by someone else) or of type
    ExternalName (a DNS alias: it never has endpoints) routes to no pod of ours: left out.
    """
    found = []
    for service in services:
        spec = service.get("spec") or {}
        selector = spec.get("selector") or {}
        if not selector or spec.get("type") == "ExternalName":
            continue
        selected = [w for w in workloads
                    if all(dict(w.template_labels).get(k) == v for k, v in selector.items())]
        if selected:
            found.append(SelectingService((service.get("metadata") or {}).get("name", "?"),
                                          tuple(w.ref for w in selected),
                                          sum(w.replicas for w in selected)))
    return sorted(found, key=lambda s: s.name)


@dataclass(frozen=True)
class EndpointCount:
    """A Service's endpoints across its EndpointSlices: how many are ready, of how many."""

    ready: int
    total: int

    def __str__(self) -> str:
        return f"{self.ready}/{self.total}"


def _endpoints(slice_: Mapping[str, Any]) -> dict[str, bool]:
    """Each endpoint of a slice, by the pod it is (else its addresses), and whether it is ready.

    A dual-stack Service has a slice per address family with the same pods: keyed by pod, each
    counts once. ``conditions.ready`` unset means ready: "a nil value should be interpreted as
    true" (discovery.k8s.io/v1 EndpointConditions).
    """
    found: dict[str, bool] = {}
    for endpoint in slice_.get("endpoints") or []:
        target = endpoint.get("targetRef") or {}
        key = (f"{target.get('kind')}/{target['name']}" if target.get("name")
               else ",".join(endpoint.get("addresses") or []))
        ready = (endpoint.get("conditions") or {}).get("ready") is not False
        found[key] = found.get(key, False) or ready
    return found


class ServiceEndpoints:
    """The Service gate's view: the endpoints of each Service it waits for, slice by slice.

    An event recounts only the Service whose slice it is about, so that an event costs the
    endpoints of one Service, not of the namespace.
    """

    def __init__(self, services: Sequence[SelectingService]) -> None:
        self._services = {s.name: s for s in services}
        # slice name -> (its Service, its endpoints and whether each is ready)
        self._slices: dict[str, tuple[str, dict[str, bool]]] = {}
        self._counts = {name: EndpointCount(0, 0) for name in self._services}

    def reset(self, kind: str, items: list[dict[str, Any]], at: float) -> None:
        self._slices = {}
        for item in items:
            self._put(item, recount=False)
        for name in self._services:
            self._recount(name)

    def apply(self, kind: str, event: str, obj: dict[str, Any], at: float) -> None:
        if event == "DELETED":
            gone = self._slices.pop((obj.get("metadata") or {}).get("name", ""), None)
            if gone is not None:
                self._recount(gone[0])
        else:
            self._put(obj)

    def _put(self, slice_: Mapping[str, Any], *, recount: bool = True) -> None:
        meta = slice_.get("metadata") or {}
        name, service = meta.get("name", ""), (meta.get("labels") or {}).get(SERVICE_NAME_LABEL)
        before = self._slices.pop(name, None)
        if service in self._services:
            self._slices[name] = (service, _endpoints(slice_))
        if recount:  # the slice's Service, and the one it was relabelled away from
            owners = {service, before[0] if before else None}
            for changed in sorted(o for o in owners if isinstance(o, str) and o in self._services):
                self._recount(changed)

    def _recount(self, service: str) -> None:
        merged: dict[str, bool] = {}
        for owner, endpoints in self._slices.values():
            if owner == service:
                for key, ready in endpoints.items():
                    merged[key] = merged.get(key, False) or ready
        self._counts[service] = EndpointCount(sum(merged.values()), len(merged))

    def counts(self) -> dict[str, EndpointCount]:
        """Service name -> its endpoint counts, for every Service waited for."""
        return dict(self._counts)

    def waiting(self) -> list[SelectingService]:
        """The Services with fewer ready endpoints than pods of the workloads they select."""
        return [s for s in self._services.values() if self._counts[s.name].ready < s.expected]

    def done(self) -> bool:
        return not self.waiting()

    def services(self) -> list[SelectingService]:
        return list(self._services.values())


class ServiceTimeout(ClusterError):
    """A Service of the new site had fewer ready endpoints than pods in time; the message has
    each one's counts."""


class ServicesNotReadable(ClusterError):
    """The API server refused to list Services or EndpointSlices (RBAC, most likely)."""


class ServiceGateProvider(SwitchStepProvider[ServiceSpec]):
    """The Service gate's provider: waits, during a switch only, until the Services of the new
    site's workloads have ready endpoints."""

    id_prefix, resource = "services", "ServiceGate"
    step = "verify"

    def parse(self, props: Mapping[str, Any]) -> tuple[ServiceSpec, Inputs]:
        return ServiceSpec.from_props(props)

    def work(self, spec: ServiceSpec, props: dict[str, Any]) -> dict[str, Any]:
        clock = Clock(spec.timeout_seconds)
        view = self.wait(spec, clock)
        counts = view.counts()
        return {**props, "result": "serving",
                "services": {s.name: {"ready": counts[s.name].ready,
                                      "total": counts[s.name].total, "expected": s.expected}
                             for s in view.services()},
                "waitedSeconds": clock.elapsed(),
                "verifiedAt": datetime.now(UTC).replace(microsecond=0).isoformat()}

    def wait(self, spec: ServiceSpec, clock: Clock) -> ServiceEndpoints:
        """Watch until every selecting Service has a ready endpoint per pod; what it saw."""
        where = f"{spec.site} namespace {spec.namespace} (service gate)"
        with api_client(self.site_config(spec.site)) as client:
            services = _list_services(client, spec, where, clock)
            view = ServiceEndpoints(selecting_services(services, spec.workloads))
            if not view.services():  # no Service routes to these pods: nothing to wait for
                return view
            slices = Collection("EndpointSlice",
                                typed_api.discovery(client).list_namespaced_endpoint_slice,
                                spec.namespace, f"endpointslices in {where}")
            try:
                opened = watch_until([slices], view, clock=clock)
            except ApiException as error:  # the LIST, refused for good (a refused watch says so)
                raise _not_readable("endpointslices", where, spec, error) from error
            if not opened:
                raise ServiceTimeout(_timeout_message(spec, view))
            return view


def _list_services(client: ApiClient, spec: ServiceSpec, where: str,
                   clock: Clock) -> list[dict[str, Any]]:
    try:
        return list_items(typed_api.core(client).list_namespaced_service, namespace=spec.namespace,
                          what=f"list services in {where}", deadline=clock.call_deadline())
    except ApiException as error:
        raise _not_readable("services", where, spec, error) from error


def _not_readable(what: str, where: str, spec: ServiceSpec,
                  error: ApiException) -> ServicesNotReadable:
    return ServicesNotReadable(
        f"list {what} in {where}: {retry.describe(error)}; drstack needs get, list and watch on "
        f"Services and on EndpointSlices (discovery.k8s.io) in namespace {spec.namespace} "
        "(drstack/rbac/drstack-rbac.yaml)")


def _timeout_message(spec: ServiceSpec, view: ServiceEndpoints) -> str:
    counts, waiting = view.counts(), view.waiting()
    header = ("service", "selects", "endpoints ready/total", "pods", "")
    rows = [header] + [
        (s.name, ", ".join(s.selects), str(counts[s.name]), str(s.expected),
         f"{s.expected - counts[s.name].ready} pod(s) not an endpoint yet" if s in waiting
         else "ok")
        for s in view.services()]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    table = "\n".join(
        "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows)
    first = waiting[0].name if waiting else "NAME"
    return (
        f"service gate ({spec.transition}): {len(waiting)} of {len(counts)} Service(s) in "
        f"namespace {spec.namespace} on the {spec.site} site have fewer ready endpoints than "
        f"pods after {spec.timeout_seconds:g}s, although their workloads are rolled out:\n"
        f"{table}\n"
        "Traffic through them does not reach every pod yet, so the switch stops here: the "
        f"ledger is not written. Check the endpoints (kubectl -n {spec.namespace} get "
        f"endpointslices -l {SERVICE_NAME_LABEL}={first}) and the pods' readiness; raise "
        "drstack:readinessTimeout if it is only slow."
    )


class ServiceGate(Resource, module="drstack", name="ServiceGate"):
    """Waits, during a switch, until the new site's Services have ready endpoints."""

    result: pulumi.Output[str]
    services: pulumi.Output[dict[str, Any]]
    waitedSeconds: pulumi.Output[float]
    verifiedAt: pulumi.Output[str]

    def __init__(self, name: str, spec: ServiceSpec,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        # Outputs: declared so that they can be read from the resource.
        outputs = {"result": None, "services": None, "waitedSeconds": None, "verifiedAt": None}
        super().__init__(ServiceGateProvider(), name, {**spec.to_props(), **outputs}, opts)
