"""PvcMigration: copy PVC data from the old site to the new one with pv-migrate.

Runs after the drain gate (nothing writes the source claims) and before the new site is scaled
up (nothing reads the destination claims). check() runs in `pulumi preview` too, so it detects
the installed pv-migrate and checks the flags there: a bad flag fails the preview, not the switch.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import CheckResult, Resource

from drstack import annotation_keys
from drstack.cluster import typed_api
from drstack.cluster.raw import json_body
from drstack.model import CopyRecord, Lease, Site, SiteConfig
from drstack.planner import PvcPair
from drstack.providers.drain_gate import BlockingPod, DrainSpec, blocking_pods
from drstack.providers.inputs import Inputs
from drstack.providers.reading import api_client, list_items
from drstack.providers.recovery import Recovery, recovery_of, recovery_props
from drstack.providers.step import SwitchStepProvider, is_switch
from drstack.pvmigrate import (
    Endpoint,
    MigrationJob,
    MigrationResult,
    PvMigrateError,
    PvMigrateFlagsInvalid,
    raise_for_failures,
    run_migrations,
    usable_pv_migrate,
)

LOG_ROOT = Path(".drstack") / "logs"  # relative to the cwd: the program folder under the engine


@dataclass(frozen=True)
class MigrationSpec:
    """The copy step's inputs: the claims to copy, which way, and how pv-migrate runs."""

    from_site: Site
    to_site: Site
    transition: str
    pairs: tuple[PvcPair, ...]
    flags: tuple[str, ...]
    concurrency: int
    timeout_seconds: float
    pv_migrate_path: str
    # The ways out a failed copy names (None in inputs saved by an older drstack).
    recovery: Recovery | None = None

    @property
    def direction(self) -> str:
        return f"{self.from_site} -> {self.to_site}"

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> tuple[MigrationSpec, Inputs]:
        """The spec in a resource's inputs, and every failure found reading it."""
        inputs = Inputs(props)
        from_site, to_site = inputs.site("fromSite"), inputs.site("toSite")
        if not inputs.failures and not inputs.incomplete and from_site == to_site:
            inputs.fail("toSite", f"must differ from fromSite (both are {from_site})")
        pairs = []
        for index, entry in enumerate(inputs.entries("pairs")):
            names = {side: entry.get(side) for side in ("source", "dr")}
            for side, name in names.items():
                if not isinstance(name, str) or not name:
                    inputs.fail(f"pairs[{index}].{side}",
                                f"must be the claim's name on the {side} site, got {name!r}")
            pairs.append(PvcPair(str(names["source"]), str(names["dr"])))
        spec = cls(
            from_site=from_site,
            to_site=to_site,
            transition=inputs.text("transition"),
            pairs=tuple(pairs),
            flags=inputs.strings("flags"),
            concurrency=inputs.integer("concurrency", minimum=1),
            timeout_seconds=inputs.positive_seconds("timeoutSeconds"),
            pv_migrate_path=inputs.text("pvMigratePath"),
            recovery=recovery_of(props),
        )
        return spec, inputs

    def to_props(self) -> dict[str, Any]:
        """The spec as the resource's inputs: what ``from_props`` reads back."""
        return {
            "fromSite": self.from_site.value,
            "toSite": self.to_site.value,
            "transition": str(self.transition),
            "pairs": [{"source": p.source, "dr": p.dr} for p in self.pairs],
            "flags": list(self.flags),
            "concurrency": self.concurrency,
            "timeoutSeconds": self.timeout_seconds,
            "pvMigratePath": self.pv_migrate_path,
            **recovery_props(self.recovery),
        }


