"""SiteScale: every switched workload of one site at its planned count, in one resource.

One resource per site, not one Patch per workload: at a thousand workloads the per-resource
cost of the engine and of pulumi-kubernetes' client (a GET and a throttled PATCH each) made a
switch take minutes (bench/RESULTS.md). Its inputs are two maps keyed ``Kind/name``:
``replicas`` (what the site must run) and ``originals`` (the ``dr-syncer.io/original-replicas``
record). Refresh reads both back from the cluster as the resource's inputs, so `pulumi preview
--diff` shows one line per workload whose count (or record) changes, ``3 => 0``.

- create/update: server-side apply under the ``drstack`` field manager, forced (spec.replicas
  is often owned via /scale or by an HPA), one PATCH per workload that differs from the live
  state, PARALLEL at a time.
- read (refresh): one LIST per kind. A site that cannot be reached drops the resource from the
  run's state, as the kubernetes providers' ``deleteUnreachable`` does, so that the program runs
  and says what to do (a disaster switch) instead of the refresh failing.
- delete: nothing. A workload that leaves the selection, or a destroyed stack, keeps its count
  (retain on delete), and its next switch applies it again.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from drstack import annotation_keys
from drstack.cluster import retry, typed_api
from drstack.cluster.retry import ClusterUnavailable, describe
from drstack.errors import ClusterError
from drstack.model import Kind, Site, WorkloadRef
from drstack.providers.inputs import Inputs, as_int, is_unknown
from drstack.providers.reading import api_client, list_items
from drstack.providers.recovery import (
    Recovery,
    recovery_of,
    recovery_props,
    with_ways_out,
)
from drstack.providers.step import SwitchStepProvider

if TYPE_CHECKING:
    from kubernetes.client import AppsV1Api

# PATCHes in flight at once: enough to hide the round trip, few enough for one API server's
# default max-mutating-requests-inflight (200) shared with everyone else.
PARALLEL = 16
# How long a refresh tries a site before calling it unreachable: the engine waits for it.
READ_DEADLINE = 10.0
APPLY_DEADLINE = 60.0
_INPUTS = ("site", "namespace", "replicas", "originals", "recovery")


@dataclass(frozen=True)
class ScaleSpec:
    """One site's workloads at their planned counts, each with its recorded original."""

    site: Site
    namespace: str
    replicas: tuple[tuple[str, int], ...]  # ("Kind/name", count), sorted
    originals: tuple[tuple[str, str], ...]  # ("Kind/name", annotation value), sorted
    # The ways out a failure names, during a switch; None in steady state.
    recovery: Recovery | None = None

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> tuple[ScaleSpec, Inputs]:
        """The spec in a resource's inputs, and every failure found reading it."""
        inputs = Inputs(props)
        site = inputs.site("site")
        namespace = inputs.text("namespace")
        replicas = {key: as_int(value) for key, value in _mapping(inputs, "replicas").items()}
        for key, count in replicas.items():
            if count is None or count < 0:
                inputs.fail(f"replicas.{key}", f"must be a whole number >= 0, got "
                            f"{props['replicas'][key]!r}")
        originals = {key: str(value) for key, value in _mapping(inputs, "originals").items()}
        for key in (*replicas, *originals):
            try:
                WorkloadRef.parse(key)
            except ValueError as exc:
                inputs.fail(f"replicas.{key}", str(exc))
        spec = cls(site, namespace, tuple(sorted((k, v or 0) for k, v in replicas.items())),
                   tuple(sorted(originals.items())), recovery_of(props))
        return spec, inputs

    def to_props(self) -> dict[str, Any]:
        """The spec as the resource's inputs: what ``from_props`` reads back."""
        return {"site": self.site.value, "namespace": self.namespace,
                "replicas": dict(self.replicas), "originals": dict(self.originals),
                **recovery_props(self.recovery)}

    def differing(self, live: Mapping[str, Any]) -> list[str]:
        """The workloads whose count or original record differs from ``live`` (props)."""
        counts = live.get("replicas") or {}
        records = live.get("originals") or {}
        wanted_originals = dict(self.originals)
        return [key for key, count in self.replicas
                if as_int(counts.get(key)) != count
                or records.get(key) != wanted_originals.get(key)]


def _mapping(inputs: Inputs, key: str) -> dict[str, Any]:
    value = inputs.props.get(key, {})
    if is_unknown(value):
        inputs.incomplete = True
        return {}
    if not isinstance(value, Mapping):
        inputs.fail(key, f"must be a map of Kind/name -> value, got {value!r}")
        return {}
    return dict(value)


class ScaleFailed(ClusterError):
    """Some workloads could not be set; the message names each and why. Those that could were
    set; a re-run applies only what still differs."""


