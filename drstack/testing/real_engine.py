"""The real-engine suite's and the real-engine bench's view of the local clusters: one test's
namespaces, its copy of the project, its Pulumi CLI (tests/e2e, bench/real_engine_bench.py)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

import yaml

from drstack import annotation_keys
from drstack.model import Site
from drstack.pulumi_cli import PulumiCli
from drstack.sandbox.cluster import LocalCluster
from drstack.toolchain import PROJECT_ROOT

PLURAL = {"Deployment": "deployments", "StatefulSet": "statefulsets"}
DEMO = (("Deployment", "web", 3), ("Deployment", "api", 2), ("StatefulSet", "db", 1))
SERVING_COUNTS = {name: count for _, name, count in DEMO}


@dataclass
class E2eApp:
    clusters: dict[Site, LocalCluster]
    namespaces: dict[Site, str]
    project: Path
    cli: PulumiCli
    tmp: Path
    # Extra stack config (short key -> value), per stack, written with the site keys.
    extra: dict[str, dict[str, Any]] = field(default_factory=lambda: {"source": {}, "dr": {}})

    # ---- the stacks -------------------------------------------------------------------------

    def kubeconfig(self, site: Site) -> Path:
        """User ``drstack``: only what drstack/rbac/drstack-rbac.yaml grants."""
        return self.clusters[site].folder / "drstack.kubeconfig"

    def site_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {}
        for site in Site:
            config[f"{site.value}Kubeconfig"] = str(self.kubeconfig(site))
            config[f"{site.value}Context"] = site.value
            config[f"{site.value}Namespace"] = self.namespaces[site]
        return config

    def write_stack(self, stack: str) -> None:
        """Pulumi.<stack>.yaml with the site keys and ``extra``; keeps its encryption salt."""
        path = self.project / f"Pulumi.{stack}.yaml"
        doc = (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}
        values = {**self.site_config(), **self.extra[stack]}
        doc["config"] = {f"drstack:{k}": v for k, v in values.items()}
        path.write_text(yaml.safe_dump(doc, sort_keys=False))

    def configure(self, stack: str, **values: Any) -> None:
        self.extra[stack].update(values)
        self.write_stack(stack)

    # ---- the clusters -----------------------------------------------------------------------

    def get(self, site: Site, kind: str, name: str) -> dict[str, Any]:
        ns = self.namespaces[site]
        path = f"/apis/apps/v1/namespaces/{ns}/{PLURAL[kind]}/{name}"
        found: dict[str, Any] = self.clusters[site].request("GET", path)
        return found

    def replicas(self, site: Site) -> dict[str, int]:
        """Workload name -> spec.replicas, for the demo application."""
        return {name: self.get(site, kind, name)["spec"]["replicas"] for kind, name, _ in DEMO}

    def originals(self, site: Site) -> dict[str, str | None]:
        return {name: (self.get(site, kind, name)["metadata"].get("annotations") or {}).get(
            annotation_keys.ORIGINAL_REPLICAS) for kind, name, _ in DEMO}

    def pods(self, site: Site) -> list[dict[str, Any]]:
        ns = self.namespaces[site]
        items: list[dict[str, Any]] = self.clusters[site].request(
            "GET", f"/api/v1/namespaces/{ns}/pods")["items"]
        return items

    def ready_pods(self, site: Site) -> dict[str, int]:
        """Workload name -> pods Running and Ready (and not being deleted)."""
        counts = {name: 0 for _, name, _ in DEMO}
        for pod in self.pods(site):
            labels = pod["metadata"].get("labels") or {}
            ready = any(c["type"] == "Ready" and c["status"] == "True"
                        for c in pod.get("status", {}).get("conditions", []))
            name = labels.get("app.kubernetes.io/name")
            if name in counts and ready and not pod["metadata"].get("deletionTimestamp"):
                counts[name] += 1
        return counts

    def why_not_serving(self, site: Site) -> str:
        """What a failed wait should print: the components running, each workload's status and
        each pod's phase, node and conditions (a fixture timeout is otherwise a bare line)."""
        cluster = self.clusters[site]
        lines = [f"{site.value} components: {cluster.running()}"]
        for kind, name, _ in DEMO:
            status = self.get(site, kind, name).get("status", {})
            lines.append(f"  {kind}/{name} status: {json.dumps(status, sort_keys=True)}")
        for pod in self.pods(site):
            status = pod.get("status", {})
            conditions = {c["type"]: c["status"] for c in status.get("conditions", [])}
            lines.append(f"  pod {pod['metadata']['name']}: {status.get('phase')} on "
                         f"{pod['spec'].get('nodeName')} {conditions}")
        return "\n".join(lines)

    def ledger(self, site: Site) -> dict[str, str]:
        ns = self.clusters[site].request("GET", f"/api/v1/namespaces/{self.namespaces[site]}")
        notes = ns["metadata"].get("annotations") or {}
        return {k.removeprefix("drstack.io/"): v for k, v in notes.items()
                if k.startswith("drstack.io/")}

    def scale_by_hand(self, site: Site, kind: str, name: str, replicas: int) -> None:
        """As `kubectl scale` does: a PATCH of the scale subresource, as the cluster admin."""
        ns = self.namespaces[site]
        self.clusters[site].request(
            "PATCH", f"/apis/apps/v1/namespaces/{ns}/{PLURAL[kind]}/{name}/scale",
            {"spec": {"replicas": replicas}}, content_type="application/merge-patch+json")

    def patch_pod(self, site: Site, name: str, patch: dict[str, Any]) -> None:
        ns = self.namespaces[site]
        self.clusters[site].request("PATCH", f"/api/v1/namespaces/{ns}/pods/{name}", patch,
                                    content_type="application/merge-patch+json")

    def set_schedulable(self, site: Site, schedulable: bool) -> None:
        """Cordon (or uncordon) every node of a site: new pods there stay Pending."""
        cluster = self.clusters[site]
        for node in cluster.request("GET", "/api/v1/nodes")["items"]:
            cluster.request("PATCH", f"/api/v1/nodes/{node['metadata']['name']}",
                            {"spec": {"unschedulable": not schedulable}},
                            content_type="application/merge-patch+json")

    def lease(self, site: Site) -> dict[str, Any] | None:
        text = self.ledger(site).get("lease")
        return json.loads(text) if text else None

    def wait_until(self, check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
        """Until the clusters' own controllers have acted (kwok, the ReplicaSet controller)."""
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"not within {timeout:g}s: {what}")
            time.sleep(0.2)