@contextmanager
def kubeconfig_files(sites: Mapping[Site, SiteConfig]) -> Iterator[dict[Site, str]]:
    """A kubeconfig path per site: a path is used as is; contents go to a private temp file.

    The temp files live in a 0700 directory, are 0600, and are removed on the way out,
    whatever happens in between.
    """
    directory: str | None = None
    paths: dict[Site, str] = {}
    try:
        for site, config in sites.items():
            if not config.kubeconfig_is_inline:
                paths[site] = os.path.abspath(os.path.expanduser(config.kubeconfig.strip()))
                continue
            directory = directory or tempfile.mkdtemp(prefix="drstack-kube-")
            path = os.path.join(directory, f"{site}.kubeconfig")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(config.kubeconfig)
            paths[site] = path
        yield paths
    finally:
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)


def log_directory(transition: str, now: datetime) -> Path:
    """Where one copy step's pv-migrate logs go: a folder per run, named by time and switch."""
    safe = re.sub(r"[^A-Za-z0-9._#-]", "_", transition)
    return LOG_ROOT / f"{now.strftime('%Y%m%dT%H%M%SZ')}-{safe}"


def result_record(pair: PvcPair, result: MigrationResult) -> dict[str, Any]:
    """One pair's copy as the resource's outputs record it."""
    return {
        "source": pair.source,
        "dr": pair.dr,
        "status": result.status,
        "exitCode": result.exit_code,
        "seconds": result.seconds,
        "log": result.log_path,
    }


class MigrationNotStarted(PvMigrateError):
    """pv-migrate cannot run as configured; raised before any copy starts."""

    def __init__(self, spec: MigrationSpec, reason: str) -> None:
        super().__init__(f"PvcMigration ({spec.transition}, {spec.direction}): no PVC was "
                         f"copied and nothing was changed by the copy step: {reason}")


class PvcMigrationProvider(SwitchStepProvider[MigrationSpec]):
    """The copy step's provider: checks pv-migrate in check() (so a preview fails on it), copies
    during a switch."""

    id_prefix, resource = "pvc", "PvcMigration"
    step = "copy"

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        spec, inputs = MigrationSpec.from_props(news)
        # Only a switch that copies something needs pv-migrate; skip it when inputs are unsure.
        if is_switch(news) and spec.pairs and not inputs.failures and not inputs.incomplete:
            try:
                usable_pv_migrate(spec.pv_migrate_path, spec.flags)
            except PvMigrateFlagsInvalid as exc:
                for problem in exc.problems:
                    inputs.fail("flags", f"{problem} (pv-migrate {problem.version} "
                                         f"at {spec.pv_migrate_path})")
            except PvMigrateError as exc:
                inputs.fail("pvMigratePath", str(exc))
        return inputs.check_result()

    def parse(self, props: Mapping[str, Any]) -> tuple[MigrationSpec, Inputs]:
        return MigrationSpec.from_props(props)

    def work(self, spec: MigrationSpec, props: dict[str, Any]) -> dict[str, Any]:
        if not spec.pairs:
            return {**props, "result": "skipped: no PVC pairs", "direction": spec.direction}
        return {**props, **self.migrate(spec)}

    def migrate(self, spec: MigrationSpec) -> dict[str, Any]:
        """Copy every pair; the audit record, or raise naming what failed."""
        try:
            version = usable_pv_migrate(spec.pv_migrate_path, spec.flags)
        except PvMigrateFlagsInvalid as exc:
            installed = exc.problems[0].version if exc.problems else "?"
            raise MigrationNotStarted(spec, f"{exc} (installed: pv-migrate {installed})") from None
        except PvMigrateError as exc:
            raise MigrationNotStarted(spec, str(exc)) from None
        sites = {site: self.site_config(site) for site in (spec.from_site, spec.to_site)}
        in_the_way = pods_mounting(sites[spec.to_site], [p.on(spec.to_site) for p in spec.pairs],
                                   spec)
        if in_the_way:
            raise MigrationNotStarted(spec, (
                f"{len(in_the_way)} pod(s) on the {spec.to_site} site mount the claims this copy "
                f"would overwrite, and drstack never copies under running pods: "
                + "; ".join(str(p) for p in in_the_way)
                + f". The site being made active runs the workloads (split brain): decide whose "
                f"data is current, stop those pods on {spec.to_site} if it is "
                f"{spec.from_site}'s, then run again"))
        started = datetime.now(UTC)
        log_dir = Path.cwd() / log_directory(spec.transition, started)
        with kubeconfig_files(sites) as paths:
            jobs = [
                MigrationJob(
                    source=_endpoint(sites[spec.from_site], paths[spec.from_site],
                                     pair.on(spec.from_site)),
                    dest=_endpoint(sites[spec.to_site], paths[spec.to_site],
                                   pair.on(spec.to_site)),
                )
                for pair in spec.pairs
            ]
            results = run_migrations(
                jobs, binary=spec.pv_migrate_path, version=version, extra_flags=list(spec.flags),
                concurrency=spec.concurrency, timeout=spec.timeout_seconds, log_dir=log_dir,
            )
        raise_for_failures(results, spec.direction)
        record_copy(sites[spec.to_site], spec)
        return {
            "result": "copied",
            "direction": spec.direction,
            "pvMigrateVersion": version.text,
            "startedAt": _iso(started),
            "endedAt": _iso(datetime.now(UTC)),
            "logDir": str(log_dir),
            "results": [result_record(p, r) for p, r in zip(spec.pairs, results, strict=True)],
        }