class SiteScaleProvider(SwitchStepProvider[ScaleSpec]):
    """Applies one site's planned counts; reads them back on refresh. Unlike the gates it works
    in steady state too: what it declares is the state of the site."""

    id_prefix, resource = "scale", "SiteScale"

    def parse(self, props: Mapping[str, Any]) -> tuple[ScaleSpec, Inputs]:
        return ScaleSpec.from_props(props)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        if any(is_unknown(news.get(key)) for key in _INPUTS):
            return DiffResult(changes=True)
        spec, _ = ScaleSpec.from_props(news)
        moved = olds.get("site") != news.get("site") or olds.get("namespace") != news.get(
            "namespace")
        return DiffResult(changes=moved or bool(spec.differing(olds)))

    def create(self, props: dict[str, Any]) -> CreateResult:
        spec = self._spec(props)
        return CreateResult(f"{spec.site}/{spec.namespace}",
                            self._apply(spec, [key for key, _ in spec.replicas], props))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        spec = self._spec(news)
        moved = olds.get("namespace") != news.get("namespace")
        keys = [key for key, _ in spec.replicas] if moved else spec.differing(olds)
        return UpdateResult(self._apply(spec, keys, news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        spec, inputs = ScaleSpec.from_props(props)
        if inputs.failures or inputs.incomplete:
            return ReadResult(id_, props)
        try:
            replicas, originals = self._read_live(spec)
        except ClusterUnavailable:
            # Gone from this run's state: the program then plans with the site unreachable.
            return ReadResult(None, {})
        refreshed = {"site": spec.site.value, "namespace": spec.namespace,
                     "replicas": replicas, "originals": originals}
        return ReadResult(id_, {**props, **refreshed}, refreshed)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Nothing: a workload left alone keeps its count (retain on delete)."""

    # ---- the cluster ---------------------------------------------------------------------

    def _spec(self, props: Mapping[str, Any]) -> ScaleSpec:
        spec, inputs = ScaleSpec.from_props(props)
        inputs.raise_if_failed(self.resource)
        return spec

    def _read_live(self, spec: ScaleSpec) -> tuple[dict[str, int], dict[str, str]]:
        wanted = {key for key, _ in spec.replicas}
        replicas: dict[str, int] = {}
        originals: dict[str, str] = {}
        with api_client(self.site_config(spec.site)) as client:
            apps = typed_api.apps(client)
            listers = {Kind.DEPLOYMENT: apps.list_namespaced_deployment,
                       Kind.STATEFUL_SET: apps.list_namespaced_stateful_set}
            for kind, lister in listers.items():
                if not any(key.startswith(f"{kind.value}/") for key in wanted):
                    continue
                for obj in list_items(lister, namespace=spec.namespace, deadline=READ_DEADLINE,
                                      what=f"list {kind.value}s in {spec.site} namespace "
                                           f"{spec.namespace} (refresh)"):
                    meta = obj.get("metadata") or {}
                    key = f"{kind.value}/{meta.get('name')}"
                    if key not in wanted:
                        continue
                    count = (obj.get("spec") or {}).get("replicas")
                    replicas[key] = 1 if count is None else int(count)  # the API's default
                    record = (meta.get("annotations") or {}).get(annotation_keys.ORIGINAL_REPLICAS)
                    if record is not None:
                        originals[key] = record
        return replicas, originals

    def _apply(self, spec: ScaleSpec, keys: list[str], props: Mapping[str, Any]
               ) -> dict[str, Any]:
        started = time.monotonic()
        counts, records = dict(spec.replicas), dict(spec.originals)
        failures: list[str] = []
        if keys:
            with api_client(self.site_config(spec.site), pool_size=PARALLEL) as client:
                apps = typed_api.apps(client)

                def one(key: str) -> str | None:
                    try:
                        _apply_one(apps, spec, key, counts[key], records.get(key))
                    except Exception as exc:  # noqa: BLE001 - each failure is reported below
                        return f"{key}: {describe(exc)}"
                    return None

                with ThreadPoolExecutor(min(PARALLEL, len(keys))) as pool:
                    failures = [f for f in pool.map(one, keys) if f is not None]
        if failures:
            failed = ScaleFailed(
                f"site {spec.site}, namespace {spec.namespace}: {len(failures)} of {len(keys)} "
                "workload(s) could not be set (the others were):\n"
                + "\n".join(f"  - {f}" for f in sorted(failures))
                + "\nNothing after this step ran; running this switch again applies only what "
                  "still differs.")
            step = ("scale-up" if spec.recovery is not None and spec.site is spec.recovery.to_site
                    else "scale-down")
            with_ways_out(failed, spec.recovery, step)
            raise failed
        return {**{k: props[k] for k in props if k != "__provider"}, **spec.to_props(),
                "applied": sorted(keys), "applySeconds": round(time.monotonic() - started, 3)}


def _apply_one(apps: AppsV1Api, spec: ScaleSpec, key: str, count: int,
               original: str | None) -> None:
    kind, name = key.split("/", 1)
    metadata: dict[str, Any] = {"name": name, "namespace": spec.namespace}
    if original is not None:
        metadata["annotations"] = {annotation_keys.ORIGINAL_REPLICAS: original}
    body = {"apiVersion": "apps/v1", "kind": kind, "metadata": metadata,
            "spec": {"replicas": count}}
    patch = (apps.patch_namespaced_deployment if kind == Kind.DEPLOYMENT.value
             else apps.patch_namespaced_stateful_set)
    retry.call(lambda: patch(name, spec.namespace, body,
                             field_manager=annotation_keys.FIELD_MANAGER, force=True,
                             _content_type="application/apply-patch+yaml",
                             _preload_content=False),
               what=f"apply {key} in {spec.site} namespace {spec.namespace}",
               deadline=APPLY_DEADLINE)


class SiteScale(Resource, module="drstack", name="SiteScale"):
    """Sets every switched workload of one site to its planned count, and records its original
    count on it, in one resource whose diff lists each workload that changes."""

    replicas: pulumi.Output[dict[str, int]]
    originals: pulumi.Output[dict[str, str]]
    applied: pulumi.Output[list[str]]

    def __init__(self, name: str, spec: ScaleSpec,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(SiteScaleProvider(), name,
                         {**spec.to_props(), "applied": None, "applySeconds": None}, opts)