def crash(pid: int) -> None:
    """SIGKILL a process and every process under it, as if the machine running it died.

    The Pulumi CLI starts its plugins (language host, providers) in process groups of their
    own, so killing its group would leave them running: find them first, then kill them all.
    """
    victims = [pid, *descendants(pid)]
    for victim in victims:
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            pass


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


class BothSitesWatch:
    """Watches the demo application's pods on both sites while a command runs, and records
    every moment when both sites had some: the cold order forbids it."""

    def __init__(self, app: E2eApp) -> None:
        import threading

        self.app = app
        self.overlaps: list[dict[str, list[str]]] = []
        self._pods: dict[Site, set[str]] = {site: set() for site in Site}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._watch, args=(site,), daemon=True)
                         for site in Site]
        self._ready = threading.Barrier(3)

    def __enter__(self) -> BothSitesWatch:
        for thread in self._threads:
            thread.start()
        self._ready.wait(timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def _watch(self, site: Site) -> None:
        from kubernetes import client, config, watch

        api = client.CoreV1Api(config.new_client_from_config(
            str(self.app.clusters[site].kubeconfig)))
        namespace = self.app.namespaces[site]
        listing = api.list_namespaced_pod(namespace)
        with self._lock:
            self._pods[site] = {p.metadata.name for p in listing.items
                                if p.metadata is not None and p.metadata.name}
        version = listing.metadata.resource_version if listing.metadata else None
        self._ready.wait(timeout=30)
        while not self._stop.is_set():
            stream = watch.Watch()
            for event in stream.stream(api.list_namespaced_pod, namespace, timeout_seconds=1,
                                       resource_version=version):
                pod = event["object"]
                version = pod.metadata.resource_version
                with self._lock:
                    if event["type"] == "DELETED":
                        self._pods[site].discard(pod.metadata.name)
                    else:
                        self._pods[site].add(pod.metadata.name)
                    if all(self._pods.values()):
                        self.overlaps.append({s.value: sorted(p) for s, p in self._pods.items()})
                if self._stop.is_set():
                    stream.stop()


def make_project(folder: Path) -> Path:
    """A copy of the project (its program and package linked), as a user's checkout would be."""
    folder.mkdir(parents=True)
    for name in ("Pulumi.yaml", "__main__.py", "requirements.txt"):
        shutil.copy(PROJECT_ROOT / name, folder / name)
    for name in ("drstack", ".venv"):
        (folder / name).symlink_to(PROJECT_ROOT / name)
    return folder


# The last commit whose program declared one Patch per workload (before the SiteScale).
PER_WORKLOAD_COMMIT = "944e681"


def old_project(folder: Path, commit: str = PER_WORKLOAD_COMMIT) -> Path:
    """That commit's program, from this repository's history, as a project of its own."""
    archive = subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), "archive", "--format=tar", commit,
         "__main__.py", "Pulumi.yaml", "requirements.txt", "drstack"],
        capture_output=True, check=True).stdout
    folder.mkdir(parents=True)
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    (folder / ".venv").symlink_to(PROJECT_ROOT / ".venv")
    return folder