def pods_mounting(site: SiteConfig, claims: list[str], spec: MigrationSpec) -> list[BlockingPod]:
    """The pods (not finished) on ``site`` that mount any of ``claims``: one LIST."""
    with api_client(site) as client:
        pods = list_items(typed_api.core(client).list_namespaced_pod, namespace=site.namespace,
                          deadline=30.0,
                          what=f"list pods in {site.site} namespace {site.namespace} (copy)")
    mounts = DrainSpec(site=site.site, namespace=site.namespace, transition=spec.transition,
                       workloads=(), claims=tuple(claims), timeout_seconds=1.0)
    return blocking_pods(pods, mounts)


def record_copy(site: SiteConfig, spec: MigrationSpec) -> None:
    """Write on the destination namespace that this switch, under the lease it holds now,
    finished copying: a re-run of the same switch skips the copy (drstack.planner)."""
    with api_client(site) as client:
        core = typed_api.core(client)
        namespace = json_body(core.read_namespace(site.namespace, _preload_content=False))
        notes = (namespace.get("metadata") or {}).get("annotations") or {}
        lease = Lease.parse(notes.get(annotation_keys.LEDGER_LEASE))
        record = CopyRecord(transition=spec.transition, from_site=spec.from_site,
                            lease_acquired_at=lease.acquired_at if lease else None,
                            copied_at=_iso(datetime.now(UTC)))
        core.patch_namespace(site.namespace, {"metadata": {"annotations": {
            annotation_keys.COPY_RECORD: record.encode()}}}, field_manager="drstack-copy",
            _preload_content=False)


def _endpoint(site: SiteConfig, kubeconfig_path: str, pvc: str) -> Endpoint:
    return Endpoint(kubeconfig_path=kubeconfig_path, context=site.context,
                    namespace=site.namespace, pvc=pvc)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


class PvcMigration(Resource, module="drstack", name="PvcMigration"):
    """Copies the switched PVCs' data from the old site to the new one, during a switch."""

    result: pulumi.Output[str]
    direction: pulumi.Output[str]
    pvMigrateVersion: pulumi.Output[str]
    startedAt: pulumi.Output[str]
    endedAt: pulumi.Output[str]
    results: pulumi.Output[list[Any]]

    def __init__(self, name: str, spec: MigrationSpec,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        # Outputs: declared so that they can be read from the resource.
        outputs = {"result": None, "direction": None, "pvMigrateVersion": None, "startedAt": None,
                   "endedAt": None, "results": None}
        super().__init__(PvcMigrationProvider(), name, {**spec.to_props(), **outputs}, opts)
